"""Savings against the manual baseline, cumulative net return, payback date (hand-computed)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalog.model import Baseline, Investment
from cost.allocation import allocate, allocate_daily
from cost.errors import BaselineError, SeriesError, UsageError
from cost.roi import (
    DailyResult,
    baseline_cost_per_run,
    daily_results,
    payback_date,
    roi_series,
    savings,
)
from cost.usage import Activity, DailyUsage, DateRange
from tests.cost.flows import ORDER_TO_CASH

MANUAL = Baseline(manual_minutes_per_run=Decimal("9"), hourly_rate=Decimal("38"))
CONTRACT_COST = Decimal("88.2025")  # the contract day of test_allocation


@pytest.mark.parametrize(
    ("baseline", "per_run"),
    [
        # 9 min x 38/h / 60 = 342 / 60 = 5.7
        pytest.param(MANUAL, "5.7", id="nine manual minutes at 38 an hour are 5.70 a run"),
        pytest.param(Baseline(cost_per_run=Decimal("6.25")), "6.25",
                     id="a declared cost per run is used as is"),
        # 7 x 40 / 60 = 4.6666... -> 18 places, the last 6 rounds up to 7
        pytest.param(Baseline(manual_minutes_per_run=Decimal("7"), hourly_rate=Decimal("40")),
                     "4.666666666666666667", id="a repeating baseline rounds once"),
    ],
)
def test_baseline_cost_per_run(baseline: Baseline, per_run: str) -> None:
    assert baseline_cost_per_run(baseline) == Decimal(per_run)


def test_an_empty_baseline_is_refused() -> None:
    with pytest.raises(BaselineError, match="manual_minutes_per_run with hourly_rate"):
        baseline_cost_per_run(Baseline())


@pytest.mark.parametrize(
    ("cost", "successes", "saved"),
    [
        # (5.70 - 88.2025 / 97) x 97 = 552.90 - 88.2025 = 464.6975
        pytest.param("88.2025", 97, "464.6975", id="the contract day saves 464.6975"),
        pytest.param("40", 0, "-40", id="a day without success saves minus its cost"),
        # 5.70 x 10 - 80 = -23
        pytest.param("80", 10, "-23", id="automation dearer than the manual process loses"),
    ],
)
def test_savings(cost: str, successes: int, saved: str) -> None:
    assert savings(Decimal("5.7"), Decimal(cost), successes) == Decimal(saved)


@given(baseline=st.decimals(min_value=0, max_value=1000, places=2),
       cost=st.decimals(min_value=0, max_value=10**7, places=4),
       successes=st.integers(min_value=1, max_value=10**6))
def test_savings_are_baseline_minus_cost_per_success_times_successes(
        baseline: Decimal, cost: Decimal, successes: int) -> None:
    exact = (Fraction(baseline) - Fraction(cost) / successes) * successes
    assert Fraction(savings(baseline, cost, successes)) == exact


JAN_1 = date(2026, 1, 1)
SERIES = (
    DailyResult(date(2025, 12, 31), CONTRACT_COST, 97),  # before `since`: left out
    DailyResult(JAN_1, CONTRACT_COST, 97),               # +464.6975 -> cum 464.6975
    DailyResult(date(2026, 1, 2), Decimal("40"), 0),     # -40       -> cum 424.6975
    DailyResult(date(2026, 1, 3), CONTRACT_COST, 97),    # +464.6975 -> cum 889.3950
    DailyResult(date(2026, 1, 5), CONTRACT_COST, 97),    # +464.6975 -> cum 1354.0925 (a gap)
    DailyResult(date(2026, 1, 6), Decimal("1000"), 0),   # -1000     -> cum 354.0925
)


def test_a_hand_computed_roi_series() -> None:
    series = roi_series(MANUAL, Investment(Decimal("1000"), since=JAN_1), SERIES)
    assert [(p.day.day, p.savings, p.cumulative_savings, p.net_return) for p in series.points] == [
        (1, Decimal("464.6975"), Decimal("464.6975"), Decimal("-535.3025")),
        (2, Decimal("-40"), Decimal("424.6975"), Decimal("-575.3025")),
        (3, Decimal("464.6975"), Decimal("889.3950"), Decimal("-110.6050")),
        (5, Decimal("464.6975"), Decimal("1354.0925"), Decimal("354.0925")),
        (6, Decimal("-1000"), Decimal("354.0925"), Decimal("-645.9075")),
    ]
    assert series.points[0].baseline_cost == Decimal("552.90")  # 97 x 5.70
    # paid back on the 5th; the dip below zero on the 6th does not move the date
    assert series.payback_date == date(2026, 1, 5)
    assert series.net_return == Decimal("-645.9075")
    assert series.roi == Decimal("-0.6459075")  # -645.9075 / 1000


def _contract_days(count: int, start: date = JAN_1) -> list[DailyResult]:
    return [DailyResult(start + timedelta(days=i), CONTRACT_COST, 97) for i in range(count)]


@pytest.mark.parametrize(
    ("investment", "days", "payback"),
    [
        # 40000 / 464.6975 = 86.08: day 86 has 39963.985, day 87 has 40428.6825 -> 2026-03-28
        pytest.param(Investment(Decimal("40000"), JAN_1), 100, date(2026, 3, 28),
                     id="the contract build pays back on its 87th day"),
        pytest.param(Investment(Decimal("40000"), JAN_1), 86, None,
                     id="not paid back within the series"),
        pytest.param(None, 5, JAN_1, id="without an investment the first good day pays back"),
        pytest.param(Investment(Decimal("0")), 0, None, id="an empty series never pays back"),
        # net exactly zero: build = 2 x 464.6975
        pytest.param(Investment(Decimal("929.395")), 3, date(2026, 1, 2),
                     id="a net return of exactly zero counts as paid back"),
    ],
)
def test_payback_date(investment: Investment | None, days: int, payback: date | None) -> None:
    series = roi_series(MANUAL, investment, _contract_days(days))
    assert series.payback_date == payback == payback_date(series.points)


def test_an_empty_series_returns_minus_the_build() -> None:
    series = roi_series(MANUAL, Investment(Decimal("40000")), [])
    assert series.net_return == Decimal("-40000")
    assert series.roi == Decimal("-1")
    assert roi_series(MANUAL, None, []).roi is None


@pytest.mark.parametrize(
    "days",
    [
        pytest.param([date(2026, 1, 2), date(2026, 1, 1)], id="days going backwards"),
        pytest.param([date(2026, 1, 1), date(2026, 1, 1)], id="a day given twice"),
    ],
)
def test_a_series_must_strictly_increase(days: list[date]) -> None:
    with pytest.raises(SeriesError, match="strictly increase"):
        roi_series(MANUAL, None, [DailyResult(d, Decimal("1"), 1) for d in days])


def test_a_series_from_daily_allocations() -> None:
    january = DateRange(JAN_1, date(2026, 1, 31))
    usage = [DailyUsage(day, successes=100, activity=Activity(calls_by_partner={"stripe": 100}))
             for day in january]
    days = daily_results(allocate_daily(ORDER_TO_CASH, january, usage))
    # each day: 100 stripe calls x 0.30 = 30 + 1200/31 of the licence; the month adds up to
    # 31 x 30 + 1200 = 2130 exactly; baseline 31 x 100 x 5.70 = 17670 -> savings 15540
    series = roi_series(MANUAL, Investment(Decimal("40000"), JAN_1), days)
    assert series.points[-1].cumulative_savings == Decimal("15540")
    assert series.net_return == Decimal("-24460")
    assert series.payback_date is None
    with pytest.raises(UsageError, match="one-day breakdowns"):
        daily_results([allocate(ORDER_TO_CASH, january, usage)])
