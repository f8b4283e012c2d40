-- ON CONFLICT waits for a concurrent inserter of the same key: if it commits this does nothing (the
-- caller then reads its job), if it rolls back this insert goes ahead. A different job with the
-- same id is a primary-key violation, not a conflict.
INSERT INTO jobs (id, spec, sampler_key, samples, idempotency_key, max_attempts, shard_count, created_at)
VALUES (@id, @spec, @sampler_key, @samples, @idempotency_key, @max_attempts, @shard_count, coalesce(@now, now()))
ON CONFLICT (idempotency_key) DO NOTHING
RETURNING seq;
