-- Spans, in the schema the OpenTelemetry Collector ClickHouse exporter creates
-- (exporter/clickhouseexporter/internal/sqltemplates: traces_table.sql,
-- traces_id_ts_lookup_table.sql, traces_id_ts_lookup_mv.sql), column for column,
-- so flowscope can share tables with a running collector and Grafana reads them as is.
--
-- One deliberate addition: non_replicated_deduplication_window. A plain (non-replicated)
-- MergeTree ignores insert_deduplication_token unless it keeps a window of recent block
-- hashes; with it, a batch replayed from the spool with the same token is stored once
-- (replicated tables deduplicate through Keeper and ignore this setting).
-- 10000 blocks covers a replay after a restart even at several inserts per second.

CREATE TABLE IF NOT EXISTS {{TABLE:otel_traces}} {{ON_CLUSTER}} (
    Timestamp DateTime64(9) CODEC(Delta, ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    ParentSpanId String CODEC(ZSTD(1)),
    TraceState String CODEC(ZSTD(1)),
    SpanName LowCardinality(String) CODEC(ZSTD(1)),
    SpanKind LowCardinality(String) CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    SpanAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    Duration UInt64 CODEC(ZSTD(1)),
    StatusCode LowCardinality(String) CODEC(ZSTD(1)),
    StatusMessage String CODEC(ZSTD(1)),
    Events Nested (
        Timestamp DateTime64(9),
        Name LowCardinality(String),
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    Links Nested (
        TraceId String,
        SpanId String,
        TraceState String,
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_key mapKeys(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_value mapValues(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_duration Duration TYPE minmax GRANULARITY 1
) ENGINE = {{ENGINE:MergeTree()}}
PARTITION BY toDate(Timestamp)
ORDER BY (ServiceName, SpanName, toDateTime(Timestamp))
{{TTL:toDateTime(Timestamp)}}
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1,
    non_replicated_deduplication_window = 10000;

{{DISTRIBUTED:otel_traces:cityHash64(TraceId)}};

-- Trace id -> first/last span time, so a trace can be fetched without scanning by service.
CREATE TABLE IF NOT EXISTS {{TABLE:otel_traces_trace_id_ts}} {{ON_CLUSTER}} (
    TraceId String CODEC(ZSTD(1)),
    Start DateTime CODEC(Delta, ZSTD(1)),
    End DateTime CODEC(Delta, ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.01) GRANULARITY 1
) ENGINE = {{ENGINE:MergeTree()}}
PARTITION BY toDate(Start)
ORDER BY (TraceId, Start)
{{TTL:toDateTime(Start)}}
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1,
    non_replicated_deduplication_window = 10000;

{{DISTRIBUTED:otel_traces_trace_id_ts:cityHash64(TraceId)}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{DB}}.otel_traces_trace_id_ts_mv {{ON_CLUSTER}}
TO {{TABLE:otel_traces_trace_id_ts}}
AS SELECT
    TraceId,
    min(Timestamp) AS Start,
    max(Timestamp) AS End
FROM {{TABLE:otel_traces}}
WHERE TraceId != ''
GROUP BY TraceId;
