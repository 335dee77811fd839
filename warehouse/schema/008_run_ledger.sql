-- The run ledger and its rollups: every read (SLO status and burn windows, latency, health,
-- cost, ROI, /metrics, the alert evaluator) costs what its window holds, never what the
-- history before it holds.
--
-- How the tables fit (slo/ledger.py keeps them, slo/rollup_read.py reads them):
--   correlation_items --(view)--> run_changes: which runs got an item, and when it was stored.
--   A follower reads run_changes past its watermark, recomputes those runs from their items
--   (correlation_items FINAL: a span re-sent in another request counts once) with the catalog's
--   rules, and writes one run_ledger row per run and minute holding every fact of the run that
--   falls in that minute (it entered, started, became determinate for an SLO mode, reached a
--   step, was dead-lettered or replayed, and what it did there: calls, CPU time, errors).
--   When a run changes (a late event), its rows are rewritten: ReplacingMergeTree with a
--   version and a deleted flag, so a run's old facts are replaced, never counted twice.
--   run_index (kept by a view on run_ledger) remembers every minute that ever held a row of a
--   run, so the follower can delete the ones that no longer do.
--   flow_rollup_minutes and flow_rollup_hours sum the ledger per flow and minute / hour; the
--   follower recomputes exactly the minutes (and hours) whose rows changed. Readers take whole
--   hours and minutes from the rollups and the partial minutes at a window's edges from the
--   ledger itself, so answers are exact to the nanosecond.
--   flow_rollup_failed_minutes / _hours keep, per minute (hour) of activity and day of
--   failure, what runs that failed did (the cost of failure counts runs that failed before a
--   range ends).
--   ledger_state holds each flow's catalog fingerprint and rebuild progress, and the follower's
--   watermark.
--
-- Times inside the ledger are microseconds into the row's minute (window bounds are whole
-- microseconds, so this is exact), plus one so that 0 means "not in this minute".
-- Replicated and Distributed on a cluster like every other table: rows of one key always go
-- to one shard (sharding keys below), so FINAL on each shard is exact and shards sum.

CREATE TABLE IF NOT EXISTS {{TABLE:run_changes}} {{ON_CLUSTER}} (
    Changed DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    Flow LowCardinality(String) CODEC(ZSTD(1)),
    CorrelationId String CODEC(ZSTD(1))
) ENGINE = {{ENGINE:MergeTree()}}
PARTITION BY toDate(Changed)
ORDER BY (Changed, Flow, CorrelationId)
TTL toDateTime(Changed) + toIntervalDay(3)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

{{DISTRIBUTED:run_changes:cityHash64(CorrelationId)}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{DB}}.run_changes_mv {{ON_CLUSTER}}
TO {{TABLE:run_changes}}
AS SELECT
    now64(3, 'UTC') AS Changed,
    Flow,
    CorrelationId
FROM {{TABLE:correlation_items}}
WHERE Flow != '' AND CorrelationId != ''
GROUP BY Flow, CorrelationId;

