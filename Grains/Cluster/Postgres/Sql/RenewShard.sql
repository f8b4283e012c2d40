UPDATE shards
SET lease_expires_at = coalesce(@now, now()) + @ttl
WHERE job_id = @job AND shard_index = @shard_index
  AND state = 'leased' AND lease_token = @token AND lease_expires_at > coalesce(@now, now());
