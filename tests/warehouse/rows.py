"""Builders of Arrow tables for ``otel_traces`` and ``business_events`` rows, for tests.

Arrow types follow the warehouse contract: ``pa.timestamp('ns')`` for DateTime64(9),
``pa.map_(pa.string(), pa.string())`` for Map columns, ``pa.uint64()`` for Duration, and the
Nested columns as separate list columns named ``Events.Timestamp`` and so on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pyarrow as pa

_ATTRS = pa.map_(pa.string(), pa.string())
_NS = pa.timestamp("ns")

SPAN_SCHEMA = pa.schema(
    [
        ("Timestamp", _NS),
        ("TraceId", pa.string()),
        ("SpanId", pa.string()),
        ("ParentSpanId", pa.string()),
        ("TraceState", pa.string()),
        ("SpanName", pa.string()),
        ("SpanKind", pa.string()),
        ("ServiceName", pa.string()),
        ("ResourceAttributes", _ATTRS),
        ("ScopeName", pa.string()),
        ("ScopeVersion", pa.string()),
        ("SpanAttributes", _ATTRS),
        ("Duration", pa.uint64()),
        ("StatusCode", pa.string()),
        ("StatusMessage", pa.string()),
        ("Events.Timestamp", pa.list_(_NS)),
        ("Events.Name", pa.list_(pa.string())),
        ("Events.Attributes", pa.list_(_ATTRS)),
        ("Links.TraceId", pa.list_(pa.string())),
        ("Links.SpanId", pa.list_(pa.string())),
        ("Links.TraceState", pa.list_(pa.string())),
        ("Links.Attributes", pa.list_(_ATTRS)),
    ]
)

EVENT_SCHEMA = pa.schema(
    [
        ("EventId", pa.string()),
        ("Source", pa.string()),
        ("Type", pa.string()),
        ("Time", pa.timestamp("ns", tz="UTC")),
        ("Subject", pa.string()),
        ("Flow", pa.string()),
        ("CorrelationId", pa.string()),
        ("Outcome", pa.string()),
        ("ServiceName", pa.string()),
        ("TraceId", pa.string()),
        ("SpanId", pa.string()),
        ("Attributes", _ATTRS),
        ("Data", pa.string()),
    ]
)


def ns(moment: datetime) -> int:
    """Nanoseconds since the epoch of an aware datetime (microsecond precision)."""
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000


@dataclass(frozen=True)
class SpanEvent:
    """An event inside a span (the Events Nested column)."""

    time_ns: int
    name: str
    attributes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SpanLink:
    """A link to another span (the Links Nested column)."""

    trace_id: str
    span_id: str
    trace_state: str = ""
    attributes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Span:
    """One otel_traces row; ``start_ns`` is the span start, ``duration_ns`` its length."""

    start_ns: int
    trace_id: str = "0af7651916cd43dd8448eb211c80319c"
    span_id: str = "b7ad6b7169203331"
    parent_span_id: str = ""
    name: str = "checkout"
    kind: str = "SPAN_KIND_SERVER"
    service: str = "storefront"
    duration_ns: int = 1_500_000
    status_code: str = "STATUS_CODE_UNSET"
    status_message: str = ""
    attributes: Mapping[str, str] = field(default_factory=dict)
    resource: Mapping[str, str] = field(default_factory=dict)
    events: Sequence[SpanEvent] = ()
    links: Sequence[SpanLink] = ()


@dataclass(frozen=True)
class Event:
    """One business_events row."""

    event_id: str
    time_ns: int
    type: str = "OrderPlaced"
    source: str = "shop"
    subject: str = ""
    flow: str = ""
    correlation_id: str = ""
    outcome: str = ""
    service: str = ""
    trace_id: str = ""
    span_id: str = ""
    attributes: Mapping[str, str] = field(default_factory=dict)
    data: str = ""


def _attrs(mapping: Mapping[str, str]) -> list[tuple[str, str]]:
    return list(mapping.items())


def spans_table(spans: Sequence[Span]) -> pa.Table:
    """An Arrow table in the exact otel_traces insert shape."""
    columns = {
        "Timestamp": [s.start_ns for s in spans],
        "TraceId": [s.trace_id for s in spans],
        "SpanId": [s.span_id for s in spans],
        "ParentSpanId": [s.parent_span_id for s in spans],
        "TraceState": ["" for _ in spans],
        "SpanName": [s.name for s in spans],
        "SpanKind": [s.kind for s in spans],
        "ServiceName": [s.service for s in spans],
        "ResourceAttributes": [_attrs({"service.name": s.service, **s.resource}) for s in spans],
        "ScopeName": ["tests" for _ in spans],
        "ScopeVersion": ["1.0" for _ in spans],
        "SpanAttributes": [_attrs(s.attributes) for s in spans],
        "Duration": [s.duration_ns for s in spans],
        "StatusCode": [s.status_code for s in spans],
        "StatusMessage": [s.status_message for s in spans],
        "Events.Timestamp": [[e.time_ns for e in s.events] for s in spans],
        "Events.Name": [[e.name for e in s.events] for s in spans],
        "Events.Attributes": [[_attrs(e.attributes) for e in s.events] for s in spans],
        "Links.TraceId": [[link.trace_id for link in s.links] for s in spans],
        "Links.SpanId": [[link.span_id for link in s.links] for s in spans],
        "Links.TraceState": [[link.trace_state for link in s.links] for s in spans],
        "Links.Attributes": [[_attrs(link.attributes) for link in s.links] for s in spans],
    }
    return pa.table(columns, schema=SPAN_SCHEMA)


def events_table(events: Sequence[Event]) -> pa.Table:
    """An Arrow table of business_events rows (IngestedAt left to its default)."""
    columns = {
        "EventId": [e.event_id for e in events],
        "Source": [e.source for e in events],
        "Type": [e.type for e in events],
        "Time": [e.time_ns for e in events],
        "Subject": [e.subject for e in events],
        "Flow": [e.flow for e in events],
        "CorrelationId": [e.correlation_id for e in events],
        "Outcome": [e.outcome for e in events],
        "ServiceName": [e.service for e in events],
        "TraceId": [e.trace_id for e in events],
        "SpanId": [e.span_id for e in events],
        "Attributes": [_attrs(e.attributes) for e in events],
        "Data": [e.data for e in events],
    }
    return pa.table(columns, schema=EVENT_SCHEMA)
