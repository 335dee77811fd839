"""The span tables as the OpenTelemetry Collector's ClickHouse exporter creates and fills them.

Two generations of the exporter's DDL (``exporter/clickhouseexporter/internal/sqltemplates`` in
opentelemetry-collector-contrib, rendered for the default table name ``otel_traces``, engine
``MergeTree()``, no TTL, no cluster):

* ``bloom``: the older templates: bloom-filter skip indexes, ``Duration UInt64 CODEC(ZSTD(1))``,
  a MergeTree ``otel_traces_trace_id_ts``. Those releases wrote span kinds and status codes by
  their proto names (``SPAN_KIND_SERVER``, ``STATUS_CODE_ERROR``).
* ``current``: ``Duration`` with ``CODEC(T64, ZSTD(1))``, ``ALIAS`` attribute-item columns, text
  indexes (or, on servers without them, the bloom filters: ``current-bloom``), a
  ``PRIMARY KEY`` shorter than the sort key, and an AggregatingMergeTree
  ``otel_traces_trace_id_ts``. These write ``Server`` and ``Error`` (pdata's ``String()``).

:func:`insert_spans` inserts rows with the exporter's own column list (``traces_insert.sql``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from warehouse.port import Warehouse

_COLUMNS = """
    Timestamp DateTime64(9) CODEC({delta}, ZSTD(1)),
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
    Duration UInt64 CODEC({duration}),
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
    ) CODEC(ZSTD(1)),"""

_BLOOM_INDEXES = """
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_key mapKeys(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_value mapValues(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_duration Duration TYPE minmax GRANULARITY 1"""

_ITEMS = """
    ResourceAttributeItems Array(String) ALIAS arrayMap(kv -> concat(kv.1, '=', kv.2),
        CAST(ResourceAttributes, 'Array(Tuple(String, String))')),
    SpanAttributeItems Array(String) ALIAS arrayMap(kv -> concat(kv.1, '=', kv.2),
        CAST(SpanAttributes, 'Array(Tuple(String, String))')),"""

_TEXT_INDEXES = """
    INDEX idx_trace_id TraceId TYPE text(tokenizer = 'array'),
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE text(tokenizer = 'array'),
    INDEX idx_res_attr_items ResourceAttributeItems TYPE text(tokenizer = 'array'),
    INDEX idx_span_attr_key mapKeys(SpanAttributes) TYPE text(tokenizer = 'array'),
    INDEX idx_span_attr_items SpanAttributeItems TYPE text(tokenizer = 'array'),
    INDEX idx_duration Duration TYPE minmax GRANULARITY 1"""

_BLOOM_TABLE = """
CREATE TABLE IF NOT EXISTS {db}.otel_traces ({columns}{indexes}
) ENGINE = MergeTree()
PARTITION BY toDate(Timestamp)
ORDER BY (ServiceName, SpanName, toDateTime(Timestamp))
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1"""

_CURRENT_TABLE = """
CREATE TABLE IF NOT EXISTS {db}.otel_traces ({columns}{items}{indexes},
    INDEX idx_lower_span_name lower(SpanName) TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 8
) ENGINE = MergeTree()
PARTITION BY toDate(Timestamp)
PRIMARY KEY (ServiceName, SpanName, toDateTime(Timestamp))
ORDER BY (ServiceName, SpanName, toDateTime(Timestamp), Timestamp)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1"""

_BLOOM_LOOKUP = """
CREATE TABLE IF NOT EXISTS {db}.otel_traces_trace_id_ts (
    TraceId String CODEC(ZSTD(1)),
    Start DateTime CODEC(Delta, ZSTD(1)),
    End DateTime CODEC(Delta, ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.01) GRANULARITY 1
) ENGINE = MergeTree()
PARTITION BY toDate(Start)
ORDER BY (TraceId, Start)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1"""

_CURRENT_LOOKUP = """
CREATE TABLE IF NOT EXISTS {db}.otel_traces_trace_id_ts (
    TraceId String CODEC(ZSTD(1)),
    Start SimpleAggregateFunction(min, DateTime) CODEC(ZSTD(1)),
    End SimpleAggregateFunction(max, DateTime) CODEC(ZSTD(1))
) ENGINE = AggregatingMergeTree()
PARTITION BY toStartOfWeek(Start)
ORDER BY (TraceId)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1"""

_LOOKUP_VIEW = """
CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.otel_traces_trace_id_ts_mv
TO {db}.otel_traces_trace_id_ts
AS SELECT
    TraceId,
    min(Timestamp) as Start,
    max(Timestamp) as End
FROM {db}.otel_traces
WHERE TraceId != ''
GROUP BY TraceId"""


@dataclass(frozen=True)
class Generation:
    """One exporter generation: its DDL statements and how it spells kinds and statuses."""

    name: str
    statements: tuple[str, ...]
    kinds: Mapping[str, str]
    statuses: Mapping[str, str]

    def create(self, wh: Warehouse) -> None:
        """Create the exporter's tables and view in ``wh``'s database."""
        for statement in self.statements:
            wh.command(statement.format(db=wh.database))


_PROTO_KINDS = {k: f"SPAN_KIND_{k.upper()}" for k in ("Server", "Client", "Internal")}
_PROTO_STATUSES = {k: f"STATUS_CODE_{k.upper()}" for k in ("Unset", "Ok", "Error")}
_KINDS = {k: k for k in _PROTO_KINDS}
_STATUSES = {k: k for k in _PROTO_STATUSES}

BLOOM = Generation(
    "bloom",
    (
        _BLOOM_TABLE.format(columns=_COLUMNS.format(delta="Delta", duration="ZSTD(1)"),
                            indexes=_BLOOM_INDEXES, db="{db}"),
        _BLOOM_LOOKUP,
        _LOOKUP_VIEW,
    ),
    _PROTO_KINDS,
    _PROTO_STATUSES,
)


def _current(name: str, indexes: str) -> Generation:
    """The current templates, with text indexes or (servers without them) bloom filters."""
    columns = _COLUMNS.format(delta="Delta(8)", duration="T64, ZSTD(1)")
    table = _CURRENT_TABLE.format(columns=columns, items=_ITEMS, indexes=indexes, db="{db}")
    return Generation(name, (table, _CURRENT_LOOKUP, _LOOKUP_VIEW), _KINDS, _STATUSES)


CURRENT = _current("current", _TEXT_INDEXES)
CURRENT_BLOOM = _current("current-bloom", _BLOOM_INDEXES)
GENERATIONS = (BLOOM, CURRENT, CURRENT_BLOOM)


@dataclass(frozen=True)
class ExporterSpan:
    """A span as the exporter receives it; ``at`` is ``YYYY-MM-DD hh:mm:ss[.fff]`` (UTC)."""

    at: str
    trace_id: str
    span_id: str
    service: str
    name: str
    kind: str = "Server"
    status: str = "Unset"
    status_message: str = ""
    duration_ns: int = 2_000_000
    parent_span_id: str = ""
    attributes: Mapping[str, str] = field(default_factory=dict)
    resource: Mapping[str, str] = field(default_factory=dict)


INSERT_COLUMNS = (
    "Timestamp, TraceId, SpanId, ParentSpanId, TraceState, SpanName, SpanKind, ServiceName, "
    "ResourceAttributes, ScopeName, ScopeVersion, SpanAttributes, Duration, StatusCode, "
    "StatusMessage, Events.Timestamp, Events.Name, Events.Attributes, Links.TraceId, "
    "Links.SpanId, Links.TraceState, Links.Attributes"
)
"""The column list of the exporter's ``traces_insert.sql``."""

_TYPES = (
    "DateTime64(9)", "String", "String", "String", "String", "String", "String", "String",
    "Array(String)", "String", "String", "Array(String)", "UInt64", "String",
    "String",
)


def insert_spans(wh: Warehouse, spans: Sequence[ExporterSpan], generation: Generation,
                 *, table: str = "otel_traces") -> None:
    """Insert ``spans`` as the exporter of ``generation`` does: one INSERT, its column list,
    its spelling of kinds and statuses, ``service.name`` in the resource, no flowscope tags."""
    rows = []
    params: dict[str, Any] = {}
    for i, span in enumerate(spans):
        values = (
            span.at, span.trace_id, span.span_id, span.parent_span_id, "", span.name,
            generation.kinds[span.kind], span.service,
            {"service.name": span.service, **span.resource}, "io.opentelemetry.sdk", "1.45.0",
            dict(span.attributes), span.duration_ns, generation.statuses[span.status],
            span.status_message,
        )
        names = []
        for j, (value, type_) in enumerate(zip(values, _TYPES, strict=True)):
            if isinstance(value, dict):  # maps travel as two bound arrays
                params[f"k{i}_{j}"], params[f"v{i}_{j}"] = list(value), list(value.values())
                names.append(f"mapFromArrays({{k{i}_{j}:Array(String)}}, {{v{i}_{j}:{type_}}})")
            else:
                params[f"v{i}_{j}"] = value
                names.append(f"{{v{i}_{j}:{type_}}}")
        rows.append(f"({', '.join(names)}, [], [], [], [], [], [], [])")
    wh.command(
        f"INSERT INTO {wh.database}.{table} ({INSERT_COLUMNS}) VALUES {', '.join(rows)}", params
    )
