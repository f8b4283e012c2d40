UPDATE jobs
SET state = 'cancelled', finished_at = coalesce(@now, now())
WHERE id = @job AND state IN ('running', 'finalizing')
RETURNING id;
