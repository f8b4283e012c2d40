-- The job catalog (IJobCatalog): what Orleans has no place for. Grains cannot be enumerated, so the
-- list of jobs lives here; idempotency keys need a unique index; KEDA and the silos' wake-ups need the
-- unfinished jobs and their outstanding shards. The shard ledger itself is each job's scheduler grain
-- state (grain storage, 001); membership is Orleans' (001).

CREATE TABLE jobs (
    id                 text PRIMARY KEY,
    -- Submission order: "most recent first" in listings.
    seq                bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    spec               jsonb NOT NULL,
    -- UNIQUE (NULLs distinct): concurrent submissions with one key make one row; an inserter whose
    -- transaction rolls back leaves the key free for the waiting ones (ON CONFLICT waits for it).
    idempotency_key    text UNIQUE,
    max_attempts       integer NOT NULL CHECK (max_attempts >= 1),
    created_at         timestamptz NOT NULL DEFAULT now(),
    -- The scheduler's report: shards not yet done (what KEDA scales on), and when the job ended.
    outstanding_shards integer NOT NULL CHECK (outstanding_shards >= 0),
    finished_at        timestamptz
);

-- Unfinished jobs: the silos' wake-up after a member dies, and KEDA's sum of outstanding shards.
CREATE INDEX jobs_unfinished ON jobs (seq) WHERE finished_at IS NULL;
