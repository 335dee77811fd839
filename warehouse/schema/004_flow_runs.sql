-- Flow runs, kept incrementally for the SLO engine (slo/). A flow run is everything sharing one
-- correlation id within a flow. Materialized views on correlation_items (itself filled from
-- otel_traces and business_events, see 003) fold every span and event into per-run partial
-- states; the engine merges them, readers merge again (FINAL on one node, GROUP BY on a
-- cluster) so answers are exact before a merge.
--
-- Only catalog-independent facts are stored; matching against the catalog happens at query
-- time (slo/sli_query.py), so a changed SLO or latency threshold applies to past runs too:
--   * StartAt / SuccessAt / FailureAt: the first event whose Outcome the collector set to
--     start / success / failure (the catalog's event matchers, applied at ingest).
--   * DeadLetterAt: the first item (span or event) whose name says it was dead-lettered
--     (dead-letter, deadletter, dead_letter, "dead letter", any case, or the word dlq).
--   * Op* maps: per operation key "<service>\x1f<name>\x1f<kind>" (kind span|event) the first
--     start, the last end (Timestamp + duration) and the distinct item ids: the catalog's span
--     matchers (start/success by service and span) and its steps are evaluated on these keys.
-- The views fold items stored after this migration; a database that already held spans and
-- events before it starts its SLIs from then on (flowscope applies every migration before it
-- stores anything, so a fresh installation misses nothing).
--
-- Every time column is a min or a max, so duplicates and late or out-of-order items (a success
-- stored before its start, an event arriving hours late) leave the same state whatever the
-- order. The counters (Items, Errors, DeadLetters) are sums: a duplicate inserted under
-- another deduplication token counts twice there; distinct attempts per operation (retries)
-- come from OpItems, which counts distinct span/event ids.

CREATE TABLE IF NOT EXISTS {{TABLE:flow_runs}} {{ON_CLUSTER}} (
    Flow LowCardinality(String) CODEC(ZSTD(1)),
    CorrelationId String CODEC(ZSTD(1)),
    FirstSeen SimpleAggregateFunction(min, DateTime64(9, 'UTC')),
    LastSeen SimpleAggregateFunction(max, DateTime64(9, 'UTC')),
    StartAt SimpleAggregateFunction(min, Nullable(DateTime64(9, 'UTC'))),
    SuccessAt SimpleAggregateFunction(min, Nullable(DateTime64(9, 'UTC'))),
    FailureAt SimpleAggregateFunction(min, Nullable(DateTime64(9, 'UTC'))),
    DeadLetterAt SimpleAggregateFunction(min, Nullable(DateTime64(9, 'UTC'))),
    Items SimpleAggregateFunction(sum, UInt64),
    Errors SimpleAggregateFunction(sum, UInt64),
    DeadLetters SimpleAggregateFunction(sum, UInt64),
    OpFirst SimpleAggregateFunction(minMap, Map(String, DateTime64(9, 'UTC'))),
    OpLastEnd SimpleAggregateFunction(maxMap, Map(String, DateTime64(9, 'UTC'))),
    OpItems AggregateFunction(uniqExactMap, Map(String, String))
) ENGINE = {{ENGINE:AggregatingMergeTree}}
ORDER BY (Flow, CorrelationId)
SETTINGS index_granularity = 8192, non_replicated_deduplication_window = 10000;

{{DISTRIBUTED:flow_runs:cityHash64(CorrelationId)}};

-- Items per minute, flow and operation: throughput, errors, dead letters and time spent, for
-- health pages and charts. Sums, so a minute is read, not its rows.
CREATE TABLE IF NOT EXISTS {{TABLE:flow_minutes}} {{ON_CLUSTER}} (
    Flow LowCardinality(String) CODEC(ZSTD(1)),
    Minute DateTime('UTC') CODEC(Delta, ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    Name LowCardinality(String) CODEC(ZSTD(1)),
    Kind LowCardinality(String) CODEC(ZSTD(1)),
    Items SimpleAggregateFunction(sum, UInt64),
    Errors SimpleAggregateFunction(sum, UInt64),
    DeadLetters SimpleAggregateFunction(sum, UInt64),
    DurationNs SimpleAggregateFunction(sum, UInt64)
) ENGINE = {{ENGINE:AggregatingMergeTree}}
PARTITION BY toYYYYMM(Minute)
ORDER BY (Flow, Minute, ServiceName, Name, Kind)
SETTINGS index_granularity = 8192, non_replicated_deduplication_window = 10000;

{{DISTRIBUTED:flow_minutes:cityHash64(Flow)}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{DB}}.flow_runs_mv {{ON_CLUSTER}}
TO {{TABLE:flow_runs}}
AS SELECT
    Flow,
    CorrelationId,
    min(At) AS FirstSeen,
    max(EndAt) AS LastSeen,
    minIf(toNullable(At), Kind = 'event' AND Outcome = 'start') AS StartAt,
    minIf(toNullable(At), Kind = 'event' AND Outcome = 'success') AS SuccessAt,
    minIf(toNullable(At), Kind = 'event' AND Outcome = 'failure') AS FailureAt,
    minIf(toNullable(At), DeadLettered) AS DeadLetterAt,
    count() AS Items,
    countIf(Status = 'error') AS Errors,
    countIf(DeadLettered) AS DeadLetters,
    minMap(map(Op, At)) AS OpFirst,
    maxMap(map(Op, EndAt)) AS OpLastEnd,
    uniqExactMapState(map(Op, ItemId)) AS OpItems
FROM (
    SELECT
        Flow,
        CorrelationId,
        Kind,
        Outcome,
        Status,
        CAST(Timestamp, 'DateTime64(9, \'UTC\')') AS At,
        At + toIntervalNanosecond(DurationNs) AS EndAt,
        concat(ServiceName, '\x1f', Name, '\x1f', Kind) AS Op,
        if(Kind = 'span', concat(TraceId, SpanId), concat(EventSource, '\x1f', EventId)) AS ItemId,
        match(Name, '(?i)dead[-_. ]?letter|\\bdlq\\b') AS DeadLettered
    FROM {{TABLE:correlation_items}}
    WHERE Flow != '' AND CorrelationId != ''
)
GROUP BY Flow, CorrelationId;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{DB}}.flow_minutes_mv {{ON_CLUSTER}}
TO {{TABLE:flow_minutes}}
AS SELECT
    Flow,
    toStartOfMinute(Timestamp, 'UTC') AS Minute,
    ServiceName,
    Name,
    Kind,
    count() AS Items,
    countIf(Status = 'error') AS Errors,
    countIf(match(Name, '(?i)dead[-_. ]?letter|\\bdlq\\b')) AS DeadLetters,
    sum(DurationNs) AS DurationNs
FROM {{TABLE:correlation_items}}
WHERE Flow != '' AND CorrelationId != ''
GROUP BY Flow, Minute, ServiceName, Name, Kind;
