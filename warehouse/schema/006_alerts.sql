-- Alert history and silences, written by the alert evaluator (alerts/store.py).

-- One row per change of state of an alert (inactive, pending, firing, resolved). Labels and
-- annotations are copied whole; AlertName, Flow, Slo and Severity repeat the labels of the same
-- names for filtering. ForSeconds, ActiveSince and FiredAt let a restarted evaluator restore
-- pending and firing alerts. Muted says why notifications were held back at that moment
-- ('silence:<id>,...' or 'maintenance: <reason>'), '' when they were not.
CREATE TABLE IF NOT EXISTS {{TABLE:alert_transitions}} {{ON_CLUSTER}} (
    At DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    Fingerprint String CODEC(ZSTD(1)),
    Rule LowCardinality(String) CODEC(ZSTD(1)),
    AlertName LowCardinality(String) CODEC(ZSTD(1)),
    Flow LowCardinality(String) CODEC(ZSTD(1)),
    Slo LowCardinality(String) CODEC(ZSTD(1)),
    Severity LowCardinality(String) CODEC(ZSTD(1)),
    FromState LowCardinality(String) CODEC(ZSTD(1)),
    ToState LowCardinality(String) CODEC(ZSTD(1)),
    Value Nullable(Float64),
    ForSeconds Float64 CODEC(ZSTD(1)),
    ActiveSince Nullable(DateTime64(3, 'UTC')),
    FiredAt Nullable(DateTime64(3, 'UTC')),
    Labels Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    Annotations Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    Muted String CODEC(ZSTD(1))
) ENGINE = {{ENGINE:MergeTree()}}
PARTITION BY toYYYYMM(At)
ORDER BY (Flow, At, Fingerprint)
SETTINGS index_granularity = 8192;

{{DISTRIBUTED:alert_transitions:cityHash64(Fingerprint)}};

-- Silences: every create and delete adds a version of the row (UpdatedAt); readers take the
-- latest version of each Id with argMax, so they see deletes before the engine merges.
-- Matchers are three parallel arrays: label name, operator (=, !=, =~, !~) and value.
CREATE TABLE IF NOT EXISTS {{TABLE:alert_silences}} {{ON_CLUSTER}} (
    Id String,
    MatcherNames Array(String),
    MatcherOps Array(LowCardinality(String)),
    MatcherValues Array(String),
    StartsAt DateTime64(3, 'UTC'),
    EndsAt DateTime64(3, 'UTC'),
    CreatedBy String,
    Comment String,
    CreatedAt DateTime64(3, 'UTC'),
    UpdatedAt DateTime64(3, 'UTC'),
    Deleted UInt8
) ENGINE = {{ENGINE:ReplacingMergeTree(UpdatedAt)}}
ORDER BY Id
SETTINGS index_granularity = 8192;

{{DISTRIBUTED:alert_silences:cityHash64(Id)}};
