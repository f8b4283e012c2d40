-- A running job with no unfinished shard, or a finalisation whose lease expired; oldest first.
-- SKIP LOCKED plus the re-check of the row after locking make concurrent claimers take it once.
WITH candidate AS (
    SELECT j.id
    FROM jobs j
    WHERE j.state IN ('running', 'finalizing')
      AND ((j.state = 'running'
            AND NOT EXISTS (SELECT 1 FROM shards s WHERE s.job_id = j.id AND s.state <> 'done'))
        OR (j.state = 'finalizing' AND j.finalize_expires_at <= coalesce(@now, now())))
    ORDER BY j.seq
    LIMIT 1
    FOR NO KEY UPDATE SKIP LOCKED)
UPDATE jobs j
SET state = 'finalizing',
    finalize_owner = @node,
    finalize_token = j.finalize_token + 1,
    finalize_expires_at = coalesce(@now, now()) + @ttl
FROM candidate c
WHERE j.id = c.id
RETURNING j.id, j.spec::text, j.finalize_token, j.finalize_expires_at;
