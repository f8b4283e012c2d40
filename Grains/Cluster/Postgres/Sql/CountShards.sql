-- Shards of unfinished jobs by state (the telemetry's gauge). A job that ends moves its open shards
-- out of 'pending'/'leased' (EndOpenShards.sql), so no join with jobs is needed, and the partial
-- index shards_claim holds exactly these rows. The KEDA trigger in k8s/ runs the same count.
SELECT count(*) FILTER (WHERE state = 'pending') AS pending,
       count(*) FILTER (WHERE state = 'leased') AS leased
FROM shards
WHERE state IN ('pending', 'leased');