CREATE TABLE IF NOT EXISTS {{TABLE:run_ledger}} {{ON_CLUSTER}} (
    Flow LowCardinality(String) CODEC(ZSTD(1)),
    Minute DateTime('UTC') CODEC(Delta, ZSTD(1)),
    CorrelationId String CODEC(ZSTD(1)),
    Version UInt64 CODEC(Delta, ZSTD(1)),
    Deleted UInt8 CODEC(ZSTD(1)),
    -- Instants are microseconds after the minute's start plus one (0: none in this minute);
    -- durations are log buckets plus one (slo/sketch.py; 0: none).
    -- the run entered (its first item) in this minute; the run's health as it stands
    EnteredAt UInt32 CODEC(ZSTD(1)),
    Outcome UInt8 CODEC(ZSTD(1)),
    FirstPass UInt8 CODEC(ZSTD(1)),
    Errors UInt32 CODEC(ZSTD(1)),
    Reached Array(UInt8) CODEC(ZSTD(1)),
    Left Array(UInt8) CODEC(ZSTD(1)),
    Dead Array(UInt8) CODEC(ZSTD(1)),
    WaitingSince Array(Int64) CODEC(ZSTD(1)),
    Extras Array(UInt32) CODEC(ZSTD(1)),
    -- milestones of the run in this minute
    StartAt UInt32 CODEC(ZSTD(1)),
    Det Array(UInt32) CODEC(ZSTD(1)),
    Good Array(UInt8) CODEC(ZSTD(1)),
    BadStep Array(UInt16) CODEC(ZSTD(1)),
    SuccessAt UInt32 CODEC(ZSTD(1)),
    FlowTime UInt16 CODEC(ZSTD(1)),
    StepFirst Array(UInt32) CODEC(ZSTD(1)),
    StepTime Array(UInt16) CODEC(ZSTD(1)),
    StepWait Array(UInt16) CODEC(ZSTD(1)),
    DeadAt UInt32 CODEC(ZSTD(1)),
    ReplayAt UInt32 CODEC(ZSTD(1)),
    OpenDead UInt8 CODEC(ZSTD(1)),
    FailDay Date CODEC(ZSTD(1)),
    -- what the run did in this minute (its items, each counted once)
    Items UInt32 CODEC(ZSTD(1)),
    ItemErrors UInt32 CODEC(ZSTD(1)),
    Calls Array(UInt32) CODEC(ZSTD(1)),
    Spans Array(UInt32) CODEC(ZSTD(1)),
    CpuNs Array(UInt64) CODEC(ZSTD(1)),
    StepErrors Array(UInt32) CODEC(ZSTD(1)),
    PartnerCalls Array(UInt32) CODEC(ZSTD(1))
) ENGINE = {{ENGINE:ReplacingMergeTree(Version, Deleted)}}
PARTITION BY toYYYYMM(Minute)
ORDER BY (Flow, Minute, CorrelationId)
SETTINGS index_granularity = 8192;

{{DISTRIBUTED:run_ledger:cityHash64(CorrelationId)}};

CREATE TABLE IF NOT EXISTS {{TABLE:run_index}} {{ON_CLUSTER}} (
    Flow LowCardinality(String) CODEC(ZSTD(1)),
    CorrelationId String CODEC(ZSTD(1)),
    Minutes SimpleAggregateFunction(groupUniqArrayArray, Array(DateTime('UTC'))) CODEC(ZSTD(1))
) ENGINE = {{ENGINE:AggregatingMergeTree()}}
ORDER BY (Flow, CorrelationId)
SETTINGS index_granularity = 1024;

{{DISTRIBUTED:run_index:cityHash64(CorrelationId)}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{DB}}.run_index_mv {{ON_CLUSTER}}
TO {{TABLE:run_index}}
AS SELECT
    Flow,
    CorrelationId,
    groupUniqArray(Minute) AS Minutes
FROM {{TABLE:run_ledger}}
WHERE Deleted = 0
GROUP BY Flow, CorrelationId;

CREATE TABLE IF NOT EXISTS {{TABLE:flow_rollup_minutes}} {{ON_CLUSTER}} (
    Flow LowCardinality(String) CODEC(ZSTD(1)),
    Minute DateTime('UTC') CODEC(Delta, ZSTD(1)),
    Version UInt64 CODEC(Delta, ZSTD(1)),
    Deleted UInt8 CODEC(ZSTD(1)),
    Entered UInt64 CODEC(ZSTD(1)),
    Succeeded UInt64 CODEC(ZSTD(1)),
    Failed UInt64 CODEC(ZSTD(1)),
    FirstPass UInt64 CODEC(ZSTD(1)),
    Errors UInt64 CODEC(ZSTD(1)),
    StepEntered Array(UInt64) CODEC(ZSTD(1)),
    StepLeft Array(UInt64) CODEC(ZSTD(1)),
    StepWaiting Array(UInt64) CODEC(ZSTD(1)),
    StepRetried Array(UInt64) CODEC(ZSTD(1)),
    StepRetries Array(UInt64) CODEC(ZSTD(1)),
    StepDead Array(UInt64) CODEC(ZSTD(1)),
    StepWaitingSince Array(Int64) CODEC(ZSTD(1)),
    Started UInt64 CODEC(ZSTD(1)),
    Valid Array(UInt64) CODEC(ZSTD(1)),
    GoodRuns Array(UInt64) CODEC(ZSTD(1)),
    BadSteps Map(UInt32, UInt64) CODEC(ZSTD(1)),
    FlowTimes UInt64 CODEC(ZSTD(1)),
    FlowTimeHist Map(UInt16, UInt64) CODEC(ZSTD(1)),
    StepTimes Array(UInt64) CODEC(ZSTD(1)),
    StepTimeHist Map(UInt32, UInt64) CODEC(ZSTD(1)),
    StepWaits Array(UInt64) CODEC(ZSTD(1)),
    StepWaitHist Map(UInt32, UInt64) CODEC(ZSTD(1)),
    DeadLetters UInt64 CODEC(ZSTD(1)),
    Replays UInt64 CODEC(ZSTD(1)),
    OpenDead UInt64 CODEC(ZSTD(1)),
    Items UInt64 CODEC(ZSTD(1)),
    ItemErrors UInt64 CODEC(ZSTD(1)),
    Calls Array(UInt64) CODEC(ZSTD(1)),
    Spans Array(UInt64) CODEC(ZSTD(1)),
    CpuNs Array(UInt64) CODEC(ZSTD(1)),
    StepErrors Array(UInt64) CODEC(ZSTD(1)),
    PartnerCalls Array(UInt64) CODEC(ZSTD(1))
) ENGINE = {{ENGINE:ReplacingMergeTree(Version, Deleted)}}
PARTITION BY toYYYYMM(Minute)
ORDER BY (Flow, Minute)
SETTINGS index_granularity = 8192;

