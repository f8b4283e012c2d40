SELECT node_id, address, capacity, warm, started_at, last_heartbeat
FROM nodes
WHERE last_heartbeat >= coalesce(@now, now()) - @max_age
ORDER BY node_id COLLATE "C";
