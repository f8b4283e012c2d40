INSERT INTO nodes (node_id, address, capacity, warm, started_at, last_heartbeat)
VALUES (@node, @address, @capacity, @warm, coalesce(@now, now()), coalesce(@now, now()))
ON CONFLICT (node_id) DO UPDATE
SET address = excluded.address,
    capacity = excluded.capacity,
    warm = excluded.warm,
    last_heartbeat = excluded.last_heartbeat;
