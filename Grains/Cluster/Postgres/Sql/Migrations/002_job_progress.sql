-- A job with its progress, in one place for every read of jobs (GetJob, GetJobByIdempotencyKey,
-- ListJobs). Progress counts what is not yet done, through the partial index shards_unfinished, so a
-- finished job costs nothing to read. A plain view: PostgreSQL inlines it, so a reader's WHERE on
-- id or idempotency_key still uses the jobs indexes.
CREATE VIEW job_progress AS
SELECT j.id, j.seq, j.idempotency_key, j.spec, j.state, j.shard_count,
       j.shard_count - u.shards AS shards_done, j.samples - u.samples AS samples_done,
       j.created_at, j.finished_at, j.error, j.summary
FROM jobs j
CROSS JOIN LATERAL (
    SELECT count(*)::integer AS shards, coalesce(sum(s.count), 0)::bigint AS samples
    FROM shards s
    WHERE s.job_id = j.id AND s.state <> 'done') u;
