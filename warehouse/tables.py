"""Names and expected columns of the tables flowscope reads and writes. Pure data.

Column types are spelled as ClickHouse reports them in ``system.columns`` (Nested columns
appear flattened as ``Events.Timestamp Array(DateTime64(9))`` and so on); this is also the
column order and naming an Arrow table for :meth:`warehouse.port.Warehouse.insert_arrow` uses.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

OTEL_TRACES: Final = "otel_traces"
OTEL_TRACES_TRACE_ID_TS: Final = "otel_traces_trace_id_ts"
BUSINESS_EVENTS: Final = "business_events"
CORRELATION_ITEMS: Final = "correlation_items"
MIGRATIONS: Final = "flowscope_migrations"

_ATTRIBUTES = "Map(LowCardinality(String), String)"
_LC = "LowCardinality(String)"

OTEL_TRACES_COLUMNS: Final = MappingProxyType(
    {
        "Timestamp": "DateTime64(9)",
        "TraceId": "String",
        "SpanId": "String",
        "ParentSpanId": "String",
        "TraceState": "String",
        "SpanName": _LC,
        "SpanKind": _LC,
        "ServiceName": _LC,
        "ResourceAttributes": _ATTRIBUTES,
        "ScopeName": "String",
        "ScopeVersion": "String",
        "SpanAttributes": _ATTRIBUTES,
        "Duration": "UInt64",
        "StatusCode": _LC,
        "StatusMessage": "String",
        "Events.Timestamp": "Array(DateTime64(9))",
        "Events.Name": f"Array({_LC})",
        "Events.Attributes": f"Array({_ATTRIBUTES})",
        "Links.TraceId": "Array(String)",
        "Links.SpanId": "Array(String)",
        "Links.TraceState": "Array(String)",
        "Links.Attributes": f"Array({_ATTRIBUTES})",
    }
)
"""``otel_traces`` as the OpenTelemetry Collector ClickHouse exporter creates it."""

BUSINESS_EVENTS_COLUMNS: Final = MappingProxyType(
    {
        "EventId": "String",
        "Source": _LC,
        "Type": _LC,
        "Time": "DateTime64(9, 'UTC')",
        "Subject": "String",
        "Flow": _LC,
        "CorrelationId": "String",
        "Outcome": _LC,
        "ServiceName": _LC,
        "TraceId": "String",
        "SpanId": "String",
        "Attributes": _ATTRIBUTES,
        "Data": "String",
        "IngestedAt": "DateTime64(3, 'UTC')",
    }
)
"""``business_events``; ``IngestedAt`` defaults to the insert time when omitted."""

CORRELATION_ITEMS_COLUMNS: Final = MappingProxyType(
    {
        "CorrelationId": "String",
        "Flow": _LC,
        "Timestamp": "DateTime64(9)",
        "Kind": _LC,
        "TraceId": "String",
        "SpanId": "String",
        "ParentSpanId": "String",
        "ServiceName": _LC,
        "Name": "String",
        "DurationNs": "UInt64",
        "Status": _LC,
        "StatusMessage": "String",
        "EventSource": "String",
        "EventId": "String",
        "Outcome": _LC,
    }
)
"""``correlation_items``: one row per span (``Kind='span'``) or event (``'event'``)."""

EXPECTED_COLUMNS: Final = MappingProxyType(
    {
        OTEL_TRACES: OTEL_TRACES_COLUMNS,
        BUSINESS_EVENTS: BUSINESS_EVENTS_COLUMNS,
        CORRELATION_ITEMS: CORRELATION_ITEMS_COLUMNS,
    }
)
"""Tables whose columns :func:`warehouse.migrations.verify_schema` checks."""
