UPDATE shards
SET state = 'done', owner = NULL, lease_expires_at = NULL, completed_at = coalesce(@now, now())
WHERE job_id = @job AND shard_index = @shard_index
  AND state = 'leased' AND lease_token = @token AND lease_expires_at > coalesce(@now, now());
