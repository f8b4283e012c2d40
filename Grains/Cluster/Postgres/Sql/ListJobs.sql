-- Progress from the shards: what is not yet done, read through the partial index shards_unfinished,
-- so a finished job costs nothing to read.
SELECT j.id, j.spec::text, j.state, j.shard_count, j.shard_count - u.shards AS shards_done,
       j.samples - u.samples AS samples_done, j.created_at, j.finished_at, j.error, j.summary::text
FROM jobs j
CROSS JOIN LATERAL (
    SELECT count(*)::integer AS shards, coalesce(sum(s.count), 0)::bigint AS samples
    FROM shards s
    WHERE s.job_id = j.id AND s.state <> 'done') u
ORDER BY j.seq DESC
LIMIT @limit;
