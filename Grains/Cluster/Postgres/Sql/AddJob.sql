-- ON CONFLICT waits for a concurrent inserter of the same key: if it commits this returns no row (the
-- caller then reads that job in a new statement, whose snapshot sees it), if it rolls back this
-- insert goes ahead.
INSERT INTO jobs (id, spec, idempotency_key, max_attempts, outstanding_shards)
VALUES (@id, @spec, @idempotency_key, @max_attempts, @outstanding_shards)
ON CONFLICT (idempotency_key) DO NOTHING
RETURNING id, spec, max_attempts, created_at;
