SELECT shard, status, attempts, token, silo, error, samples_generated, resumed
FROM job_shards
WHERE job_id = @job
ORDER BY shard
