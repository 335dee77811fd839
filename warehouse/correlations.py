"""Correlation lookup: every span and business event of one correlation id, in time order.

A point lookup on ``correlation_items`` (sorted by correlation id, filled by materialized views
from ``otel_traces`` and ``business_events``), never a scan of attribute maps. Replayed rows are
collapsed with ``FINAL``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from warehouse.port import Warehouse
from warehouse.tables import CORRELATION_ITEMS

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NS_PER_MS = 1_000_000


@dataclass(frozen=True)
class TimelineItem:
    """One span (``kind='span'``) or business event (``kind='event'``) of a correlation.

    ``time`` is UTC (microsecond precision); ``duration_ms`` is milliseconds (0 for events).
    ``status`` is ``ok``, ``error`` or ``unset`` (spans: from the OTel status code; events: from
    the outcome, ``success`` → ok, ``failure`` → error). Span fields are "" on events and event
    fields ("event_source", "event_id", "outcome") are "" on spans.
    """

    kind: str
    service: str
    name: str
    time: datetime
    duration_ms: float
    status: str
    status_message: str
    trace_id: str
    span_id: str
    parent_span_id: str
    event_source: str
    event_id: str
    outcome: str


@dataclass(frozen=True)
class Timeline:
    """Everything known about one correlation id, ordered by time then kind.

    ``flow`` is the most common non-empty flow among the items ("" if none has one).
    """

    correlation_id: str
    flow: str
    items: tuple[TimelineItem, ...]


_LOOKUP = """
SELECT
    Flow,
    toUnixTimestamp64Nano(Timestamp) AS TimeNs,
    Kind,
    ServiceName,
    Name,
    DurationNs,
    Status,
    StatusMessage,
    TraceId,
    SpanId,
    ParentSpanId,
    EventSource,
    EventId,
    Outcome
FROM {table} FINAL
WHERE CorrelationId = {{correlation_id:String}}
ORDER BY Timestamp, Kind, TraceId, SpanId, EventSource, EventId
"""


def lookup_correlation(wh: Warehouse, correlation_id: str) -> Timeline | None:
    """The :class:`Timeline` of ``correlation_id``, or None when nothing carries that id.

    The id is a bound parameter: any string is safe to pass.
    """
    sql = _LOOKUP.format(table=f"{wh.database}.{CORRELATION_ITEMS}")
    rows = wh.query(sql, {"correlation_id": correlation_id})
    return timeline_from_rows(correlation_id, rows)


def timeline_from_rows(correlation_id: str, rows: Sequence[Sequence[Any]]) -> Timeline | None:
    """A :class:`Timeline` from lookup rows (columns as in the lookup query); None if no rows."""
    if not rows:
        return None
    items = tuple(_item(row) for row in rows)
    return Timeline(
        correlation_id=correlation_id,
        flow=most_common_flow(str(row[0]) for row in rows),
        items=items,
    )


def most_common_flow(flows: Iterable[str]) -> str:
    """The most frequent non-empty flow; on a tie the one seen first; "" when none."""
    counts = Counter(flow for flow in flows if flow)
    if not counts:
        return ""
    return counts.most_common(1)[0][0]


def _item(row: Sequence[Any]) -> TimelineItem:
    (
        _flow,
        time_ns,
        kind,
        service,
        name,
        duration_ns,
        status,
        status_message,
        trace_id,
        span_id,
        parent_span_id,
        event_source,
        event_id,
        outcome,
    ) = row
    return TimelineItem(
        kind=str(kind),
        service=str(service),
        name=str(name),
        time=_EPOCH + timedelta(microseconds=int(time_ns) // 1000),
        duration_ms=int(duration_ns) / _NS_PER_MS,
        status=str(status),
        status_message=str(status_message),
        trace_id=str(trace_id),
        span_id=str(span_id),
        parent_span_id=str(parent_span_id),
        event_source=str(event_source),
        event_id=str(event_id),
        outcome=str(outcome),
    )
