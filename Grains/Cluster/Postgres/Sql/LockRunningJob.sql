-- Every transaction that changes a job and several of its shards locks the job row first, then the
-- shards in index order; claims, renewals and completions hold one shard row and never wait for a
-- job row. So no two of them can wait for each other (no deadlocks).
SELECT 1 FROM jobs WHERE id = @job AND state = 'running' FOR NO KEY UPDATE;
