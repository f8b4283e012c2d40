-- Membership, jobs and shard leases of a cluster (IClusterStore). Runs inside one transaction, with
-- search_path set to the store's schema, under the store's migration advisory lock.

CREATE TABLE nodes (
    node_id        text PRIMARY KEY,
    address        text NOT NULL,
    capacity       integer NOT NULL CHECK (capacity >= 0),
    -- Warm sampler inventory as SamplerKey strings, "model@CxHxW".
    warm           text[] NOT NULL DEFAULT '{}',
    started_at     timestamptz NOT NULL,
    last_heartbeat timestamptz NOT NULL
);

CREATE TABLE jobs (
    id                  text PRIMARY KEY,
    -- Submission order: "older job first" in claims, "most recent first" in listings.
    seq                 bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    spec                jsonb NOT NULL,
    sampler_key         text NOT NULL,
    samples             bigint NOT NULL CHECK (samples >= 1),
    state               text NOT NULL DEFAULT 'running'
                        CHECK (state IN ('running', 'finalizing', 'succeeded', 'failed', 'cancelled')),
    -- UNIQUE (NULLs distinct): concurrent submissions with one key make one row; an inserter whose
    -- transaction rolls back leaves the key free for the waiting ones (ON CONFLICT waits for it).
    idempotency_key     text UNIQUE,
    max_attempts        integer NOT NULL CHECK (max_attempts >= 1),
    shard_count         integer NOT NULL CHECK (shard_count >= 1),
    created_at          timestamptz NOT NULL,
    finished_at         timestamptz,
    error               text,
    summary             jsonb,
    finalize_owner      text,
    finalize_token      bigint NOT NULL DEFAULT 0,
    finalize_expires_at timestamptz,
    CHECK ((state IN ('succeeded', 'failed', 'cancelled')) = (finished_at IS NOT NULL)),
    CHECK (state <> 'finalizing' OR (finalize_owner IS NOT NULL AND finalize_expires_at IS NOT NULL))
);

-- ClaimFinalization scans only unfinished jobs, oldest first.
CREATE INDEX jobs_active ON jobs (seq) WHERE state IN ('running', 'finalizing');

CREATE TABLE shards (
    job_id           text NOT NULL REFERENCES jobs (id),
    shard_index      integer NOT NULL CHECK (shard_index >= 0),
    -- Copies of immutable job columns, so a claim reads one table through one index.
    job_seq          bigint NOT NULL,
    -- "C": byte order, so the claim's range over one key is exactly that key.
    sampler_key      text COLLATE "C" NOT NULL,
    max_attempts     integer NOT NULL CHECK (max_attempts >= 1),
    start            bigint NOT NULL CHECK (start >= 0),
    count            integer NOT NULL CHECK (count >= 1),
    -- A shard leaves 'pending'/'leased' when its job ends (cancelled, failed): the claim needs no join.
    state            text NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'leased', 'done', 'failed', 'cancelled')),
    owner            text,
    -- The fencing token: incremented by every claim, presented by every renewal, completion, release.
    lease_token      bigint NOT NULL DEFAULT 0,
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    lease_expires_at timestamptz,
    error            text,
    completed_at     timestamptz,
    PRIMARY KEY (job_id, shard_index),
    CHECK ((state = 'leased') = (owner IS NOT NULL)),
    CHECK ((state = 'leased') = (lease_expires_at IS NOT NULL)),
    CHECK ((state = 'done') = (completed_at IS NOT NULL))
);

-- The claim's two index scans, in the order of its ORDER BY: lowest shard index across jobs, older
-- job first; the warm phase the same within one sampler key. Only claimable-or-live rows are in
-- them (live leases, at most the cluster's total capacity, are skipped by the scan's filter), so
-- done, failed and cancelled shards never stand at the head of the queue.
CREATE INDEX shards_claim ON shards (shard_index, job_seq)
    WHERE state IN ('pending', 'leased');
CREATE INDEX shards_claim_warm ON shards (sampler_key, shard_index, job_seq)
    WHERE state IN ('pending', 'leased');

-- LeaveAsync: the leases one node holds.
CREATE INDEX shards_owner ON shards (owner) WHERE state = 'leased';

-- "All shards done?" (finalisation) and progress without scanning finished shards.
CREATE INDEX shards_unfinished ON shards (job_id) WHERE state <> 'done';
