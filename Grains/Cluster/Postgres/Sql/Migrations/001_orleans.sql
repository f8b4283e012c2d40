-- The tables and queries Orleans' ADO.NET providers (Microsoft.Orleans.Clustering.AdoNet,
-- .Reminders.AdoNet, .Persistence.AdoNet 10.4.2, Invariant "Npgsql") need. The packages ship no SQL:
-- each provider runs "SELECT QueryKey, QueryText FROM OrleansQuery" at start and from then on only the
-- texts stored there. The contract (query keys, @parameter names, result column names, the meaning of
-- each result) is the one dotnet/orleans documents in src/AdoNet/Shared/PostgreSQL-Main.sql and the
-- provider scripts beside it, and reads in DbStoredQueries.cs / RelationalOrleansQueries.cs /
-- AdoNetGrainStorage.cs; the statements below are this project's own: plain statements with
-- data-modifying CTEs instead of plpgsql functions, a unique key so a first grain-state write cannot
-- race into two rows, and cascading deletes.
--
-- Schema: like every migration this runs with search_path set to the cluster's schema, so the
-- unqualified names land there; the providers get the same schema through "Search Path" in their
-- connection string (OrleansPostgres.ConnectionString), so their unqualified names resolve to it and
-- each test schema is a separate cluster.
--
-- Result columns are read by name, case-insensitively (Npgsql), so PostgreSQL's lowercase folding of
-- unquoted identifiers is harmless. Queries that report success return one row with one integer
-- column: > 0 true, 0 false (the membership protocol then re-reads the table and retries).
-- Nullable parameters carry a cast: Npgsql sends a null without a type and PostgreSQL must know it.

CREATE TABLE OrleansQuery (
    QueryKey  varchar(64) PRIMARY KEY,
    QueryText text NOT NULL
);

-- ---------------------------------------------------------------------------------------------
-- Clustering: one version row per cluster (DeploymentId = ClusterId), bumped by every membership
-- change, and one row per silo incarnation (address, port, generation). Status: 0 None, 1 Created,
-- 2 Joining, 3 Active, 4 ShuttingDown, 5 Stopping, 6 Dead (Orleans.Runtime.SiloStatus).
-- ---------------------------------------------------------------------------------------------

CREATE TABLE OrleansMembershipVersionTable (
    DeploymentId varchar(150) PRIMARY KEY,
    Timestamp    timestamptz NOT NULL DEFAULT now(),
    Version      integer NOT NULL DEFAULT 0
);

CREATE TABLE OrleansMembershipTable (
    DeploymentId varchar(150) NOT NULL
                 REFERENCES OrleansMembershipVersionTable (DeploymentId) ON DELETE CASCADE,
    Address      varchar(45) NOT NULL,
    Port         integer NOT NULL,
    Generation   integer NOT NULL,
    SiloName     varchar(150) NOT NULL,
    HostName     varchar(150) NOT NULL,
    Status       integer NOT NULL CHECK (Status BETWEEN 0 AND 6),
    ProxyPort    integer,
    -- "silo,time|silo,time": the votes of silos that suspect this one (Orleans formats and parses it).
    SuspectTimes text,
    StartTime    timestamptz NOT NULL,
    IAmAliveTime timestamptz NOT NULL,
    PRIMARY KEY (DeploymentId, Address, Port, Generation)
);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
-- Creates the cluster's version row if missing; true only for the caller that created it.
('InsertMembershipVersionKey', $q$
WITH created AS (
    INSERT INTO OrleansMembershipVersionTable (DeploymentId)
    VALUES (@DeploymentId)
    ON CONFLICT (DeploymentId) DO NOTHING
    RETURNING 1)
SELECT count(*)::integer FROM created
$q$),

