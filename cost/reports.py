"""A flow's cost and the catalog's return over a range of days, from the warehouse. Adapter:
it reads usage (:mod:`cost.queries`) and imported spend (:mod:`cost.spend_store`) and hands
them to the pure math (:mod:`cost.allocation`, :mod:`cost.roi`).

- :func:`flow_cost` — the :class:`~cost.breakdown.CostBreakdown` of one flow over a range.
- :func:`roi_report` — per costed flow with a baseline, and in total: the window's baseline
  cost, actual cost and savings, and the cumulative net return and payback date of the series
  that starts at the flow's ``investment.since`` (or at the window's first day without one)
  and ends with the window; and, for flows given a release day, cost per success and success
  rate on equal stretches of days before and after it (:func:`release_days`).
- :func:`release_report` — every catalog release of one flow up to a last day, each compared
  like that (a flow without cost model compares its success rate only).

Raises :class:`~warehouse.errors.WarehouseError` when the warehouse fails and the cost room's
errors (:mod:`cost.errors`) for inconsistent data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from catalog.model import Catalog, Flow, Release
from cost.allocation import allocate, allocate_daily
from cost.breakdown import CostBreakdown, combine
from cost.currency import catalog_currency
from cost.errors import CostValueError, CurrencyMismatchError
from cost.money import exact
from cost.queries import FlowUsage, flow_usage
from cost.release import ReleaseComparison, compare_release
from cost.roi import DailyResult, RoiSeries, baseline_cost_per_run, daily_results, roi_series
from cost.spend_lines import flow_spend
from cost.spend_store import load_spend
from cost.usage import DateRange, SpendLine
from warehouse.port import Warehouse


@dataclass(frozen=True)
class FlowCost:
    """A flow's cost over a range and the usage it was computed from."""

    breakdown: CostBreakdown
    usage: FlowUsage


@dataclass(frozen=True)
class FlowRoi:
    """One flow's return: the window's ``cost`` breakdown (without cost-of-failure lines:
    :func:`flow_cost` has them), and with a baseline its
    ``baseline_cost`` (baseline per run x successes), ``savings`` (baseline cost - cost) and
    the ``series`` since the investment (``None`` without a baseline); ``release`` the
    comparison around the release asked for, if any."""

    flow: str
    currency: str
    cost: CostBreakdown
    baseline_cost: Decimal | None
    savings: Decimal | None
    series: RoiSeries | None
    release: ReleaseComparison | None = None


@dataclass(frozen=True)
class RoiReport:
    """Every costed flow's return over ``period``, and the total when they share one currency
    (``currency`` is ``None`` otherwise, and so are the totals)."""

    period: DateRange
    flows: tuple[FlowRoi, ...]
    currency: str | None
    baseline_cost: Decimal | None
    cost: Decimal | None
    savings: Decimal | None
    net_return: Decimal | None
    payback_date: date | None


def costed_flows(catalog: Catalog) -> list[Flow]:
    """The flows with a cost model, in catalog order."""
    return [f for f in catalog.flows if f.cost is not None]


def _partner_calls(usage: Mapping[str, FlowUsage]) -> dict[tuple[str, date], Mapping[str, int]]:
    return {(name, day.day): day.activity.calls_by_partner
            for name, found in usage.items() for day in found.days}


def _sharers(flow: Flow, costed: Sequence[Flow], spend: Sequence[SpendLine]) -> list[Flow]:
    partners = {line.partner for line in spend
                if not line.flow and line.partner in flow.partners()}
    return [flow] + [f for f in costed if f.name != flow.name and f.partners() & partners]


def flow_cost(wh: Warehouse, catalog: Catalog, flow: Flow, period: DateRange) -> FlowCost:
    """The cost of ``flow`` over ``period`` (raises
    :class:`~cost.errors.NoCostModelError` when it has no cost model)."""
    spend = load_spend(wh, period)
    costed = costed_flows(catalog)
    usage = flow_usage(wh, _sharers(flow, costed, spend), period)
    lines = flow_spend(flow, costed, spend, _partner_calls(usage))
    mine = usage[flow.name]
    return FlowCost(allocate(flow, period, mine.days, lines), mine)


RELEASE_SPAN_DAYS = 14
"""Most days a release comparison covers on each side of the release."""


def release_days(release: date, last: date, *, span_days: int = RELEASE_SPAN_DAYS) -> DateRange:
    """The days compared around ``release``: from ``release`` to ``last`` (at most
    ``span_days``) and as many days just before it. Raises :class:`ValueError` when ``last``
    is before ``release``."""
    if last < release:
        raise CostValueError(f"the release of {release.isoformat()} is after the last day "
                             f"{last.isoformat()}")
    span = min(span_days, (last - release).days + 1)
    return DateRange(release - timedelta(days=span), release + timedelta(days=span - 1))


