-- Business events (CloudEvents and OTel log events): one row per event, deduplicated on
-- (Source, EventId). ReplacingMergeTree keeps the latest ingested copy when merges meet a
-- duplicate; readers that need exact answers before a merge use FINAL or GROUP BY.
-- non_replicated_deduplication_window makes a replayed insert with the same
-- insert_deduplication_token a no-op on a non-replicated table (see 001).

CREATE TABLE IF NOT EXISTS {{TABLE:business_events}} {{ON_CLUSTER}} (
    EventId String CODEC(ZSTD(1)),
    Source LowCardinality(String) CODEC(ZSTD(1)),
    Type LowCardinality(String) CODEC(ZSTD(1)),
    Time DateTime64(9, 'UTC') CODEC(Delta, ZSTD(1)),
    Subject String CODEC(ZSTD(1)),
    Flow LowCardinality(String) CODEC(ZSTD(1)),
    CorrelationId String CODEC(ZSTD(1)),
    Outcome LowCardinality(String) CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    Attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    Data String CODEC(ZSTD(1)),
    IngestedAt DateTime64(3, 'UTC') DEFAULT now64(3) CODEC(Delta, ZSTD(1)),
    INDEX idx_correlation_id CorrelationId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_time Time TYPE minmax GRANULARITY 1
) ENGINE = {{ENGINE:ReplacingMergeTree(IngestedAt)}}
PARTITION BY toYYYYMM(Time)
ORDER BY (Source, EventId)
SETTINGS index_granularity = 8192, non_replicated_deduplication_window = 10000;

{{DISTRIBUTED:business_events:cityHash64(Source, EventId)}};
