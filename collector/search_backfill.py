"""Indexing the data stored before a flow's search keys were declared (adapter).

The views of ``warehouse/schema/012_search_keys.sql`` index spans and events as they are
stored. A flow that gains search keys (or whose keys change: another key, another redaction)
has older data the views never saw. :class:`SearchBackfill` finds those flows by comparing the
rules the server publishes (:mod:`collector.search_rules`) with what ``search_index_state``
says was indexed, and feeds their stored rows through the same views, one UTC day at a time:
``INSERT INTO search_span_rows SELECT ... FROM otel_traces`` and the same for
``business_events``. The index keeps one row per key, value and run however often a row is fed
(``AggregatingMergeTree``), so a day done twice, or a day the live views also saw, adds
nothing. Progress (the last day done) is recorded after each day, so a restart resumes; the
server runs :meth:`SearchBackfill.sync` on a thread after start, ``flowscope reindex`` runs it
after tagging older spans (:meth:`SearchBackfill.index_days`).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from catalog.model import Catalog
from collector.search_rules import fingerprints, rules_row
from warehouse.port import Warehouse

log = logging.getLogger("flowscope.search")

STATE_TABLE = "search_index_state"


@dataclass(frozen=True)
class IndexProgress:
    """How far the stored data of ``flow`` is indexed for its current keys: ``done`` of
    ``total`` days."""

    flow: str
    done: int
    total: int


class SearchBackfill:
    """Indexes stored data for flows whose search keys changed (module docstring).

    ``clock`` gives nanoseconds since the epoch (state versions).
    """

    def __init__(self, wh: Warehouse, *, clock: Callable[[], int] = time.time_ns) -> None:
        self._wh = wh
        self._clock = clock
        self._lock = threading.Lock()
        self._building: tuple[IndexProgress, ...] = ()

    def building(self) -> tuple[IndexProgress, ...]:
        """The flows whose older data is being indexed now, with their progress."""
        return self._building

    def sync(self, catalog: Catalog) -> tuple[str, ...]:
        """Index the stored data of every flow of ``catalog`` whose keys changed since it was
        last indexed; returns those flows. Raises :class:`~warehouse.errors.WarehouseError`."""
        wanted = fingerprints(rules_row(catalog))
        if not wanted:
            return ()
        with self._lock:
            states = self._states(list(wanted))
            resume: dict[str, date | None] = {}
            for flow, text in wanted.items():
                state = states.get(flow)
                same = state is not None and state.get("fingerprint") == text
                if same and state is not None and state["done"]:
                    continue
                through = state.get("through") if same and state is not None else None
                resume[flow] = date.fromisoformat(str(through)) if through else None
            if not resume:
                return ()
            flows = sorted(resume)
            marks = list(resume.values())
            since = None if any(m is None for m in marks) else min(m for m in marks if m)
            todo = [d for d in self._days(flows) if since is None or d > since]
            log.info("indexing the search keys of %s over %d days of stored data",
                     ", ".join(flows), len(todo))
            began = time.monotonic()
            for i, day in enumerate(todo, start=1):
                self.index_days(flows, [day])
                self._building = tuple(IndexProgress(f, i, len(todo)) for f in flows)
                for flow in flows:
                    self._set_state(flow, wanted[flow], day, done=i, total=len(todo))
            if not todo:
                for flow in flows:
                    self._set_state(flow, wanted[flow], None, done=0, total=0)
            self._building = ()
            log.info("search keys of %s indexed in %.1f s", ", ".join(flows),
                     time.monotonic() - began)
            return tuple(flows)

    def index_days(self, flows: Sequence[str], days: Sequence[date]) -> None:
        """Feed the stored spans and events of ``days`` (UTC) through the search views: the
        tagged ones of ``flows`` and every untagged span carrying a search key."""
        db = self._wh.database
        for day in days:
            lo = datetime(day.year, day.month, day.day, tzinfo=UTC)
            params = {"flows": list(flows), "lo": lo, "hi": lo + timedelta(days=1)}
            self._wh.command(
                f"INSERT INTO {db}.search_span_rows (Timestamp, SpanAttributes, "  # noqa: S608
                "ResourceAttributes) SELECT Timestamp, SpanAttributes, ResourceAttributes "
                f"FROM {db}.otel_traces WHERE Timestamp >= {{lo:DateTime64(9)}} "
                "AND Timestamp < {hi:DateTime64(9)} "
                "AND (has({flows:Array(String)}, SpanAttributes['flowscope.flow']) "
                "OR SpanAttributes['flowscope.correlation_id'] = '')", params)
            self._wh.command(
                f"INSERT INTO {db}.search_event_rows (Time, Flow, CorrelationId, Attributes, "  # noqa: S608
                f"Data) SELECT Time, Flow, CorrelationId, Attributes, Data "
                f"FROM {db}.business_events FINAL WHERE Time >= {{lo:DateTime64(9)}} "
                "AND Time < {hi:DateTime64(9)} AND CorrelationId != '' "
                "AND Flow IN {flows:Array(String)}", params)

    def follow(self, catalog: Catalog, stop: threading.Event) -> None:
        """:meth:`sync` once, retrying every 30 s while the warehouse fails (for a thread)."""
        while not stop.is_set():
            try:
                self.sync(catalog)
                return
            except Exception:
                log.exception("indexing older data for search keys failed; retrying in 30 s")
                self._building = ()
                stop.wait(30.0)

    def _days(self, flows: Sequence[str]) -> list[date]:
        rows = self._wh.query(
            f"SELECT DISTINCT toDate(Timestamp, 'UTC') AS d "  # noqa: S608
            f"FROM {self._wh.database}.correlation_items WHERE Flow IN {{flows:Array(String)}} "
            "ORDER BY d", {"flows": list(flows)})
        return [r[0] if isinstance(r[0], date) else date.fromisoformat(str(r[0])) for r in rows]

    def _states(self, flows: Sequence[str]) -> dict[str, dict[str, object]]:
        rows = self._wh.query(
            f"SELECT Key, Text, Done, Total FROM {self._wh.database}.{STATE_TABLE} FINAL "  # noqa: S608
            "WHERE Key IN {keys:Array(String)}", {"keys": [f"flow:{f}" for f in flows]})
        found: dict[str, dict[str, object]] = {}
        for key, text, done, total in rows:
            try:
                state = json.loads(str(text))
            except ValueError:
                continue
            if isinstance(state, dict):
                found[str(key)[5:]] = {**state, "done": int(done) >= int(total)}
        return found

    def _set_state(self, flow: str, fingerprint: str, through: date | None, *, done: int,
                   total: int) -> None:
        text = json.dumps({"fingerprint": fingerprint,
                           "through": through.isoformat() if through else None})
        self._wh.command(
            f"INSERT INTO {self._wh.database}.{STATE_TABLE} (Key, Version, Text, Done, Total) "  # noqa: S608
            "VALUES ({key:String}, {version:UInt64}, {text:String}, {done:UInt32}, "
            "{total:UInt32})",
            {"key": f"flow:{flow}", "version": self._clock(), "text": text, "done": done,
             "total": total})