-- A silo joins: the row is inserted only if the caller read the current table version (optimistic
-- concurrency on the version row, whose row lock also orders concurrent writers) and the silo
-- incarnation is new. Version bump and insert are one statement, so neither happens without the other.
('InsertMembershipKey', $q$
WITH bumped AS (
    UPDATE OrleansMembershipVersionTable v
    SET Version = v.Version + 1, Timestamp = now()
    WHERE v.DeploymentId = @DeploymentId
      AND v.Version = @Version
      AND NOT EXISTS (
          SELECT 1 FROM OrleansMembershipTable m
          WHERE m.DeploymentId = @DeploymentId AND m.Address = @Address
            AND m.Port = @Port AND m.Generation = @Generation)
    RETURNING v.DeploymentId),
inserted AS (
    INSERT INTO OrleansMembershipTable
        (DeploymentId, Address, Port, Generation, SiloName, HostName, Status, ProxyPort, StartTime, IAmAliveTime)
    SELECT b.DeploymentId, @Address, @Port, @Generation, @SiloName, @HostName, @Status,
           @ProxyPort::integer, @StartTime, @IAmAliveTime
    FROM bumped b
    RETURNING 1)
SELECT count(*)::integer FROM inserted
$q$),

-- Status and suspicion votes change under the same version check as a join.
('UpdateMembershipKey', $q$
WITH bumped AS (
    UPDATE OrleansMembershipVersionTable v
    SET Version = v.Version + 1, Timestamp = now()
    WHERE v.DeploymentId = @DeploymentId
      AND v.Version = @Version
      AND EXISTS (
          SELECT 1 FROM OrleansMembershipTable m
          WHERE m.DeploymentId = @DeploymentId AND m.Address = @Address
            AND m.Port = @Port AND m.Generation = @Generation)
    RETURNING v.DeploymentId),
updated AS (
    UPDATE OrleansMembershipTable m
    SET Status = @Status, SuspectTimes = @SuspectTimes::text, IAmAliveTime = @IAmAliveTime
    FROM bumped b
    WHERE m.DeploymentId = b.DeploymentId AND m.Address = @Address
      AND m.Port = @Port AND m.Generation = @Generation
    RETURNING 1)
SELECT count(*)::integer FROM updated
$q$),

-- The liveness heartbeat: no version bump (it is not a membership change) and no result read.
('UpdateIAmAlivetimeKey', $q$
UPDATE OrleansMembershipTable
SET IAmAliveTime = @IAmAliveTime
WHERE DeploymentId = @DeploymentId AND Address = @Address AND Port = @Port AND Generation = @Generation
$q$),

-- One silo's row with the table version; the outer join returns the version even when the silo has
-- no row yet (Orleans treats a null StartTime as "no entry").
('MembershipReadRowKey', $q$
SELECT v.DeploymentId, m.Address, m.Port, m.Generation, m.SiloName, m.HostName, m.Status,
       m.ProxyPort, m.SuspectTimes, m.StartTime, m.IAmAliveTime, v.Version
FROM OrleansMembershipVersionTable v
LEFT JOIN OrleansMembershipTable m
       ON m.DeploymentId = v.DeploymentId AND m.Address = @Address
      AND m.Port = @Port AND m.Generation = @Generation
WHERE v.DeploymentId = @DeploymentId
$q$),

('MembershipReadAllKey', $q$
SELECT v.DeploymentId, m.Address, m.Port, m.Generation, m.SiloName, m.HostName, m.Status,
       m.ProxyPort, m.SuspectTimes, m.StartTime, m.IAmAliveTime, v.Version
FROM OrleansMembershipVersionTable v
LEFT JOIN OrleansMembershipTable m ON m.DeploymentId = v.DeploymentId
WHERE v.DeploymentId = @DeploymentId
$q$),

-- The whole cluster's membership; the silo rows go with the version row (ON DELETE CASCADE).
('DeleteMembershipTableEntriesKey', $q$
DELETE FROM OrleansMembershipVersionTable WHERE DeploymentId = @DeploymentId
$q$),

-- The gateway list a client connects through (the caller passes @Status = 3, Active).
('GatewaysQueryKey', $q$
SELECT Address, ProxyPort, Generation
FROM OrleansMembershipTable
WHERE DeploymentId = @DeploymentId AND Status = @Status AND ProxyPort > 0
$q$),

-- Rows of silos that are gone (not Active) and have not been heard of since @IAmAliveTime.
('CleanupDefunctSiloEntriesKey', $q$
DELETE FROM OrleansMembershipTable
WHERE DeploymentId = @DeploymentId AND IAmAliveTime < @IAmAliveTime AND Status <> 3
$q$);

