"""The dashboards' read model: one facade over the SLO, cost, alert and correlation read APIs.

Callbacks call :class:`ReadModel` and nothing else: no SQL here either, only the rooms' own
read functions (:func:`slo.evaluation.evaluate_flows`, :func:`cost.reports.roi_report`,
:func:`warehouse.correlations.lookup_correlation`, the alert evaluator's snapshot). Every
failure becomes a :mod:`dashboards.errors` error whose message the page shows.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from alerts.evaluator import AlertEvaluator
from catalog.durations import format_duration
from catalog.model import Catalog, Flow, Release
from catalog.sources import catalog_dir
from cost.errors import CostError
from cost.reports import FlowRoi, roi_report
from dashboards.errors import NotReady, ReadFailed
from dashboards.model import (
    AlertRow,
    BudgetPoint,
    FlowCard,
    FlowHealthCard,
    FlowTimeView,
    Oncall,
    PartnerShare,
    ReleaseView,
    Scorecard,
    SloCard,
    TierBurn,
    period_range,
)
from dashboards.run_views import (
    FLOW_TIME_RANGE,
    HEALTH_RANGE,
    INFLOW_STEP,
    flow_time_view,
    health_card,
)
from slo.attribution import partner_budgets
from slo.attribution_query import SloPeriod, bad_runs_by_step
from slo.errors import SLOError
from slo.evaluation import WindowCatalogs, evaluate_flows
from slo.flow_time_histogram import flow_time_histogram
from slo.health_query import dead_letter_series, flow_health
from slo.status import FlowStatus
from warehouse.correlations import Timeline, lookup_correlation
from warehouse.errors import WarehouseError, public_message
from warehouse.port import Warehouse

log = logging.getLogger("flowscope.dashboards")

TRACE_PAGE_ITEMS = 1_000
"""Items the trace page shows at most (the first ones in time order; it says how many there
are in all)."""

BURNDOWN_POINTS = 8
"""How many instants of the period the budget burn-down evaluates (one query each)."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


@contextmanager
def _reading(view: str) -> Iterator[None]:
    try:
        yield
    except WarehouseError as exc:
        log.warning("the %s could not be read: %s", view, exc)
        raise ReadFailed(f"the {view} could not be read: {public_message(exc)}") from exc
    except (SLOError, CostError, ValueError) as exc:
        raise ReadFailed(f"the {view} could not be computed: {exc}") from exc


def _slo_cards(status: FlowStatus | None) -> tuple[SloCard, ...]:
    if status is None:
        return ()
    return tuple(SloCard(s.name, s.objective, s.sli, s.budget_remaining, s.counts.valid,
                         _period_name(s.spec.period))
                 for s in status.slos)


def _period_name(period: timedelta | None) -> str:
    if period is None:
        return "calendar period"
    try:
        return f"rolling {format_duration(period)}"
    except ValueError:
        return f"rolling {period}"


def _card(name: str, status: FlowStatus | None, roi: FlowRoi | None,
          partners: tuple[PartnerShare, ...], shipped: Release | None) -> FlowCard:
    slos = _slo_cards(status)
    if roi is None:
        return FlowCard(name, slos, partners=partners)
    release = None if shipped is None or roi.release is None else ReleaseView(
        shipped.version, shipped.day, shipped.note, roi.release)
    series = roi.series
    return FlowCard(
        name, slos, currency=roi.currency, cost=roi.cost.total, successes=roi.cost.successes,
        failures=roi.cost.failures, cost_per_success=roi.cost.cost_per_success,
        savings=roi.savings, net_return=None if series is None else series.net_return,
        payback=None if series is None else series.payback_date, partners=partners,
        release=release)


