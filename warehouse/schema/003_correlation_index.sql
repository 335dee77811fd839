-- The correlation index: "where is order A-1042?" is a point lookup on a table ordered by
-- correlation id, never a scan of attribute maps. Materialized views fill it from the spans
-- flowscope tagged (SpanAttributes 'flowscope.correlation_id' and 'flowscope.flow') and from
-- business events that carry a correlation id.
--
-- On a cluster the views write to the shard-local tables next to the rows they read (spans are
-- sharded by trace id), so a correlation's items may live on several shards; the Distributed
-- tables on top read all of them.

-- One row per span or event of a correlation. Replayed rows collapse on merge (and at once with
-- FINAL): the sorting key identifies a span (trace and span id) or an event (source and id).
CREATE TABLE IF NOT EXISTS {{TABLE:correlation_items}} {{ON_CLUSTER}} (
    CorrelationId String CODEC(ZSTD(1)),
    Flow LowCardinality(String) CODEC(ZSTD(1)),
    Timestamp DateTime64(9) CODEC(Delta, ZSTD(1)),
    Kind LowCardinality(String) CODEC(ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    ParentSpanId String CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    Name String CODEC(ZSTD(1)),
    DurationNs UInt64 CODEC(ZSTD(1)),
    Status LowCardinality(String) CODEC(ZSTD(1)),
    StatusMessage String CODEC(ZSTD(1)),
    EventSource String CODEC(ZSTD(1)),
    EventId String CODEC(ZSTD(1)),
    Outcome LowCardinality(String) CODEC(ZSTD(1))
) ENGINE = {{ENGINE:ReplacingMergeTree}}
ORDER BY (CorrelationId, Timestamp, Kind, TraceId, SpanId, EventSource, EventId)
SETTINGS index_granularity = 8192, non_replicated_deduplication_window = 10000;

{{DISTRIBUTED:correlation_items:cityHash64(CorrelationId)}};

-- One row per correlation (after merges): first/last time seen, its traces, how many items.
-- Partial rows are merged by the engine; readers aggregate again (min/max/groupUniqArrayArray/
-- sum ... GROUP BY CorrelationId, Flow) to see merged values before a merge.
CREATE TABLE IF NOT EXISTS {{TABLE:correlations}} {{ON_CLUSTER}} (
    CorrelationId String CODEC(ZSTD(1)),
    Flow LowCardinality(String) CODEC(ZSTD(1)),
    FirstSeen SimpleAggregateFunction(min, DateTime64(9)),
    LastSeen SimpleAggregateFunction(max, DateTime64(9)),
    TraceIds SimpleAggregateFunction(groupUniqArrayArray, Array(String)),
    Items SimpleAggregateFunction(sum, UInt64)
) ENGINE = {{ENGINE:AggregatingMergeTree}}
ORDER BY (CorrelationId, Flow)
SETTINGS index_granularity = 8192, non_replicated_deduplication_window = 10000;

{{DISTRIBUTED:correlations:cityHash64(CorrelationId)}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{DB}}.correlation_items_spans_mv {{ON_CLUSTER}}
TO {{TABLE:correlation_items}}
AS SELECT
    SpanAttributes['flowscope.correlation_id'] AS CorrelationId,
    SpanAttributes['flowscope.flow'] AS Flow,
    Timestamp,
    'span' AS Kind,
    TraceId,
    SpanId,
    ParentSpanId,
    ServiceName,
    SpanName AS Name,
    Duration AS DurationNs,
    multiIf(StatusCode = 'STATUS_CODE_ERROR', 'error',
            StatusCode = 'STATUS_CODE_OK', 'ok',
            'unset') AS Status,
    StatusMessage,
    '' AS EventSource,
    '' AS EventId,
    '' AS Outcome
FROM {{TABLE:otel_traces}}
WHERE SpanAttributes['flowscope.correlation_id'] != '';

CREATE MATERIALIZED VIEW IF NOT EXISTS {{DB}}.correlation_items_events_mv {{ON_CLUSTER}}
TO {{TABLE:correlation_items}}
AS SELECT
    CorrelationId,
    Flow,
    Time AS Timestamp,
    'event' AS Kind,
    TraceId,
    SpanId,
    '' AS ParentSpanId,
    ServiceName,
    Type AS Name,
    toUInt64(0) AS DurationNs,
    multiIf(Outcome = 'failure', 'error',
            Outcome = 'success', 'ok',
            'unset') AS Status,
    '' AS StatusMessage,
    Source AS EventSource,
    EventId,
    Outcome
FROM {{TABLE:business_events}}
WHERE CorrelationId != '';

CREATE MATERIALIZED VIEW IF NOT EXISTS {{DB}}.correlations_spans_mv {{ON_CLUSTER}}
TO {{TABLE:correlations}}
AS SELECT
    SpanAttributes['flowscope.correlation_id'] AS CorrelationId,
    SpanAttributes['flowscope.flow'] AS Flow,
    min(Timestamp) AS FirstSeen,
    max(Timestamp) AS LastSeen,
    groupUniqArrayIf(TraceId, TraceId != '') AS TraceIds,
    count() AS Items
FROM {{TABLE:otel_traces}}
WHERE SpanAttributes['flowscope.correlation_id'] != ''
GROUP BY CorrelationId, Flow;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{DB}}.correlations_events_mv {{ON_CLUSTER}}
TO {{TABLE:correlations}}
AS SELECT
    CorrelationId,
    Flow,
    min(Time) AS FirstSeen,
    max(Time) AS LastSeen,
    groupUniqArrayIf(TraceId, TraceId != '') AS TraceIds,
    count() AS Items
FROM {{TABLE:business_events}}
WHERE CorrelationId != ''
GROUP BY CorrelationId, Flow;
