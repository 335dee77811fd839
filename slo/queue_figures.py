"""Run counts and the dead-letter queue as gauges for ``/metrics`` (adapter).

:class:`QueueFigures` answers, per flow, the runs started, succeeded and failed since the epoch
(counters: Prometheus takes their ``increase`` over a window) and the dead letters waiting now
with the oldest one's time. A scrape must answer quickly, so nothing here waits for the run
ledger's follower: the rollups are read as they stand (:func:`slo.ledger.ensure_current` with
``catch_up=False``). Every method raises :class:`~warehouse.errors.WarehouseUnavailable` while
the warehouse is not ready and :class:`KeyError` for a flow the catalog does not have.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime

from catalog.model import Catalog, Flow
from slo.ledger import ensure_current
from slo.rings import to_ns
from slo.rollup import Rollup
from slo.rollup_read import oldest_open_dead_letter, read_rollups
from slo.segments import Segment
from slo.sli import RunCounts
from warehouse.errors import WarehouseUnavailable
from warehouse.port import Warehouse

SCRAPE_S = 1.0
"""How long the dead-letter counts read for one flow answer the other flows (one scrape asks
them one flow after another)."""


class QueueFigures:
    """The figures of the module docstring over ``catalog``'s flows."""

    def __init__(self, catalog: Catalog, warehouse: Callable[[], Warehouse | None]) -> None:
        self._catalog = catalog
        self._warehouse = warehouse
        self._lock = threading.Lock()
        self._totals_at: datetime | None = None
        self._totals: dict[tuple[str, int], Rollup] = {}
        self._waiting: dict[str, int] | None = None
        self._waiting_read = 0.0

    def _ready(self, name: str) -> tuple[Warehouse, Flow]:
        wh = self._warehouse()
        if wh is None:
            raise WarehouseUnavailable("the warehouse is not ready yet")
        flow = self._catalog.flow(name)
        if flow is None:
            raise KeyError(f"no flow named {name!r} in the catalog")
        ensure_current(wh, [flow], catch_up=False)
        return wh, flow

    def run_totals(self, flow: str, at: datetime) -> RunCounts:
        """Runs of ``flow`` started, succeeded and failed before ``at``. The first call for an
        ``at`` reads every flow of the catalog in one query; the others with that ``at`` (the
        rest of a scrape) are answered from it."""
        wh, chosen = self._ready(flow)
        with self._lock:
            if self._totals_at != at:
                self._totals = read_rollups(
                    wh, {f.name: [Segment(1, 0, to_ns(at))] for f in self._catalog.flows},
                    ["Started", "Valid", "GoodRuns"])
                self._totals_at = at
            rollup = self._totals.get((chosen.name, 1), Rollup())
        good = rollup.good_in(0)
        return RunCounts(rollup.started, good, rollup.valid_in(0) - good)

    def waiting(self, flow: str) -> tuple[int, int | None]:
        """How many runs of ``flow`` wait in its dead-letter queue, and when (ns) the oldest
        was dead-lettered (``None`` when none waits). The counts of every flow are read in one
        query, kept for :data:`SCRAPE_S` (the rest of a scrape)."""
        wh, chosen = self._ready(flow)
        with self._lock:
            if self._waiting is None or time.monotonic() - self._waiting_read > SCRAPE_S:
                rows = wh.query(
                    f"SELECT Flow, sum(OpenDead) FROM {wh.database}.flow_rollup_hours FINAL "  # noqa: S608
                    "WHERE Flow IN {flows:Array(String)} AND OpenDead > 0 GROUP BY Flow",
                    {"flows": [f.name for f in self._catalog.flows]})
                self._waiting = {str(f): int(n) for f, n in rows}
                self._waiting_read = time.monotonic()
            count = self._waiting.get(chosen.name, 0)
        return count, oldest_open_dead_letter(wh, chosen.name) if count else None
