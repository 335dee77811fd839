-- Span status in either spelling. flowscope now writes StatusCode as the OpenTelemetry
-- Collector's ClickHouse exporter does (Unset / Ok / Error); older exporter releases and older
-- flowscope rows say STATUS_CODE_UNSET / STATUS_CODE_OK / STATUS_CODE_ERROR. The view that
-- indexes tagged spans reads both, so old and new rows count alike; stored rows are not
-- rewritten. MODIFY QUERY swaps the view's query atomically: no insert slips between two views.

ALTER TABLE {{DB}}.correlation_items_spans_mv {{ON_CLUSTER}} MODIFY QUERY
SELECT
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
    multiIf(StatusCode IN ('Error', 'STATUS_CODE_ERROR'), 'error',
            StatusCode IN ('Ok', 'STATUS_CODE_OK'), 'ok',
            'unset') AS Status,
    StatusMessage,
    '' AS EventSource,
    '' AS EventId,
    '' AS Outcome
FROM {{TABLE:otel_traces}}
WHERE SpanAttributes['flowscope.correlation_id'] != '';
