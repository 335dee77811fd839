"""Counts about flows for the alert evaluator, read from the flow rollups.

:class:`WarehouseSignals` has the methods of ``alerts.signals.FlowSignals`` (``slo_counts``,
``run_counts``, ``oldest_dead_letter``); ``run_counts`` returns a
:class:`~slo.sli.RunCounts`, the value the alert rules read. Every method raises
:class:`~warehouse.errors.WarehouseUnavailable` while the warehouse is not ready, and
:class:`KeyError` for a flow or SLO the catalog does not have.

Semantics match the SLO routes: runs count when they became determinate (:mod:`slo.runs`);
``slo_counts`` leaves out maintenance like the SLIs do, ``run_counts`` does not (silencing
during maintenance is the alert room's business). ``slo_counts`` answers every window ending at
the same instant from one query (the flow's alerting windows and SLO periods, kept for the
last few instants asked); another start costs a query of its own.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime

from catalog.model import Catalog, Flow, SLOSpec
from slo.declared_maintenance import flow_exclusions
from slo.errors import SLOError
from slo.evaluation import WindowCatalogs
from slo.ledger import ensure_current
from slo.periods import slo_period
from slo.rings import RingCount, Rings, counts_since, from_ns, to_ns
from slo.rollup_read import oldest_open_dead_letter, read_window
from slo.sli import Counts, RunCounts
from slo.sli_query import FlowRules, count_rings
from slo.status import alert_windows
from warehouse.port import Warehouse, ready_warehouse

_Cached = tuple[Rings, dict[tuple[str, int], tuple[RingCount, ...]]]


class WarehouseSignals:
    """Flow counts for alert rules, over the catalog's flows (see the module docstring)."""

    def __init__(self, catalog: Catalog, warehouse: Callable[[], Warehouse | None], *,
                 catalogs: WindowCatalogs | None = None, cache_size: int = 8,
                 catch_up: bool = True) -> None:
        """``catch_up`` False (for a metrics scrape) reads the rollups as they stand, without
        doing or waiting for the follower's work (:func:`slo.ledger.ensure_current`)."""
        self._catch_up = catch_up
        self._catalog = catalog
        self._warehouse = warehouse
        self._catalogs = catalogs or WindowCatalogs()
        self._cache: OrderedDict[tuple[str, datetime], _Cached] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def _wh(self) -> Warehouse:
        return ready_warehouse(self._warehouse)

    def _flow(self, name: str) -> Flow:
        flow = self._catalog.flow(name)
        if flow is None:
            raise KeyError(f"no flow named {name!r} in the catalog")
        return flow

    @staticmethod
    def _slo(flow: Flow, name: str) -> SLOSpec:
        for spec in flow.slos:
            if spec.name == name:
                return spec
        raise KeyError(f"flow {flow.name!r} has no SLO named {name!r}")

    def _rings(self, flow: Flow, end: datetime, start: datetime) -> _Cached:
        key = (flow.name, end)
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None and start in cached[0].starts:
            return cached
        resolved = self._catalogs.resolve(flow.alerting_windows)
        windows = alert_windows(None if isinstance(resolved, str) else resolved)
        starts = {end - w for w in windows} | {start}
        for spec in flow.slos:
            try:
                starts.add(slo_period(spec, end).start)
            except SLOError:
                continue
        rings = Rings.of(end, starts)
        intervals, _ = flow_exclusions(self._wh(), flow, rings.earliest, end)
        rows = count_rings(self._wh(), [FlowRules.of(flow, intervals)], rings,
                           catch_up=self._catch_up)
        with self._lock:
            self._cache[key] = (rings, rows)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return rings, rows

    def slo_counts(self, flow: str, slo: str, start: datetime, end: datetime) -> Counts:
        """Good and valid runs of SLO ``slo`` of ``flow`` that became determinate in
        ``[start, end)``, maintenance left out."""
        chosen = self._flow(flow)
        spec = self._slo(chosen, slo)
        if end <= start:
            return Counts(0, 0)
        rings, rows = self._rings(chosen, end, start)
        mode = FlowRules.of(chosen).mode(spec.latency.threshold if spec.latency else None)
        return counts_since(rings, start, rows.get((chosen.name, mode), ()))

    def run_counts(self, flow: str, start: datetime, end: datetime) -> RunCounts:
        """Runs of ``flow`` started, succeeded and failed in ``[start, end)``."""
        chosen = self._flow(flow)
        wh = self._wh()
        ensure_current(wh, [chosen], catch_up=self._catch_up)
        rollup = read_window(wh, chosen.name, to_ns(start), to_ns(end),
                             ["Started", "Valid", "GoodRuns"])
        good = rollup.good_in(0)
        return RunCounts(rollup.started, good, rollup.valid_in(0) - good)

    def oldest_dead_letter(self, flow: str, at: datetime) -> datetime | None:
        """When the oldest run of ``flow`` that was dead-lettered and has not succeeded since
        was dead-lettered (as the data stands; ``None`` when there is none, or it lies after
        ``at``)."""
        chosen = self._flow(flow)
        wh = self._wh()
        ensure_current(wh, [chosen], catch_up=self._catch_up)
        oldest = oldest_open_dead_letter(wh, chosen.name)
        return None if oldest is None or oldest > to_ns(at) else from_ns(oldest)
