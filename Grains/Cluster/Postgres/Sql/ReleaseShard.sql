-- A graceful hand-back: the attempt is not counted. The token stays, so the next claim's is higher.
UPDATE shards
SET state = 'pending', owner = NULL, lease_expires_at = NULL, attempts = attempts - 1
WHERE job_id = @job AND shard_index = @shard_index
  AND state = 'leased' AND lease_token = @token AND lease_expires_at > coalesce(@now, now());
