-- The job has ended (cancelled or failed): its open shards leave the claim indexes and their
-- leases end now, so holders' renewals and completions fail.
WITH open AS (
    SELECT shard_index
    FROM shards
    WHERE job_id = @job AND state IN ('pending', 'leased')
    ORDER BY shard_index
    FOR UPDATE)
UPDATE shards s
SET state = 'cancelled', owner = NULL, lease_expires_at = NULL
FROM open o
WHERE s.job_id = @job AND s.shard_index = o.shard_index;
