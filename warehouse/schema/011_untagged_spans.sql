-- Spans that reach otel_traces without flowscope's collector (an OpenTelemetry Collector's
-- ClickHouse exporter writing into the same database, a backfill, any other writer) carry no
-- flowscope.* tags, so the views of 003 do not index them. Here a view tags them as they are
-- inserted, by the catalog's correlation rules, and feeds the same correlation_items the
-- tagged spans feed; the run ledger and the flow rollups (008), which follow correlation_items,
-- then count them like any other item. Spans flowscope already tagged
-- (SpanAttributes['flowscope.correlation_id'] set) are left to 003: nothing is indexed twice.
--
-- The rules are data, not SQL: flowscope writes the catalog it serves into correlation_rules at
-- start (collector/correlation_rules.py), one row per catalog change, and the view reads the
-- newest row on every insert. They mirror collector/tagging.py:
--   * a flow's correlation value is the first non-empty of SpanAttributes[key],
--     ResourceAttributes[key], then the W3C baggage copies 'baggage.<key>' (span, resource);
--     the catalog's redaction applies as at ingest (KeyActions / BaggageActions: 0 keep,
--     1 hash to 'sha256:<hex>', 2 drop, i.e. never read);
--   * among the flows with a value, one naming the span's service and span name wins, then one
--     naming the service, then the first in catalog order.
-- Rows written while flowscope is not running are tagged too (by the rules it last served).

CREATE TABLE IF NOT EXISTS {{TABLE:correlation_rules}} {{ON_CLUSTER}} (
    Version UInt64,
    Flows Array(String),
    Keys Array(String),
    KeyActions Array(UInt8),
    BaggageActions Array(UInt8),
    Ops Array(Array(String)),
    Services Array(Array(String))
) ENGINE = {{ENGINE_ALL_NODES:ReplacingMergeTree(Version)}}
ORDER BY Version;

CREATE TABLE IF NOT EXISTS {{TABLE:untagged_span_items}} {{ON_CLUSTER}}
AS {{TABLE:correlation_items}}
ENGINE = Null;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{DB}}.untagged_span_items_mv {{ON_CLUSTER}}
TO {{TABLE:untagged_span_items}}
AS WITH
    -- the newest rules, or empty arrays when there are none (argMax of no rows)
    (SELECT argMax((Flows, Keys, KeyActions, BaggageActions, Ops, Services), Version)
     FROM {{TABLE:correlation_rules}}) AS rules,
    rules.2 AS keys,
    arrayConcat(keys, arrayMap(k -> concat('baggage.', k), keys)) AS lookup_keys
SELECT
    Values[Pick] AS CorrelationId,
    rules.1[Pick] AS Flow,
    Timestamp,
    'span' AS Kind,
    TraceId,
    SpanId,
    ParentSpanId,
    ServiceName,
    SpanName AS Name,
    Duration AS DurationNs,
    multiIf(StatusCode IN ('Error', 'STATUS_CODE_ERROR'), 'error',
            StatusCode IN ('Ok', 'STATUS_CODE_OK'), 'ok',
            'unset') AS Status,
    StatusMessage,
    '' AS EventSource,
    '' AS EventId,
    '' AS Outcome
FROM (
    SELECT
        Timestamp, TraceId, SpanId, ParentSpanId, ServiceName, SpanName, Duration, StatusCode,
        StatusMessage,
        arrayMap((k, ka, ba) -> multiIf(
                ka != 2 AND SpanAttributes[k] != '',
                    if(ka = 1, concat('sha256:', lower(hex(SHA256(SpanAttributes[k])))),
                       SpanAttributes[k]),
                ka != 2 AND ResourceAttributes[k] != '',
                    if(ka = 1, concat('sha256:', lower(hex(SHA256(ResourceAttributes[k])))),
                       ResourceAttributes[k]),
                ba != 2 AND SpanAttributes[concat('baggage.', k)] != '',
                    if(ba = 1,
                       concat('sha256:', lower(hex(SHA256(SpanAttributes[concat('baggage.', k)])))),
                       SpanAttributes[concat('baggage.', k)]),
                ba != 2 AND ResourceAttributes[concat('baggage.', k)] != '',
                    if(ba = 1,
                       concat('sha256:',
                              lower(hex(SHA256(ResourceAttributes[concat('baggage.', k)])))),
                       ResourceAttributes[concat('baggage.', k)]),
                ''),
            keys, rules.3, rules.4) AS Values,
        -- 3 for a flow naming service and span, 2 the service, 1 neither; earlier flows first
        arrayMap((v, ops, services, i) -> if(v = '', 0,
                multiIf(has(ops, concat(ServiceName, '\x1f', SpanName)), 3,
                        has(services, ServiceName), 2, 1) * 65536 - i),
            Values, rules.5, rules.6, arrayEnumerate(keys)) AS Ranks,
        indexOf(Ranks, arrayMax(Ranks)) AS Pick
    FROM {{TABLE:otel_traces}}
    -- only spans flowscope did not tag that carry a correlation key reach the arrays above
    WHERE SpanAttributes['flowscope.correlation_id'] = ''
      AND (hasAny(mapKeys(SpanAttributes), lookup_keys)
           OR hasAny(mapKeys(ResourceAttributes), lookup_keys))
)
WHERE Pick > 0 AND Ranks[Pick] > 0;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{DB}}.correlation_items_untagged_mv {{ON_CLUSTER}}
TO {{TABLE:correlation_items}}
AS SELECT
    CorrelationId, Flow, Timestamp, Kind, TraceId, SpanId, ParentSpanId, ServiceName, Name,
    DurationNs, Status, StatusMessage, EventSource, EventId, Outcome
FROM {{TABLE:untagged_span_items}};