{{DISTRIBUTED:flow_rollup_minutes:cityHash64(Flow, Minute)}};

CREATE TABLE IF NOT EXISTS {{TABLE:flow_rollup_hours}} {{ON_CLUSTER}}
AS {{TABLE:flow_rollup_minutes}}
ENGINE = {{ENGINE:ReplacingMergeTree(Version, Deleted)}}
PARTITION BY toYYYYMM(Minute)
ORDER BY (Flow, Minute)
SETTINGS index_granularity = 8192;

{{DISTRIBUTED:flow_rollup_hours:cityHash64(Flow, Minute)}};

CREATE TABLE IF NOT EXISTS {{TABLE:flow_rollup_failed_minutes}} {{ON_CLUSTER}} (
    Flow LowCardinality(String) CODEC(ZSTD(1)),
    Minute DateTime('UTC') CODEC(Delta, ZSTD(1)),
    FailDay Date CODEC(Delta, ZSTD(1)),
    Version UInt64 CODEC(Delta, ZSTD(1)),
    Deleted UInt8 CODEC(ZSTD(1)),
    DeadLetters UInt64 CODEC(ZSTD(1)),
    Replays UInt64 CODEC(ZSTD(1)),
    Calls Array(UInt64) CODEC(ZSTD(1)),
    Spans Array(UInt64) CODEC(ZSTD(1)),
    CpuNs Array(UInt64) CODEC(ZSTD(1)),
    PartnerCalls Array(UInt64) CODEC(ZSTD(1))
) ENGINE = {{ENGINE:ReplacingMergeTree(Version, Deleted)}}
PARTITION BY toYYYYMM(Minute)
ORDER BY (Flow, Minute, FailDay)
SETTINGS index_granularity = 8192;

{{DISTRIBUTED:flow_rollup_failed_minutes:cityHash64(Flow, Minute)}};

CREATE TABLE IF NOT EXISTS {{TABLE:flow_rollup_failed_hours}} {{ON_CLUSTER}}
AS {{TABLE:flow_rollup_failed_minutes}}
ENGINE = {{ENGINE:ReplacingMergeTree(Version, Deleted)}}
PARTITION BY toYYYYMM(Minute)
ORDER BY (Flow, Minute, FailDay)
SETTINGS index_granularity = 8192;

{{DISTRIBUTED:flow_rollup_failed_hours:cityHash64(Flow, Minute)}};

-- Key 'flow:<name>': Text is the flow's ledger fingerprint, Done the rebuild chunks finished
-- (Total when built); key 'watermark': Number is the follower's run_changes watermark (ms).
CREATE TABLE IF NOT EXISTS {{TABLE:ledger_state}} {{ON_CLUSTER}} (
    Key String,
    Version UInt64,
    Text String,
    Number Int64,
    Done UInt32,
    Total UInt32
) ENGINE = {{ENGINE:ReplacingMergeTree(Version)}}
ORDER BY Key;

{{DISTRIBUTED:ledger_state:cityHash64(Key)}};
