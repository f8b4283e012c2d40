-- A failed attempt: claimable again, or failed for good once the attempts reach the bound.
UPDATE shards
SET state = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'pending' END,
    owner = NULL,
    lease_expires_at = NULL,
    error = @error
WHERE job_id = @job AND shard_index = @shard_index
  AND state = 'leased' AND lease_token = @token AND lease_expires_at > coalesce(@now, now())
RETURNING state = 'failed' AS exhausted, attempts;