def _partners(wh: Warehouse, flows: Sequence[Flow], statuses: Mapping[str, FlowStatus],
              at: datetime) -> dict[str, tuple[PartnerShare, ...]]:
    """Each SLO's spent budget by partner, for the SLOs counted by runs that have runs."""
    slos = [s for f in flows if f.name in statuses for s in statuses[f.name].slos
            if s.spec.budgeting == "occurrences" and s.counts.valid]
    found = bad_runs_by_step(wh, flows, [SloPeriod(s.flow, s.spec, s.period.start, at)
                                         for s in slos])
    shares: dict[str, list[PartnerShare]] = {}
    for s, bad in zip(slos, found, strict=True):
        flow = next(f for f in flows if f.name == s.flow)
        shares.setdefault(s.flow, []).extend(
            PartnerShare(s.name, p.partner, p.bad, p.consumed, p.steps)
            for p in partner_budgets(flow.steps, bad, s.counts.valid, s.objective))
    return {name: tuple(found) for name, found in shares.items()}


def _latest_releases(flows: Sequence[Flow], last: date) -> dict[str, Release]:
    """The latest release up to ``last`` of each costed flow that has one."""
    found: dict[str, Release] = {}
    for flow in flows:
        shipped = [r for r in flow.releases if r.day <= last]
        if flow.cost is not None and shipped:
            found[flow.name] = shipped[-1]
    return found


