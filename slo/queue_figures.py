"""Run counts and the dead-letter queue as gauges for ``/metrics`` (adapter).

:class:`QueueFigures` answers, per flow, the runs started, succeeded and failed since the epoch
(counters: Prometheus takes their ``increase`` over a window) and the dead letters waiting now
with the oldest one's time. A scrape must answer quickly, so nothing here waits for the run
ledger's follower: the rollups are read as they stand (:func:`slo.ledger.ensure_current` with
``catch_up=False``). Every method raises :class:`~warehouse.errors.WarehouseUnavailable` while
the warehouse is not ready and :class:`KeyError` for a flow the catalog does not have.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from catalog.model import Catalog, Flow
from slo.ledger import ensure_current
from slo.rings import to_ns
from slo.rollup_read import oldest_open_dead_letter, read_window
from slo.sli import RunCounts
from warehouse.errors import WarehouseUnavailable
from warehouse.port import Warehouse


class QueueFigures:
    """The figures of the module docstring over ``catalog``'s flows."""

    def __init__(self, catalog: Catalog, warehouse: Callable[[], Warehouse | None]) -> None:
        self._catalog = catalog
        self._warehouse = warehouse

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
        """Runs of ``flow`` started, succeeded and failed before ``at``."""
        wh, chosen = self._ready(flow)
        rollup = read_window(wh, chosen.name, 0, to_ns(at), ["Started", "Valid", "GoodRuns"])
        good = rollup.good_in(0)
        return RunCounts(rollup.started, good, rollup.valid_in(0) - good)

    def waiting(self, flow: str) -> tuple[int, int | None]:
        """How many runs of ``flow`` wait in its dead-letter queue, and when (ns) the oldest
        was dead-lettered (``None`` when none waits)."""
        wh, chosen = self._ready(flow)
        rows = wh.query(
            f"SELECT sum(OpenDead) FROM {wh.database}.flow_rollup_hours FINAL "  # noqa: S608
            "WHERE Flow = {flow:String} AND OpenDead > 0", {"flow": chosen.name})
        count = int(rows[0][0]) if rows and rows[0][0] is not None else 0
        return count, oldest_open_dead_letter(wh, chosen.name) if count else None