def roi_report(wh: Warehouse, catalog: Catalog, period: DateRange, *,
               releases: Mapping[str, date] | None = None,
               compare_until: date | None = None) -> RoiReport:
    """The return of every costed flow over ``period`` (see the module docstring).

    ``releases`` maps flow names to a release day: those flows also get the comparison of
    :func:`release_days` around it up to ``compare_until`` (default ``period.last``; e.g. the
    last complete day), costed from the same reads (the usage read then reaches back far
    enough for both). Raises :class:`ValueError` for a release after ``compare_until`` or a
    ``compare_until`` after ``period.last``.
    """
    until = period.last if compare_until is None else compare_until
    if until > period.last:
        raise CostValueError(f"comparisons end by {period.last.isoformat()}, the period's last "
                             f"day, not {until.isoformat()}")
    costed = costed_flows(catalog)
    starts = [f.investment.since for f in costed
              if f.baseline is not None and f.investment is not None
              and f.investment.since is not None]
    first = min([period.first, *starts])
    history = DateRange(first, period.last)
    compared = {f.name: (releases[f.name], release_days(releases[f.name], until))
                for f in costed if releases and f.name in releases}
    read = DateRange(min([first, *(days.first for _, days in compared.values())]),
                     period.last)
    spend = load_spend(wh, read)
    usage = flow_usage(wh, costed, read, failed=False)  # the return needs no cost of failure
    calls = _partner_calls(usage)
    flows: list[FlowRoi] = []
    for flow in costed:
        every_day = allocate_daily(flow, read, usage[flow.name].days,
                                   flow_spend(flow, costed, spend, calls))
        release = None
        if flow.name in compared:
            release = _compare(daily_results(every_day), *compared[flow.name])
        daily = [d for d in every_day if d.period.first >= history.first]
        window = combine([d for d in daily if d.period.first >= period.first])
        currency = window.currency
        if flow.baseline is None:
            flows.append(FlowRoi(flow.name, currency, window, None, None, None, release))
            continue
        per_run = baseline_cost_per_run(flow.baseline)
        with exact():
            baseline_cost = per_run * window.successes
            saved = baseline_cost - window.total
        series = roi_series(flow.baseline, flow.investment, daily_results(daily))
        flows.append(FlowRoi(flow.name, currency, window, baseline_cost, saved,
                             series, release))
    return _with_totals(catalog, period, history, tuple(flows))


def _compare(days: Sequence[DailyResult], shipped: date, around: DateRange
             ) -> ReleaseComparison:
    """The comparison around ``shipped`` of the ``days`` within ``around`` (as many days on
    each side, :func:`release_days`)."""
    return compare_release([d for d in days if d.day in around], shipped,
                           span_days=len(around) // 2)


@dataclass(frozen=True)
class ReleaseResult:
    """One release of a flow and, once its day is complete, the ``days`` compared around it
    (:func:`release_days`) and its ``comparison`` (both ``None`` while ``release.day`` is
    after the last day compared)."""

    release: Release
    days: DateRange | None = None
    comparison: ReleaseComparison | None = None


def release_report(wh: Warehouse, catalog: Catalog, flow: Flow, last: date
                   ) -> tuple[ReleaseResult, ...]:
    """Every release of ``flow`` in catalog order, each compared over :func:`release_days`
    up to ``last`` (e.g. the last complete day), from one read of the days they cover. A flow
    with a cost model is costed as :func:`flow_cost` costs it; one without compares successes
    and failures only (its costs read zero: callers show none)."""
    compared = {r.day: release_days(r.day, last) for r in flow.releases if r.day <= last}
    if not compared:
        return tuple(ReleaseResult(r) for r in flow.releases)
    read = DateRange(min(d.first for d in compared.values()),
                     max(d.last for d in compared.values()))
    if flow.cost is None:
        usage = flow_usage(wh, [flow], read, failed=False)[flow.name]
        days = tuple(DailyResult(d.day, Decimal(0), d.successes, d.failures)
                     for d in usage.days)
    else:
        spend = load_spend(wh, read)
        costed = costed_flows(catalog)
        found = flow_usage(wh, _sharers(flow, costed, spend), read, failed=False)
        days = daily_results(allocate_daily(flow, read, found[flow.name].days,
                                            flow_spend(flow, costed, spend,
                                                       _partner_calls(found))))
    return tuple(ReleaseResult(r, compared[r.day], _compare(days, r.day, compared[r.day]))
                 if r.day in compared else ReleaseResult(r) for r in flow.releases)


def _with_totals(catalog: Catalog, period: DateRange, history: DateRange,
                 flows: tuple[FlowRoi, ...]) -> RoiReport:
    try:
        currency = catalog_currency(catalog)
    except CurrencyMismatchError:
        currency = None
    returning = [f for f in flows if f.series is not None]
    if currency is None or not returning:
        return RoiReport(period, flows, currency, None, None, None, None, None)
    with exact():
        baseline = sum((f.baseline_cost or Decimal(0) for f in returning), Decimal(0))
        cost = sum((f.cost.total for f in returning), Decimal(0))
        net = sum((f.series.net_return for f in returning if f.series), Decimal(0))
    return RoiReport(period, flows, currency, baseline, cost, baseline - cost, net,
                     _total_payback(returning, history))


def _total_payback(flows: Sequence[FlowRoi], history: DateRange) -> date | None:
    """The first day the flows' net returns, summed, reach zero (a flow counts ``-build``
    before its series starts)."""
    by_day = [{p.day: p.net_return for p in f.series.points} if f.series else {}
              for f in flows]
    current = [-(f.series.build if f.series else Decimal(0)) for f in flows]
    with exact():
        for day in history:
            for i, points in enumerate(by_day):
                if day in points:
                    current[i] = points[day]
            if any(day in points for points in by_day) and sum(current, Decimal(0)) >= 0:
                return day
    return None