@dataclass
class ReadModel:
    """Reads the views of the three pages.

    ``warehouse()`` returns the warehouse once ready (else ``None``: :class:`NotReady`);
    ``alerting`` is the alert evaluator, if the process runs one; ``clock`` gives now (aware);
    window catalogs are looked up next to ``catalog_path`` first. A scorecard read without
    warnings is reused for ``scorecard_max_age`` (default zero: never), per period.
    """

    catalog: Catalog
    warehouse: Callable[[], Warehouse | None]
    alerting: AlertEvaluator | None = None
    clock: Callable[[], datetime] = _utc_now
    catalog_path: Path | None = None
    scorecard_max_age: timedelta = timedelta(0)
    _catalogs: WindowCatalogs = field(init=False, repr=False)
    _scorecards: dict[str, Scorecard] = field(default_factory=dict, init=False, repr=False)
    _scorecards_lock: threading.Lock = field(default_factory=threading.Lock, init=False,
                                             repr=False)

    def __post_init__(self) -> None:
        dirs = (catalog_dir(self.catalog_path),) if self.catalog_path is not None else ()
        self._catalogs = WindowCatalogs(search_dirs=dirs)

    def _ready(self) -> Warehouse:
        wh = self.warehouse()
        if wh is None:
            raise NotReady("the warehouse is not ready yet; this page retries when you reload it")
        return wh

    def _statuses(self, wh: Warehouse, at: datetime) -> dict[str, FlowStatus]:
        found = evaluate_flows(wh, list(self.catalog.flows), at, catalogs=self._catalogs)
        return {s.flow: s for s in found}

    def scorecard(self, key: str) -> Scorecard:
        """Every flow's SLOs (over their own periods) and its cost and return over the days of
        period ``key`` (see :func:`dashboards.model.period_range`), as of its ``at``: the one
        read last if it is younger than ``scorecard_max_age`` and had no warning."""
        at = self.clock()
        with self._scorecards_lock:
            kept = self._scorecards.get(key)
        if kept is not None and timedelta(0) <= at - kept.at < self.scorecard_max_age:
            return kept
        card = self._read_scorecard(key, at)
        if not card.warnings and self.scorecard_max_age > timedelta(0):
            with self._scorecards_lock:
                self._scorecards[key] = card
        return card

    def _read_scorecard(self, key: str, at: datetime) -> Scorecard:
        days = period_range(key, at.date())
        if not self.catalog.flows:
            return Scorecard(key, days, at, ())
        wh = self._ready()
        with _reading("SLO status"):
            statuses = self._statuses(wh, at)
        warnings: list[str] = []
        rois: dict[str, FlowRoi] = {}
        shipped = _latest_releases(self.catalog.flows, days.last - timedelta(days=1))
        try:
            with _reading("cost report"):
                report = roi_report(wh, self.catalog, days, compare_until=days.last - timedelta(
                    days=1), releases={name: r.day for name, r in shipped.items()})
                rois = {f.flow: f for f in report.flows}
        except ReadFailed as exc:  # SLOs still help without cost: say why cost is missing
            warnings.append(str(exc))
        partners: dict[str, tuple[PartnerShare, ...]] = {}
        try:
            with _reading("error budget by partner"):
                partners = _partners(wh, self.catalog.flows, statuses, at)
        except ReadFailed as exc:
            warnings.append(str(exc))
        flows = tuple(_card(f.name, statuses.get(f.name), rois.get(f.name),
                            partners.get(f.name, ()), shipped.get(f.name))
                      for f in self.catalog.flows)
        return Scorecard(key, days, at, flows, tuple(warnings))

    def oncall(self) -> Oncall:
        """Tier burn rates now, the budget burn-down over the longest SLO period so far (at
        :data:`BURNDOWN_POINTS` instants), the evaluator's alerts and each flow's health over
        the last :data:`~dashboards.run_views.HEALTH_RANGE` (a health that cannot be read
        becomes a warning: the burn rates still show)."""
        at = self.clock()
        alerts = self._alerts()
        if not self.catalog.flows:
            return Oncall(at, (), (), alerts)
        wh = self._ready()
        health, unhealthy = self._health(wh, at)
        if not any(f.slos for f in self.catalog.flows):
            return Oncall(at, (), (), alerts, unhealthy, health)
        with _reading("SLO status"):
            now = self._statuses(wh, at)
            tiers = tuple(
                TierBurn(s.flow, s.name, r.tier.key, r.tier.severity, r.factor,
                         r.long_burn_rate, r.short_burn_rate, r.firing)
                for status in now.values() for s in status.slos
                if s.tiers is not None for r in s.tiers.results)
            start = min((s.period.start for st in now.values() for s in st.slos), default=at)
            step = (at - start) / BURNDOWN_POINTS
            points: list[BudgetPoint] = []
            for i in range(1, BURNDOWN_POINTS + 1):
                moment = at if i == BURNDOWN_POINTS else start + step * i
                statuses = now if moment == at else self._statuses(wh, moment)
                points.extend(BudgetPoint(s.flow, s.name, moment, s.budget_remaining)
                              for st in statuses.values() for s in st.slos)
        warnings = tuple(w for st in now.values() for w in st.warnings)
        return Oncall(at, tiers, tuple(points), alerts, warnings + unhealthy, health)

    def _health(self, wh: Warehouse, at: datetime
                ) -> tuple[tuple[FlowHealthCard, ...], tuple[str, ...]]:
        """Every catalog flow's health over ``[at - HEALTH_RANGE, at)`` with its dead-letter
        inflow per :data:`~dashboards.run_views.INFLOW_STEP`; or no card and why."""
        start = at - HEALTH_RANGE
        try:
            with _reading("flow health"):
                return tuple(
                    health_card(flow_health(wh, f, start, at),
                                dead_letter_series(wh, f, start, at, INFLOW_STEP))
                    for f in self.catalog.flows), ()
        except ReadFailed as exc:
            return (), (str(exc),)

    def _alerts(self) -> tuple[AlertRow, ...]:
        if self.alerting is None:
            return ()
        return tuple(
            AlertRow(a.label("alertname", a.rule), a.label("flow"), a.label("severity"),
                     a.status, a.fired_at or a.active_since, a.annotation("summary"))
            for a in self.alerting.snapshot().alerts if a.status != "inactive")

    def trace(self, correlation_id: str) -> Timeline | None:
        """The first :data:`TRACE_PAGE_ITEMS` spans and events of ``correlation_id`` in time
        order, with how many it has in all; ``None`` when unknown."""
        wh = self._ready()
        with _reading("trace"):
            return lookup_correlation(wh, correlation_id.strip(), limit=TRACE_PAGE_ITEMS)

    def flow_time(self, timeline: Timeline) -> FlowTimeView | None:
        """The flow times of the runs of the timeline's flow that succeeded in the last
        :data:`~dashboards.run_views.FLOW_TIME_RANGE`, with this run placed among them (its
        flow time read from the same runs); ``None`` when its flow is not in the catalog."""
        flow = self.catalog.flow(timeline.flow) if timeline.flow else None
        if flow is None:
            return None
        at = self.clock()
        wh = self._ready()
        with _reading("flow-time histogram"):
            found = flow_time_histogram(wh, flow, at - FLOW_TIME_RANGE, at,
                                        correlation_id=timeline.correlation_id)
        return flow_time_view(flow, found, timeline.correlation_id)
