UPDATE jobs
SET state = 'failed', finished_at = coalesce(@now, now()), error = @error
WHERE id = @job AND state = 'running';
