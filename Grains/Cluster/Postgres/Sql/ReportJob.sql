-- A finished job stays finished: a stale scheduler's late report cannot reopen it.
UPDATE jobs
SET outstanding_shards = @outstanding_shards,
    finished_at = CASE WHEN @finished THEN coalesce(finished_at, now()) END
WHERE id = @id AND finished_at IS NULL;
