-- Search keys: "what happened to customer C-42's orders?" is a point lookup on a table ordered
-- by (key, value), never a scan of attribute maps, like the correlation index (003).
--
-- A flow's catalog entry may list search_keys (customer.id, invoice.number): attributes of its
-- spans (span, then resource attributes) and business events (the CloudEvents extension named
-- by the key's letters and digits, the attribute itself, then the data: a member named like
-- the key, or the dotted path). flowscope writes each flow's keys into search_rules at start
-- (collector/search_rules.py), one row per catalog change; the views below read the newest
-- row on every insert:
--
--   otel_traces ──search_span_rows_mv──▶ search_span_rows (Null) ──┬─ tagged spans ───┐
--   business_events ──search_event_rows_mv──▶ search_event_rows (Null) ──────────────┤
--                                             untagged spans (exporter-written) ─────┴▶
--   search_pairs (Null) ──▶ search_items  ordered by (Key, Value, Flow, CorrelationId)
--                       └─▶ run_keys      ordered by (Flow, CorrelationId, Key, Value)
--
-- The two *_rows tables hold only what the key views read; inserting stored rows into them
-- again (flowscope/search backfill, flowscope reindex) indexes existing data with the same
-- views, so the rules live in one place. Rows flowscope tagged were redacted at ingest; for
-- spans written by others (no flowscope.* tags) the catalog's redaction is applied here as in
-- 011 (KeyActions: 0 keep, 1 hash to 'sha256:<hex>', 2 drop), and a value is indexed for
-- every flow whose correlation key the span carries (the run it names must exist in that
-- flow to be listed).
-- After merges one row per key, value and run remains: when the value was first and last seen
-- on the run (readers aggregate again with min/max ... GROUP BY before a merge).

CREATE TABLE IF NOT EXISTS {{TABLE:search_rules}} {{ON_CLUSTER}} (
    Version UInt64,
    Flows Array(String),
    Keys Array(Array(String)),
    Extensions Array(Array(String)),
    KeyActions Array(Array(UInt8)),
    CorrelationKeys Array(String),
    CorrelationActions Array(UInt8),
    BaggageActions Array(UInt8)
) ENGINE = {{ENGINE_ALL_NODES:ReplacingMergeTree(Version)}}
ORDER BY Version;

-- Which flows' keys have been indexed over the data stored before they were declared:
-- Key 'flow:<name>', Text the keys' fingerprint, Done/Total the days done.
CREATE TABLE IF NOT EXISTS {{TABLE:search_index_state}} {{ON_CLUSTER}} (
    Key String,
    Version UInt64,
    Text String,
    Done UInt32,
    Total UInt32
) ENGINE = {{ENGINE_ALL_NODES:ReplacingMergeTree(Version)}}
ORDER BY Key;

CREATE TABLE IF NOT EXISTS {{TABLE:search_items}} {{ON_CLUSTER}} (
    Key LowCardinality(String) CODEC(ZSTD(1)),
    Value String CODEC(ZSTD(1)),
    Flow LowCardinality(String) CODEC(ZSTD(1)),
    CorrelationId String CODEC(ZSTD(1)),
    FirstSeen SimpleAggregateFunction(min, DateTime64(9)),
    LastSeen SimpleAggregateFunction(max, DateTime64(9))
) ENGINE = {{ENGINE:AggregatingMergeTree}}
ORDER BY (Key, Value, Flow, CorrelationId)
SETTINGS index_granularity = 1024;

{{DISTRIBUTED:search_items:cityHash64(Value)}};

CREATE TABLE IF NOT EXISTS {{TABLE:run_keys}} {{ON_CLUSTER}}
AS {{TABLE:search_items}}
ENGINE = {{ENGINE:AggregatingMergeTree}}
ORDER BY (Flow, CorrelationId, Key, Value)
SETTINGS index_granularity = 1024;

{{DISTRIBUTED:run_keys:cityHash64(CorrelationId)}};