-- ---------------------------------------------------------------------------------------------
-- Reminders: one row per (service, grain, reminder name). GrainHash is the grain's uint hash cast to
-- int by Orleans; each silo reads the hash range it owns on the ring, so the range reads are indexed.
-- Period is in milliseconds (Orleans binds an int or a long). Strings are text (Orleans' own scripts cap
-- them at 150-512 characters): a grain id with a long compound key must not fail a write.
-- ---------------------------------------------------------------------------------------------

CREATE TABLE OrleansRemindersTable (
    ServiceId    text NOT NULL,
    GrainId      text NOT NULL,
    ReminderName text NOT NULL,
    StartTime    timestamptz NOT NULL,
    Period       bigint NOT NULL CHECK (Period >= 0),
    GrainHash    integer NOT NULL,
    Version      integer NOT NULL,
    PRIMARY KEY (ServiceId, GrainId, ReminderName)
);

CREATE INDEX OrleansRemindersTable_Range ON OrleansRemindersTable (ServiceId, GrainHash);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
-- Register or re-register; the returned Version is the reminder's new ETag.
('UpsertReminderRowKey', $q$
INSERT INTO OrleansRemindersTable AS r (ServiceId, GrainId, ReminderName, StartTime, Period, GrainHash, Version)
VALUES (@ServiceId, @GrainId, @ReminderName, @StartTime, @Period, @GrainHash, 0)
ON CONFLICT (ServiceId, GrainId, ReminderName) DO UPDATE
SET StartTime = excluded.StartTime, Period = excluded.Period, GrainHash = excluded.GrainHash,
    Version = r.Version + 1
RETURNING r.Version
$q$),

('ReadReminderRowsKey', $q$
SELECT GrainId, ReminderName, StartTime, Period, Version
FROM OrleansRemindersTable
WHERE ServiceId = @ServiceId AND GrainId = @GrainId
$q$),

('ReadReminderRowKey', $q$
SELECT GrainId, ReminderName, StartTime, Period, Version
FROM OrleansRemindersTable
WHERE ServiceId = @ServiceId AND GrainId = @GrainId AND ReminderName = @ReminderName
$q$),

-- A ring range that does not wrap: (begin, end].
('ReadRangeRows1Key', $q$
SELECT GrainId, ReminderName, StartTime, Period, Version
FROM OrleansRemindersTable
WHERE ServiceId = @ServiceId AND GrainHash > @BeginHash AND GrainHash <= @EndHash
$q$),

-- A ring range that wraps past the top: (begin, max] and [min, end].
('ReadRangeRows2Key', $q$
SELECT GrainId, ReminderName, StartTime, Period, Version
FROM OrleansRemindersTable
WHERE ServiceId = @ServiceId AND (GrainHash > @BeginHash OR GrainHash <= @EndHash)
$q$),

-- Unregister, only at the ETag the caller holds.
('DeleteReminderRowKey', $q$
WITH deleted AS (
    DELETE FROM OrleansRemindersTable
    WHERE ServiceId = @ServiceId AND GrainId = @GrainId AND ReminderName = @ReminderName
      AND Version = @Version
    RETURNING 1)
SELECT count(*)::integer FROM deleted
$q$),

('DeleteReminderRowsKey', $q$
DELETE FROM OrleansRemindersTable WHERE ServiceId = @ServiceId
$q$);

-- ---------------------------------------------------------------------------------------------
-- Grain state: one row per (service, grain type, grain id). The hashes are Orleans' (stable across
-- silos) and lead the key so lookups hit a narrow index range; the strings make the key exact.
-- Version is the ETag: Orleans sends the version it read (null: "I read nothing") and compares the
-- version returned with it; the same version, or none, means the write lost a race and it raises
-- InconsistentStateException.
-- ---------------------------------------------------------------------------------------------

