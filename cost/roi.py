"""Return on the automation: savings against the manual baseline, net return, payback date.

Definitions (all amounts in the flow's cost currency, exact; the baseline is read in that
currency):

- **Baseline cost per run** ``b`` (:func:`baseline_cost_per_run`): ``cost_per_run`` when
  declared, else ``manual_minutes_per_run * hourly_rate / 60`` (9 min at 38/h is 5.70).
- **Savings** of a day (or any window) with cost ``C`` and ``S`` successful runs
  (:func:`savings`): ``(b - C / S) * S``, computed as ``b * S - C`` so that no division
  rounds. A day with no success saves ``-C``: its spend bought nothing the manual process
  would have had to do.
- **Run investment**: what the automation costs to run is already in ``C`` (per-call,
  compute, fixed fees, people, imported spend), so it is not subtracted again.
- **Cumulative net return** on day ``d`` (:attr:`RoiPoint.net_return`):
  ``sum(savings of every series day <= d) - build``, where ``build`` is the declared build
  investment (0 when none is declared). Days before ``investment.since`` are left out: the
  automation was not running yet.
- **Payback date** (:func:`payback_date`): the first day of the series whose cumulative net
  return is ``>= 0``; ``None`` when no day of the series reaches it (later dips below zero do
  not move it).
- **ROI** (:attr:`RoiSeries.roi`): final net return / build, ``None`` without a build
  investment.

A daily series has strictly increasing days (gaps are allowed: a missing day adds nothing).
Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import pairwise

from catalog.model import Baseline, Investment
from cost.breakdown import CostBreakdown
from cost.errors import BaselineError, SeriesError, UsageError
from cost.money import check_amount, check_count, divide, exact

MINUTES_PER_HOUR = 60


@dataclass(frozen=True)
class DailyResult:
    """What a flow cost on ``day``, how many runs succeeded and how many failed."""

    day: date
    cost: Decimal
    successes: int
    failures: int = 0

    def __post_init__(self) -> None:
        check_amount(self.cost, f"cost of {self.day}")
        check_count(self.successes, f"successes of {self.day}")
        check_count(self.failures, f"failures of {self.day}")


def daily_results(breakdowns: Iterable[CostBreakdown]) -> tuple[DailyResult, ...]:
    """One :class:`DailyResult` per single-day breakdown (as :func:`cost.allocation.
    allocate_daily` returns them); raises :class:`~cost.errors.UsageError` for a breakdown of
    more than one day."""
    results: list[DailyResult] = []
    for breakdown in breakdowns:
        if len(breakdown.period) != 1:
            raise UsageError(f"a daily series needs one-day breakdowns, got "
                             f"{breakdown.period.first}..{breakdown.period.last}")
        results.append(DailyResult(breakdown.period.first, breakdown.total,
                                   breakdown.successes, breakdown.failures))
    return tuple(results)


def baseline_cost_per_run(baseline: Baseline) -> Decimal:
    """``cost_per_run``, or ``manual_minutes_per_run * hourly_rate / 60`` (one division)."""
    if baseline.cost_per_run is not None:
        return check_amount(baseline.cost_per_run, "baseline cost per run", negative=False)
    if baseline.manual_minutes_per_run is None or baseline.hourly_rate is None:
        raise BaselineError("a baseline needs manual_minutes_per_run with hourly_rate, or "
                            "cost_per_run")
    minutes = check_amount(baseline.manual_minutes_per_run, "manual minutes per run",
                           negative=False)
    rate = check_amount(baseline.hourly_rate, "baseline hourly rate", negative=False)
    with exact():
        return divide(minutes * rate, MINUTES_PER_HOUR)


def savings(baseline_per_run: Decimal, cost: Decimal, successes: int) -> Decimal:
    """``baseline_per_run * successes - cost``, which is ``(baseline - cost per success) *
    successes`` without rounding; ``-cost`` when nothing succeeded."""
    check_amount(baseline_per_run, "baseline cost per run")
    check_amount(cost, "cost")
    check_count(successes, "successes")
    with exact():
        return baseline_per_run * successes - cost


@dataclass(frozen=True)
class RoiPoint:
    """One day of an ROI series: its cost, successes, what the manual process would have cost
    (``baseline_cost``), ``savings = baseline_cost - cost``, and running totals."""

    day: date
    cost: Decimal
    successes: int
    baseline_cost: Decimal
    savings: Decimal
    cumulative_savings: Decimal
    net_return: Decimal


@dataclass(frozen=True)
class RoiSeries:
    """Cumulative return of a flow's automation, day by day (see the module docstring)."""

    baseline_per_run: Decimal
    build: Decimal
    points: tuple[RoiPoint, ...]

    @property
    def net_return(self) -> Decimal:
        """Net return after the last day (``-build`` for an empty series)."""
        return self.points[-1].net_return if self.points else -self.build

    @property
    def payback_date(self) -> date | None:
        """First day the net return is ``>= 0``; ``None`` if never in the series."""
        return payback_date(self.points)

    @property
    def roi(self) -> Decimal | None:
        """``net_return / build`` (0.25 is 25 %); ``None`` when no build investment."""
        return None if self.build == 0 else divide(self.net_return, self.build)


def roi_series(baseline: Baseline, investment: Investment | None,
               days: Sequence[DailyResult]) -> RoiSeries:
    """The ROI series of ``days`` (strictly increasing; those before ``investment.since`` are
    left out). Raises :class:`~cost.errors.SeriesError` for unordered or repeated days and
    :class:`~cost.errors.BaselineError` for an empty baseline."""
    check_daily_series(days)
    per_run = baseline_cost_per_run(baseline)
    build = Decimal(0)
    since: date | None = None
    if investment is not None:
        build = check_amount(investment.build, "build investment", negative=False)
        since = investment.since
    points: list[RoiPoint] = []
    cumulative = Decimal(0)
    with exact():
        for result in days:
            if since is not None and result.day < since:
                continue
            baseline_cost = per_run * result.successes
            saved = baseline_cost - result.cost
            cumulative += saved
            points.append(RoiPoint(day=result.day, cost=result.cost,
                                   successes=result.successes, baseline_cost=baseline_cost,
                                   savings=saved, cumulative_savings=cumulative,
                                   net_return=cumulative - build))
    return RoiSeries(baseline_per_run=per_run, build=build, points=tuple(points))


def payback_date(points: Iterable[RoiPoint]) -> date | None:
    """The first day whose cumulative net return is ``>= 0``; ``None`` if there is none."""
    for point in points:
        if point.net_return >= 0:
            return point.day
    return None


def check_daily_series(days: Sequence[DailyResult]) -> None:
    """Raise :class:`~cost.errors.SeriesError` unless the days strictly increase."""
    for before, after in pairwise(days):
        if after.day <= before.day:
            raise SeriesError(f"the days of a daily series must strictly increase, got "
                              f"{after.day} after {before.day}")