CREATE TABLE IF NOT EXISTS {{TABLE:search_pairs}} {{ON_CLUSTER}} (
    Key String,
    Value String,
    Flow String,
    CorrelationId String,
    FirstSeen DateTime64(9),
    LastSeen DateTime64(9)
) ENGINE = Null;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{DB}}.search_items_mv {{ON_CLUSTER}}
TO {{TABLE:search_items}}
AS SELECT Key, Value, Flow, CorrelationId, FirstSeen, LastSeen FROM {{TABLE:search_pairs}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{DB}}.run_keys_mv {{ON_CLUSTER}}
TO {{TABLE:run_keys}}
AS SELECT Key, Value, Flow, CorrelationId, FirstSeen, LastSeen FROM {{TABLE:search_pairs}};

CREATE TABLE IF NOT EXISTS {{TABLE:search_span_rows}} {{ON_CLUSTER}} (
    Timestamp DateTime64(9),
    SpanAttributes Map(LowCardinality(String), String),
    ResourceAttributes Map(LowCardinality(String), String)
) ENGINE = Null;

CREATE TABLE IF NOT EXISTS {{TABLE:search_event_rows}} {{ON_CLUSTER}} (
    Time DateTime64(9, 'UTC'),
    Flow String,
    CorrelationId String,
    Attributes Map(LowCardinality(String), String),
    Data String
) ENGINE = Null;

-- Only spans that some flow's search keys could concern reach the Null table: tagged spans of
-- a flow with keys, and untagged spans carrying a search key.
CREATE MATERIALIZED VIEW IF NOT EXISTS {{DB}}.search_span_rows_mv {{ON_CLUSTER}}
TO {{TABLE:search_span_rows}}
AS WITH
    (SELECT argMax((Flows, Keys), Version) FROM {{TABLE:search_rules}}) AS rules,
    arrayDistinct(arrayFlatten(rules.2)) AS all_keys
SELECT Timestamp, SpanAttributes, ResourceAttributes
FROM {{TABLE:otel_traces}}
WHERE notEmpty(rules.1)
  AND (has(rules.1, SpanAttributes['flowscope.flow'])
       OR (SpanAttributes['flowscope.correlation_id'] = ''
           AND (hasAny(mapKeys(SpanAttributes), all_keys)
                OR hasAny(mapKeys(ResourceAttributes), all_keys))));

CREATE MATERIALIZED VIEW IF NOT EXISTS {{DB}}.search_event_rows_mv {{ON_CLUSTER}}
TO {{TABLE:search_event_rows}}
AS WITH
    (SELECT argMax(Flows, Version) FROM {{TABLE:search_rules}}) AS flows
SELECT Time, Flow, CorrelationId, Attributes, Data
FROM {{TABLE:business_events}}
WHERE CorrelationId != '' AND has(flows, Flow);

-- Spans flowscope tagged (or a producer tagged explicitly): the flow's keys from the span's
-- attributes, then its resource's.
CREATE MATERIALIZED VIEW IF NOT EXISTS {{DB}}.search_pairs_tagged_spans_mv {{ON_CLUSTER}}
TO {{TABLE:search_pairs}}
AS WITH
    (SELECT argMax((Flows, Keys), Version) FROM {{TABLE:search_rules}}) AS rules
SELECT Key, Value, Flow, CorrelationId, min(Timestamp) AS FirstSeen, max(Timestamp) AS LastSeen
FROM (
    SELECT Timestamp,
        SpanAttributes['flowscope.flow'] AS Flow,
        SpanAttributes['flowscope.correlation_id'] AS CorrelationId,
        rules.2[indexOf(rules.1, Flow)] AS keys,
        arrayMap(k -> if(SpanAttributes[k] != '', SpanAttributes[k], ResourceAttributes[k]),
                 keys) AS found
    FROM {{TABLE:search_span_rows}}
    WHERE CorrelationId != '' AND has(rules.1, Flow)
)
ARRAY JOIN keys AS Key, found AS Value
WHERE Value != ''
GROUP BY Key, Value, Flow, CorrelationId;

-- Spans written by others: every flow whose correlation value the span carries (attributes,
-- resource, then baggage copies; redaction applied as at ingest) gets the span's key values.
CREATE MATERIALIZED VIEW IF NOT EXISTS {{DB}}.search_pairs_untagged_spans_mv {{ON_CLUSTER}}
TO {{TABLE:search_pairs}}
AS WITH
    (SELECT argMax((Flows, Keys, KeyActions, CorrelationKeys, CorrelationActions,
                    BaggageActions), Version) FROM {{TABLE:search_rules}}) AS rules
