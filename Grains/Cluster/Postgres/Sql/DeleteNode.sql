DELETE FROM nodes WHERE node_id = @node;
