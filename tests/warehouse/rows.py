"""Builders of Arrow tables for ``otel_traces`` and ``business_events`` rows, for tests, in
the collector's schemas (:data:`collector.model.SPAN_SCHEMA`; business events through
:func:`collector.model.events_to_arrow`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pyarrow as pa

from collector.model import SPAN_SCHEMA, BusinessEvent, events_to_arrow


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
    kind: str = "Server"
    service: str = "storefront"
    duration_ns: int = 1_500_000
    status_code: str = "Unset"
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
    """An Arrow table of business_events rows, as ingest builds it
    (:func:`collector.model.events_to_arrow`), ingested now as the column's default would be."""
    return events_to_arrow(
        (BusinessEvent(event_id=e.event_id, source=e.source, type=e.type, time_ns=e.time_ns,
                       subject=e.subject, flow=e.flow, correlation_id=e.correlation_id,
                       outcome=e.outcome, service=e.service, trace_id=e.trace_id,
                       span_id=e.span_id, attributes=tuple(e.attributes.items()),
                       data_json=e.data)
         for e in events), time.time_ns() // 1_000_000)
