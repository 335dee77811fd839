"""Evaluate the SLOs of catalog flows at an instant: one SLI query, then pure assembly.

:func:`evaluate_flows` is the function behind ``GET /api/v1/flows`` (status of every flow),
``GET /api/v1/flows/{flow}/slos`` and the benchmark: it resolves each flow's window catalog
(``alerting.windows``, default ``google-30d``), its SLO periods (rolling, or calendar in a time
zone) and maintenance intervals (the catalog's and those declared now,
:mod:`slo.declared_maintenance`), counts every window of every SLO of every flow in **one**
query (:func:`slo.sli_query.count_rings`), adds a slice query per timeslice-budgeted SLO, and
assembles :class:`~slo.status.FlowStatus` values (:func:`slo.status.slo_status`).

Problems that concern one flow or SLO (a window catalog that cannot be loaded, a maintenance
rule that cannot be expanded, a calendar period that cannot be computed) become warnings on
it; only the warehouse failing raises (:class:`~warehouse.errors.WarehouseError`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from catalog.model import Flow, SLOSpec
from slo.burn import WindowCatalog
from slo.declared_maintenance import flow_exclusions
from slo.errors import SLOError
from slo.periods import Period, slo_period
from slo.rings import Rings, counts_since
from slo.sli_query import FlowRules, count_rings, count_slices
from slo.status import FlowStatus, alert_windows, slo_status
from slo.window_loader import load_window_catalog
from warehouse.port import Warehouse

DEFAULT_WINDOWS = "google-30d"
"""The window catalog of flows whose ``alerting.windows`` is not set."""


@dataclass
class WindowCatalogs:
    """Resolves window catalog names, each file read once per instance.

    ``search_dirs`` are looked in before the built-in catalogs (e.g. the flow catalog's
    directory); ``default`` names the catalog of flows that set none.
    """

    search_dirs: tuple[Path, ...] = ()
    default: str = DEFAULT_WINDOWS
    _loaded: dict[str, WindowCatalog | str] = field(default_factory=dict, repr=False)

    def resolve(self, name: str | None) -> WindowCatalog | str:
        """The catalog called ``name`` (or the default), or why it cannot be loaded."""
        chosen = name or self.default
        if chosen not in self._loaded:
            try:
                self._loaded[chosen] = load_window_catalog(chosen, search_dirs=self.search_dirs)
            except SLOError as exc:
                self._loaded[chosen] = f"window catalog {chosen!r} cannot be loaded: {exc}"
        return self._loaded[chosen]


@dataclass(frozen=True)
class _Plan:
    flow: Flow
    windows: WindowCatalog | None
    periods: dict[str, Period | str]
    warnings: tuple[str, ...]


def _period(spec: SLOSpec, at: datetime) -> Period | str:
    try:
        return slo_period(spec, at)
    except SLOError as exc:
        return f"the period of SLO {spec.name!r} cannot be computed: {exc}"


def _plan(flow: Flow, at: datetime, catalogs: WindowCatalogs) -> _Plan:
    resolved = catalogs.resolve(flow.alerting_windows)
    warnings = (resolved,) if isinstance(resolved, str) else ()
    windows = None if isinstance(resolved, str) else resolved
    periods = {spec.name: _period(spec, at) for spec in flow.slos}
    return _Plan(flow, windows, periods, warnings)


def evaluate_flows(wh: Warehouse, flows: Sequence[Flow], at: datetime, *,
                   catalogs: WindowCatalogs | None = None) -> tuple[FlowStatus, ...]:
    """The :class:`~slo.status.FlowStatus` of each of ``flows`` at ``at`` (aware), in order.

    Raises :class:`~warehouse.errors.WarehouseError` when the warehouse fails and
    :class:`~slo.errors.PeriodError` for a naive ``at``.
    """
    catalogs = catalogs or WindowCatalogs()
    plans = [_plan(flow, at, catalogs) for flow in flows]
    starts: set[datetime] = set()
    for plan in plans:
        starts.update(at - w for w in alert_windows(plan.windows))
        starts.update(p.start for p in plan.periods.values() if isinstance(p, Period))
    rings = Rings.of(at, starts)
    rules: dict[str, FlowRules] = {}
    notes: dict[str, str] = {}
    for plan in plans:
        intervals, note = flow_exclusions(wh, plan.flow, rings.earliest, at)
        rules[plan.flow.name] = FlowRules.of(plan.flow, intervals)
        notes[plan.flow.name] = note
    counted = count_rings(wh, [rules[p.flow.name] for p in plans if p.flow.slos], rings)
    results = []
    for plan in plans:
        flow_rules = rules[plan.flow.name]
        statuses = []
        flow_warnings = list(plan.warnings)
        for spec in plan.flow.slos:
            period = plan.periods[spec.name]
            if isinstance(period, str):
                flow_warnings.append(f"{period}; the SLO is left out")
                continue
            mode = flow_rules.mode(spec.latency.threshold if spec.latency else None)
            rows = counted.get((plan.flow.name, mode), ())
            windows = {w: counts_since(rings, at - w, rows) for w in alert_windows(plan.windows)}
            slices = None
            if spec.budgeting != "occurrences" and spec.timeslice is not None:
                slices = count_slices(wh, flow_rules, mode, period.start, at, spec.timeslice)
            warnings = tuple(w for w in (*plan.warnings, notes[plan.flow.name]) if w)
            statuses.append(slo_status(
                plan.flow.name, spec, at=at, period=period,
                counts=counts_since(rings, period.start, rows), window_counts=windows,
                window_catalog=plan.windows, slices=slices, warnings=warnings))
        results.append(FlowStatus(plan.flow.name, at, tuple(statuses), tuple(flow_warnings)))
    return tuple(results)


def evaluate_flow(wh: Warehouse, flow: Flow, at: datetime, *,
                  catalogs: WindowCatalogs | None = None) -> FlowStatus:
    """The status of one flow (see :func:`evaluate_flows`)."""
    return evaluate_flows(wh, [flow], at, catalogs=catalogs)[0]
