UPDATE jobs
SET state = 'succeeded', finished_at = coalesce(@now, now()), summary = @summary
WHERE id = @job AND state = 'finalizing'
  AND finalize_token = @token AND finalize_expires_at > coalesce(@now, now());
