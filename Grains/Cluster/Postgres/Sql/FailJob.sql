UPDATE jobs
SET state = 'failed', finished_at = coalesce(@now, now()), error = @error
WHERE id = @job AND state = 'finalizing'
  AND finalize_token = @token AND finalize_expires_at > coalesce(@now, now());
