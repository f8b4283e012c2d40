-- A stopping node hands back every lease it holds (attempts not counted); rows locked in index
-- order, as EndOpenShards.sql does.
WITH held AS (
    SELECT job_id, shard_index
    FROM shards
    WHERE owner = @node AND state = 'leased'
    ORDER BY job_id, shard_index
    FOR UPDATE)
UPDATE shards s
SET state = 'pending', owner = NULL, lease_expires_at = NULL, attempts = s.attempts - 1
FROM held h
WHERE s.job_id = h.job_id AND s.shard_index = h.shard_index;
