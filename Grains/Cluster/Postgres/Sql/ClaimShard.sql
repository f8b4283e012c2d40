-- Leases one claimable shard (pending, or leased with an expired lease), in the order of
-- IClusterStore.ClaimShardAsync: warm sampler keys first, then the lowest shard index across jobs,
-- older job first. Each phase is one ordered scan of a partial index that stops at the first row it
-- can lock; SKIP LOCKED lets concurrent claimers pass each other instead of queueing on one row.
-- The cold phase runs only when the warm one found nothing (a UNION ALL under LIMIT 1 is lazy).
-- A reclaimed shard whose attempts are used up is locked and returned with exhausted = true but not
-- leased; the caller fails its job in a separate transaction (job row first, see FailJob.sql).
-- reclaimed: the shard was taken over from an expired lease (a lease reclaim, counted by telemetry).
WITH warm AS (
    SELECT w.job_id, w.shard_index, w.job_seq, w.state, w.lease_token, w.attempts, w.max_attempts
    FROM unnest(@warm::text[]) AS k(key)
    CROSS JOIN LATERAL (
        SELECT s.job_id, s.shard_index, s.job_seq, s.state, s.lease_token, s.attempts, s.max_attempts
        FROM shards s
        -- A range instead of "=": with "=" the planner treats sampler_key as a constant, sees that
        -- shards_claim also yields (shard_index, job_seq) order, and may scan it with a filter,
        -- reading every claimable shard when the warm key has none. With the range and the
        -- sampler_key-led ORDER BY only shards_claim_warm gives the order, bounded by Index Cond.
        WHERE s.sampler_key >= k.key AND s.sampler_key <= k.key
          AND s.state IN ('pending', 'leased')
          AND (s.state = 'pending' OR s.lease_expires_at <= coalesce(@now, now()))
        ORDER BY s.sampler_key, s.shard_index, s.job_seq
        LIMIT 1
        FOR UPDATE SKIP LOCKED) w
    ORDER BY w.shard_index, w.job_seq
    LIMIT 1
), cold AS (
    SELECT s.job_id, s.shard_index, s.job_seq, s.state, s.lease_token, s.attempts, s.max_attempts
    FROM shards s
    WHERE s.state IN ('pending', 'leased')
      AND (s.state = 'pending' OR s.lease_expires_at <= coalesce(@now, now()))
    ORDER BY s.shard_index, s.job_seq
    LIMIT 1
    FOR UPDATE SKIP LOCKED
), candidate AS (
    SELECT c.job_id, c.shard_index, c.lease_token, c.attempts,
           c.state = 'leased' AND c.attempts >= c.max_attempts AS exhausted,
           c.state = 'leased' AS reclaimed
    FROM (SELECT * FROM warm UNION ALL SELECT * FROM cold LIMIT 1) c
), claimed AS (
    UPDATE shards s
    SET state = 'leased',
        owner = @node,
        lease_token = s.lease_token + 1,
        attempts = s.attempts + 1,
        lease_expires_at = coalesce(@now, now()) + @ttl
    FROM candidate c
    WHERE s.job_id = c.job_id AND s.shard_index = c.shard_index AND NOT c.exhausted
    RETURNING s.job_id, s.start, s.count, s.lease_token, s.attempts, s.lease_expires_at
)
SELECT c.job_id, c.shard_index, c.exhausted, c.lease_token, c.attempts,
       s.start, s.count, s.lease_token, s.attempts, s.lease_expires_at, j.spec::text, c.reclaimed
FROM candidate c
JOIN jobs j ON j.id = c.job_id
LEFT JOIN claimed s ON s.job_id = c.job_id;