SELECT t.1 AS Key, t.2 AS Value, t.3 AS Flow, t.4 AS CorrelationId,
    min(Timestamp) AS FirstSeen, max(Timestamp) AS LastSeen
FROM (
    SELECT Timestamp,
        arrayJoin(arrayFilter(x -> x.2 != '' AND x.4 != '', arrayFlatten(arrayMap(
            (flow, keys, actions, ck, ca, ba) -> arrayMap((k, ka) -> (
                k,
                multiIf(ka != 2 AND SpanAttributes[k] != '',
                            if(ka = 1, concat('sha256:', lower(hex(SHA256(SpanAttributes[k])))),
                               SpanAttributes[k]),
                        ka != 2 AND ResourceAttributes[k] != '',
                            if(ka = 1,
                               concat('sha256:', lower(hex(SHA256(ResourceAttributes[k])))),
                               ResourceAttributes[k]),
                        ''),
                flow,
                multiIf(ca != 2 AND SpanAttributes[ck] != '',
                            if(ca = 1, concat('sha256:', lower(hex(SHA256(SpanAttributes[ck])))),
                               SpanAttributes[ck]),
                        ca != 2 AND ResourceAttributes[ck] != '',
                            if(ca = 1,
                               concat('sha256:', lower(hex(SHA256(ResourceAttributes[ck])))),
                               ResourceAttributes[ck]),
                        ba != 2 AND SpanAttributes[concat('baggage.', ck)] != '',
                            if(ba = 1, concat('sha256:', lower(hex(SHA256(
                                   SpanAttributes[concat('baggage.', ck)])))),
                               SpanAttributes[concat('baggage.', ck)]),
                        ba != 2 AND ResourceAttributes[concat('baggage.', ck)] != '',
                            if(ba = 1, concat('sha256:', lower(hex(SHA256(
                                   ResourceAttributes[concat('baggage.', ck)])))),
                               ResourceAttributes[concat('baggage.', ck)]),
                        '')), keys, actions),
            rules.1, rules.2, rules.3, rules.4, rules.5, rules.6)))) AS t
    FROM {{TABLE:search_span_rows}}
    WHERE SpanAttributes['flowscope.correlation_id'] = ''
)
GROUP BY Key, Value, Flow, CorrelationId;

-- Business events: the extension (customer.id -> customerid), the attribute itself (OTel log
-- events), then the data: a member named like the key, else the dotted path; a string, or a
-- number or boolean as written.
CREATE MATERIALIZED VIEW IF NOT EXISTS {{DB}}.search_pairs_events_mv {{ON_CLUSTER}}
TO {{TABLE:search_pairs}}
AS WITH
    (SELECT argMax((Flows, Keys, Extensions), Version) FROM {{TABLE:search_rules}}) AS rules
SELECT Key, Value, Flow, CorrelationId, min(Time) AS FirstSeen, max(Time) AS LastSeen
FROM (
    SELECT Time, Flow, CorrelationId,
        rules.2[indexOf(rules.1, Flow)] AS keys,
        arrayMap(k -> if(JSONHas(Data, k), Data, arrayFold((acc, p) -> JSONExtractRaw(acc, p),
                                                            arrayPopBack(splitByChar('.', k)),
                                                            Data)), keys) AS parents,
        arrayMap(k -> if(JSONHas(Data, k), k, splitByChar('.', k)[-1]), keys) AS members,
        arrayMap((k, e, parent, member) -> multiIf(
                Attributes[e] != '', Attributes[e],
                Attributes[k] != '', Attributes[k],
                JSONType(parent, member) = 'String', JSONExtractString(parent, member),
                JSONType(parent, member) IN ('Int64', 'UInt64', 'Double', 'Bool'),
                    JSONExtractRaw(parent, member),
                ''),
            keys, rules.3[indexOf(rules.1, Flow)], parents, members) AS found
    FROM {{TABLE:search_event_rows}}
    WHERE has(rules.1, Flow)
)
ARRAY JOIN keys AS Key, found AS Value
WHERE Value != ''
GROUP BY Key, Value, Flow, CorrelationId;
