SELECT id, spec::text, state, shard_count, shards_done, samples_done, created_at, finished_at, error, summary::text
FROM job_progress
WHERE idempotency_key = @idempotency_key;
