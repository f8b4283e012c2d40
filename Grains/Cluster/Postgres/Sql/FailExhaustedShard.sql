-- A shard whose lease expired on its last allowed attempt (its holder died each time), as the
-- claim found it: still that lease, still expired.
UPDATE shards
SET state = 'failed', owner = NULL, lease_expires_at = NULL, error = @error
WHERE job_id = @job AND shard_index = @shard_index
  AND state = 'leased' AND lease_token = @token AND lease_expires_at <= coalesce(@now, now())
  AND attempts >= max_attempts;