CREATE TABLE OrleansStorage (
    GrainIdHash            integer NOT NULL,
    GrainTypeHash          integer NOT NULL,
    GrainIdN0              bigint NOT NULL,
    GrainIdN1              bigint NOT NULL,
    GrainTypeString        text NOT NULL,
    GrainIdExtensionString text,
    ServiceId              text NOT NULL,
    -- Null after ClearStateAsync (the row and its version stay, so a stale writer still loses).
    PayloadBinary          bytea,
    ModifiedOn             timestamptz NOT NULL,
    Version                integer NOT NULL,
    -- NULLS NOT DISTINCT (PostgreSQL 15): grains without a key extension are unique too, so two
    -- activations racing to write a first state make one row, and the loser sees no version.
    -- A btree entry holds at most ~2.7 kB, which bounds type name + key (Orleans' scripts: 512 each).
    CONSTRAINT OrleansStorage_Grain UNIQUE NULLS NOT DISTINCT
        (GrainIdHash, GrainTypeHash, ServiceId, GrainIdN0, GrainIdN1, GrainTypeString, GrainIdExtensionString)
);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
('ReadFromStorageKey', $q$
SELECT PayloadBinary, Version
FROM OrleansStorage
WHERE GrainIdHash = @GrainIdHash AND GrainTypeHash = @GrainTypeHash AND ServiceId = @ServiceId
  AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1 AND GrainTypeString = @GrainTypeString
  AND GrainIdExtensionString IS NOT DISTINCT FROM @GrainIdExtensionString::text
$q$),

-- With a version: update that version only. Without one: insert, unless a row exists. Returns the
-- new version, or the version sent when nothing was written (both branches run in one statement;
-- exactly one of them can write).
('WriteToStorageKey', $q$
WITH updated AS (
    UPDATE OrleansStorage
    SET PayloadBinary = @PayloadBinary, ModifiedOn = now(), Version = Version + 1
    WHERE @GrainStateVersion::integer IS NOT NULL
      AND GrainIdHash = @GrainIdHash AND GrainTypeHash = @GrainTypeHash AND ServiceId = @ServiceId
      AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1 AND GrainTypeString = @GrainTypeString
      AND GrainIdExtensionString IS NOT DISTINCT FROM @GrainIdExtensionString::text
      AND Version = @GrainStateVersion::integer
    RETURNING Version),
inserted AS (
    INSERT INTO OrleansStorage
        (GrainIdHash, GrainTypeHash, GrainIdN0, GrainIdN1, GrainTypeString, GrainIdExtensionString,
         ServiceId, PayloadBinary, ModifiedOn, Version)
    SELECT @GrainIdHash, @GrainTypeHash, @GrainIdN0, @GrainIdN1, @GrainTypeString,
           @GrainIdExtensionString::text, @ServiceId, @PayloadBinary, now(), 1
    WHERE @GrainStateVersion::integer IS NULL
    ON CONFLICT ON CONSTRAINT OrleansStorage_Grain DO NOTHING
    RETURNING Version)
SELECT coalesce((SELECT Version FROM updated), (SELECT Version FROM inserted), @GrainStateVersion::integer)
       AS NewGrainStateVersion
$q$),

-- ClearStateAsync keeps the row with a null payload and a new version.
('ClearStorageKey', $q$
UPDATE OrleansStorage
SET PayloadBinary = NULL, ModifiedOn = now(), Version = Version + 1
WHERE GrainIdHash = @GrainIdHash AND GrainTypeHash = @GrainTypeHash AND ServiceId = @ServiceId
  AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1 AND GrainTypeString = @GrainTypeString
  AND GrainIdExtensionString IS NOT DISTINCT FROM @GrainIdExtensionString::text
  AND Version = @GrainStateVersion::integer
RETURNING Version AS NewGrainStateVersion
$q$),

-- ClearStateAsync with DeleteStateOnClear: the row goes; Orleans expects version + 1 back.
('DeleteStorageKey', $q$
DELETE FROM OrleansStorage
WHERE GrainIdHash = @GrainIdHash AND GrainTypeHash = @GrainTypeHash AND ServiceId = @ServiceId
  AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1 AND GrainTypeString = @GrainTypeString
  AND GrainIdExtensionString IS NOT DISTINCT FROM @GrainIdExtensionString::text
  AND Version = @GrainStateVersion::integer
RETURNING Version + 1 AS NewGrainStateVersion
$q$);
