-- The changed rows of one scheduler step, written only while @epoch is still the job's. FOR SHARE holds
-- the epoch row until commit, so a claim by a newer activation waits for this write or, if it committed
-- first, makes the lock re-check fail and the write change nothing. Returns 1 if written, 0 if fenced.
WITH owner AS (
    SELECT job_id FROM job_ledgers
    WHERE job_id = @job AND epoch = @epoch
    FOR SHARE),
written AS (
    INSERT INTO job_shards AS s (job_id, shard, status, attempts, token, silo, error, samples_generated, resumed)
    SELECT o.job_id, u.shard, u.status, u.attempts, u.token, u.silo, u.error, u.samples_generated, u.resumed
    FROM owner o,
         unnest(@shards::integer[], @statuses::smallint[], @attempts::integer[], @tokens::bigint[],
                @silos::text[], @errors::text[], @samples_generated::bigint[], @resumed::boolean[])
             AS u(shard, status, attempts, token, silo, error, samples_generated, resumed)
    ON CONFLICT (job_id, shard) DO UPDATE
    SET status = excluded.status, attempts = excluded.attempts, token = excluded.token, silo = excluded.silo,
        error = excluded.error, samples_generated = excluded.samples_generated, resumed = excluded.resumed
    RETURNING 1)
SELECT (SELECT count(*) FROM owner)::integer
