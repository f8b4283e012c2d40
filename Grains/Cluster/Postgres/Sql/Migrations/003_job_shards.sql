-- The per-shard half of each job's ledger (IShardLedger). The scheduler grain's state used to hold one
-- entry per shard and was rewritten whole at every shard event (a 2,000-shard job wrote ~0.4 MB per
-- event); here a shard event writes its own row and nothing else. The job-level half (state, summary,
-- times) stays in the scheduler's grain state (003), written at the job's start, finalisation and end.

-- The writer of each job's rows: every scheduler activation that will write takes the next epoch, and a
-- write carrying an older one changes nothing (a twin activation during a membership change).
CREATE TABLE job_ledgers (
    job_id text PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    epoch  bigint NOT NULL CHECK (epoch >= 1)
);

-- One row per shard that left its initial state (pending, never dispatched).
-- status: 0 pending, 1 dispatched, 2 done (ShardStatus).
CREATE TABLE job_shards (
    job_id            text NOT NULL REFERENCES job_ledgers (job_id) ON DELETE CASCADE,
    shard             integer NOT NULL CHECK (shard >= 0),
    status            smallint NOT NULL CHECK (status BETWEEN 0 AND 2),
    -- Dispatches that counted (a silo's graceful hand-back does not).
    attempts          integer NOT NULL CHECK (attempts >= 0),
    -- The current dispatch: only a report carrying this token is counted.
    token             bigint NOT NULL,
    silo              text,
    error             text CHECK (length(error) <= 1000),
    samples_generated bigint NOT NULL DEFAULT 0 CHECK (samples_generated >= 0),
    -- The result blob existed on the shard's first dispatch (an earlier run wrote it).
    resumed           boolean NOT NULL DEFAULT false,
    PRIMARY KEY (job_id, shard)
);
