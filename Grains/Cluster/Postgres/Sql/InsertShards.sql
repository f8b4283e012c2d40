INSERT INTO shards (job_id, shard_index, job_seq, sampler_key, max_attempts, start, count)
SELECT @job, p.shard_index, @job_seq, @sampler_key, @max_attempts, p.start, p.count
FROM unnest(@indices::integer[], @starts::bigint[], @counts::integer[]) AS p(shard_index, start, count);
