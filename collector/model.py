"""Values the collector's decoders return, and their Arrow shapes for ``insert_arrow``.

Decoders never raise for a single bad item: a span or event that fails validation is left out
of the result and described by an :class:`ItemError`; only an undecodable body raises
:class:`collector.errors.DecodeError`.

The Arrow schemas match the warehouse tables column for column:

* :data:`SPAN_SCHEMA` — ``otel_traces`` (the OpenTelemetry Collector ClickHouse exporter schema);
  its ``Nested`` columns are separate list columns named ``Events.Timestamp``, ``Links.TraceId``...
* :data:`BUSINESS_EVENT_SCHEMA` — ``business_events``; build one with :func:`events_to_arrow`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pyarrow as pa

MAX_ITEMS_PER_REQUEST = 100_000
"""Most spans, log records or events one request may carry. OTel SDK exporters send 512 by
default; a bigger request is refused whole (413) before any per-item work, so a small body of
many empty items cannot cost memory and time in proportion to its item count."""

STRING_MAP = pa.map_(pa.string(), pa.string())
"""Arrow type of every ``Map(LowCardinality(String), String)`` column."""

SPAN_SCHEMA = pa.schema(
    [
        pa.field("Timestamp", pa.timestamp("ns")),
        pa.field("TraceId", pa.string()),
        pa.field("SpanId", pa.string()),
        pa.field("ParentSpanId", pa.string()),
        pa.field("TraceState", pa.string()),
        pa.field("SpanName", pa.string()),
        pa.field("SpanKind", pa.string()),
        pa.field("ServiceName", pa.string()),
        pa.field("ResourceAttributes", STRING_MAP),
        pa.field("ScopeName", pa.string()),
        pa.field("ScopeVersion", pa.string()),
        pa.field("SpanAttributes", STRING_MAP),
        pa.field("Duration", pa.uint64()),
        pa.field("StatusCode", pa.string()),
        pa.field("StatusMessage", pa.string()),
        pa.field("Events.Timestamp", pa.list_(pa.timestamp("ns"))),
        pa.field("Events.Name", pa.list_(pa.string())),
        pa.field("Events.Attributes", pa.list_(STRING_MAP)),
        pa.field("Links.TraceId", pa.list_(pa.string())),
        pa.field("Links.SpanId", pa.list_(pa.string())),
        pa.field("Links.TraceState", pa.list_(pa.string())),
        pa.field("Links.Attributes", pa.list_(STRING_MAP)),
    ]
)
"""Columns of ``otel_traces``, in table order. Timestamps are ns since the epoch, UTC."""

BUSINESS_EVENT_SCHEMA = pa.schema(
    [
        pa.field("EventId", pa.string()),
        pa.field("Source", pa.string()),
        pa.field("Type", pa.string()),
        pa.field("Time", pa.timestamp("ns", tz="UTC")),
        pa.field("Subject", pa.string()),
        pa.field("Flow", pa.string()),
        pa.field("CorrelationId", pa.string()),
        pa.field("Outcome", pa.string()),
        pa.field("ServiceName", pa.string()),
        pa.field("TraceId", pa.string()),
        pa.field("SpanId", pa.string()),
        pa.field("Attributes", STRING_MAP),
        pa.field("Data", pa.string()),
        pa.field("IngestedAt", pa.timestamp("ms", tz="UTC")),
    ]
)
"""Columns of ``business_events``, in table order."""


@dataclass(frozen=True)
class ItemError:
    """Why one span or event of a request was rejected.

    ``index`` is the 0-based position of the rejected item in the request (spans are counted
    across all resources and scopes, in order); ``field`` is a path such as
    ``resourceSpans[0].scopeSpans[1].spans[3].traceId`` or ``events[2].specversion``.
    """

    index: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


@dataclass(frozen=True)
class DecodedSpans:
    """The valid spans of one OTLP request as an Arrow table with :data:`SPAN_SCHEMA`.

    ``accepted`` is ``table.num_rows``; ``rejected`` counts the spans described by ``errors``
    (one error per rejected span).
    """

    table: pa.Table
    accepted: int
    rejected: int
    errors: tuple[ItemError, ...] = ()


@dataclass(frozen=True)
class BusinessEvent:
    """One business event, from CloudEvents or from an OpenTelemetry log event.

    ``time_ns`` is nanoseconds since the Unix epoch (UTC). ``outcome`` is ``"start"``,
    ``"success"``, ``"failure"`` or ``""``. ``flow`` and ``correlation_id`` are ``""`` when the
    event belongs to no flow run. ``attributes`` are (key, value) pairs, already redacted, in
    arrival order. ``data_json`` is the event's data as compact JSON text, ``""`` if none.
    """

    event_id: str
    source: str
    type: str
    time_ns: int
    subject: str = ""
    flow: str = ""
    correlation_id: str = ""
    outcome: str = ""
    service: str = ""
    trace_id: str = ""
    span_id: str = ""
    attributes: tuple[tuple[str, str], ...] = ()
    data_json: str = ""

    def attribute(self, key: str) -> str | None:
        """The value of attribute ``key``, or ``None``."""
        for k, v in self.attributes:
            if k == key:
                return v
        return None


@dataclass(frozen=True)
class DecodedEvents:
    """The valid business events of one request.

    ``rejected`` counts the items described by ``errors`` (one error per rejected item).
    ``ignored`` counts well-formed items that are not business events — OTLP log records
    without an event name — which are neither stored here nor errors.
    """

    events: tuple[BusinessEvent, ...]
    rejected: int = 0
    errors: tuple[ItemError, ...] = ()
    ignored: int = 0
    origins: tuple[tuple[int, str], ...] = ()
    """Where each of ``events`` was in the request: (index, path such as ``events[2]``), in
    the same order; empty when not known (then index ``i`` and no path)."""

    def origin(self, i: int) -> tuple[int, str]:
        """(index, path) of ``events[i]`` in the request."""
        return self.origins[i] if i < len(self.origins) else (i, "")


def string_map_array(
    keys: Sequence[str], values: Sequence[str], offsets: Sequence[int]
) -> pa.MapArray:
    """A ``map<string, string>`` array from flat keys/values and ``len(rows) + 1`` offsets."""
    return pa.MapArray.from_arrays(
        pa.array(offsets, pa.int32()),
        pa.array(keys, pa.string()),
        pa.array(values, pa.string()),
        type=STRING_MAP,
    )


def events_to_arrow(events: Iterable[BusinessEvent], ingested_at_ms: int) -> pa.Table:
    """Business events as an Arrow table with :data:`BUSINESS_EVENT_SCHEMA`.

    ``ingested_at_ms`` (milliseconds since the epoch, UTC) fills ``IngestedAt`` on every row.
    """
    rows = tuple(events)
    keys: list[str] = []
    values: list[str] = []
    offsets = [0]
    for e in rows:
        for k, v in e.attributes:
            keys.append(k)
            values.append(v)
        offsets.append(len(keys))

    def col(name: str) -> pa.Array:
        return pa.array([getattr(e, name) for e in rows], pa.string())

    columns = [
        col("event_id"),
        col("source"),
        col("type"),
        pa.array([e.time_ns for e in rows], pa.int64()).cast(pa.timestamp("ns", tz="UTC")),
        col("subject"),
        col("flow"),
        col("correlation_id"),
        col("outcome"),
        col("service"),
        col("trace_id"),
        col("span_id"),
        string_map_array(keys, values, offsets),
        col("data_json"),
        pa.array([ingested_at_ms] * len(rows), pa.int64()).cast(pa.timestamp("ms", tz="UTC")),
    ]
    return pa.Table.from_arrays(columns, schema=BUSINESS_EVENT_SCHEMA)
