"""Correlation lookup: every span and business event of one correlation id, in time order.

A point lookup on ``correlation_items`` (sorted by correlation id, filled by materialized views
from ``otel_traces`` and ``business_events``), never a scan of attribute maps. Replayed rows are
collapsed with ``FINAL``.

One hot id can carry hundreds of thousands of items, so a lookup reads one page: at most
``limit`` items (:data:`MAX_PAGE` at most) after an opaque ``cursor`` (the sort key of the last
item of the previous page, from :attr:`Timeline.next_cursor`), plus the count of all items and
the id's flow from one small aggregate. Memory per lookup is bounded by the page, whatever the
id holds.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from warehouse.errors import InvalidCursor
from warehouse.port import Warehouse
from warehouse.tables import CORRELATION_ITEMS

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NS_PER_MS = 1_000_000

MAX_PAGE = 10_000
"""Most items one lookup returns."""
MAX_CURSOR_CHARS = 4096
"""Longest cursor accepted, in characters (a real one is far shorter)."""


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
    """One page of what is known about a correlation id, ordered by time then kind.

    ``flow`` is the most common non-empty flow among all its items ("" if none has one);
    ``total`` counts all its items (None: ``items`` are all of them); ``next_cursor`` is where
    the next page starts (None on the last page).
    """

    correlation_id: str
    flow: str
    items: tuple[TimelineItem, ...]
    total: int | None = None
    next_cursor: str | None = None

    @property
    def count(self) -> int:
        """How many items the id carries in all (``total``, else the items held)."""
        return len(self.items) if self.total is None else self.total


_COLUMNS = """
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
    Outcome"""

_PAGE = """
SELECT {columns}
FROM {table} FINAL
WHERE CorrelationId = {{correlation_id:String}}{after}
ORDER BY Timestamp, Kind, TraceId, SpanId, EventSource, EventId
LIMIT {{limit:UInt32}}
"""

_AFTER = """
  AND Timestamp >= fromUnixTimestamp64Nano({after_ns:Int64})
  AND (toUnixTimestamp64Nano(Timestamp), Kind, TraceId, SpanId, EventSource, EventId)
      > ({after_ns:Int64}, {after_kind:String}, {after_trace:String}, {after_span:String},
         {after_source:String}, {after_event:String})"""

_SUMMARY = """
SELECT Flow, count() AS Items,
       min((Timestamp, Kind, TraceId, SpanId, EventSource, EventId)) AS First
FROM {table} FINAL
WHERE CorrelationId = {{correlation_id:String}}
GROUP BY Flow
"""

_CURSOR_FIELDS = ("after_ns", "after_kind", "after_trace", "after_span", "after_source",
                  "after_event")


def lookup_correlation(
    wh: Warehouse, correlation_id: str, *, limit: int = MAX_PAGE, cursor: str | None = None
) -> Timeline | None:
    """One page of the :class:`Timeline` of ``correlation_id``: at most ``limit`` items
    (clamped to 1..:data:`MAX_PAGE`) after ``cursor`` (a :attr:`Timeline.next_cursor`), with
    the count of all items and the id's flow; None when nothing carries that id.

    The id is a bound parameter: any string is safe to pass. A cursor this code did not write
    raises :class:`~warehouse.errors.InvalidCursor`.
    """
    after = decode_cursor(cursor) if cursor else None
    table = f"{wh.database}.{CORRELATION_ITEMS}"
    summary = wh.query(_SUMMARY.format(table=table), {"correlation_id": correlation_id})
    if not summary:
        return None
    size = max(1, min(limit, MAX_PAGE))
    parameters: dict[str, Any] = {"correlation_id": correlation_id, "limit": size + 1}
    if after is not None:
        parameters.update(zip(_CURSOR_FIELDS, after, strict=True))
    sql = _PAGE.format(columns=_COLUMNS, table=table, after=_AFTER if after else "")
    rows = wh.query(sql, parameters)
    more = len(rows) > size
    rows = rows[:size]
    return Timeline(
        correlation_id=correlation_id,
        flow=most_common_flow((str(flow), int(n), first) for flow, n, first in summary),
        items=tuple(_item(row) for row in rows),
        total=sum(int(n) for _, n, _ in summary),
        next_cursor=encode_cursor(rows[-1]) if more and rows else None,
    )


def encode_cursor(row: Sequence[Any]) -> str:
    """The opaque cursor after a lookup row (its sort key as URL-safe base64 JSON)."""
    key = [int(row[1]), str(row[2]), str(row[8]), str(row[9]), str(row[11]), str(row[12])]
    text = json.dumps(key, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(text).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, str, str, str, str, str]:
    """The sort key in a cursor written by :func:`encode_cursor`; InvalidCursor otherwise."""
    if len(cursor) > MAX_CURSOR_CHARS:
        raise InvalidCursor(f"cursor is longer than {MAX_CURSOR_CHARS} characters")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (ValueError, TypeError):
        raise InvalidCursor("cursor is not one this server wrote (pass next_cursor back "
                            "unchanged)") from None
    if (not isinstance(key, list) or len(key) != 6 or type(key[0]) is not int
            or not 0 <= key[0] < 2**63 or not all(isinstance(k, str) for k in key[1:])):
        raise InvalidCursor("cursor is not one this server wrote (pass next_cursor back "
                            "unchanged)")
    return (key[0], key[1], key[2], key[3], key[4], key[5])


def most_common_flow(flows: Iterable[tuple[str, int, Any]]) -> str:
    """The flow carried by most items, from ``(flow, items, first)`` per flow (``first``: the
    sort key of its first item); on a tie the one seen first; empty flows never count; ""
    when none is left."""
    counted = [(-items, first, flow) for flow, items, first in flows if flow]
    return min(counted)[2] if counted else ""


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
