-- Audit trail: who did what, when (key creation, catalog loads, admin API calls, silences,
-- manual replays). Written by flowscope.audit.AuditLog, read by GET /api/v1/audit.
-- Detail is a JSON object as text. RecordId is a random id given when the record is made, so a
-- record imported twice (a crash between insert and forgetting the local pending file) is one
-- key: ReplacingMergeTree collapses it on merge and readers use LIMIT 1 BY RecordId before it.
-- non_replicated_deduplication_window makes a replayed insert with the same
-- insert_deduplication_token a no-op on a non-replicated table (see 001).

CREATE TABLE IF NOT EXISTS {{TABLE:flowscope_audit}} {{ON_CLUSTER}} (
    Time DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    RecordId String CODEC(ZSTD(1)),
    Actor LowCardinality(String) CODEC(ZSTD(1)),
    Action LowCardinality(String) CODEC(ZSTD(1)),
    Target String CODEC(ZSTD(1)),
    Detail String CODEC(ZSTD(1)),
    RemoteAddr String CODEC(ZSTD(1))
) ENGINE = {{ENGINE:ReplacingMergeTree()}}
PARTITION BY toYYYYMM(Time)
ORDER BY (Time, RecordId)
SETTINGS index_granularity = 8192, non_replicated_deduplication_window = 1000;

{{DISTRIBUTED:flowscope_audit:cityHash64(RecordId)}};
