"""Monthly fees amortised per day of their month, adding back to the fee exactly."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalog.model import FixedFee
from cost.amortisation import amortisation_schedule, amortise_fixed, days_in_month
from cost.money import exact

IPAAS = FixedFee("ipaas-licence", Decimal("1200"))


@pytest.mark.parametrize(
    ("day", "days", "daily"),
    [
        # 1200 / 30 = 40 exactly
        pytest.param(date(2025, 11, 3), 30, "40", id="a 30-day November costs 40 a day"),
        pytest.param(date(2025, 11, 30), 30, "40", id="the last November day has no residue"),
        # 1200 / 31 = 38.709677419354838709677... -> 18 places 38.709677419354838710
        pytest.param(date(2026, 1, 15), 31, "38.70967741935483871",
                     id="a 31-day month costs 38.709677... a day"),
        # 1200 / 29 = 41.379310344827586206896... -> 41.379310344827586207
        pytest.param(date(2028, 2, 10), 29, "41.379310344827586207",
                     id="a leap-year February has 29 days"),
        # 1200 / 28 = 42.857142857142857142857... -> 42.857142857142857143
        pytest.param(date(2027, 2, 10), 28, "42.857142857142857143",
                     id="a common-year February has 28 days"),
    ],
)
def test_a_fee_costs_its_share_of_the_month_each_day(day: date, days: int, daily: str) -> None:
    assert days_in_month(day.year, day.month) == days
    assert str(amortise_fixed(IPAAS, day)) == daily


@pytest.mark.parametrize(
    ("last_day", "residue"),
    [
        # 31-day month: 1200 - 30 x 38.709677419354838710 = 1200 - 1161.290322580645161300
        #             = 38.709677419354838700 (10**-17 below the other days)
        pytest.param(date(2026, 1, 31), "38.7096774193548387",
                     id="the 31st carries the month's rounding residue"),
        # leap February: 1200 - 28 x 41.379310344827586207 = 1200 - 1158.620689655172413796
        #              = 41.379310344827586204
        pytest.param(date(2028, 2, 29), "41.379310344827586204",
                     id="the 29th of a leap February carries the residue"),
    ],
)
def test_the_last_day_of_a_month_carries_the_rounding_residue(last_day: date,
                                                              residue: str) -> None:
    assert str(amortise_fixed(IPAAS, last_day)) == residue


@pytest.mark.parametrize(
    ("year", "month"),
    [(2025, 11), (2026, 1), (2028, 2), (2027, 2)],
    ids=["november", "january", "leap february", "common february"],
)
def test_the_days_of_a_month_add_up_to_the_fee_exactly(year: int, month: int) -> None:
    days = [amortise_fixed(IPAAS, date(year, month, d))
            for d in range(1, days_in_month(year, month) + 1)]
    with exact():
        assert sum(days, Decimal(0)) == Decimal("1200")


fees = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False)


@given(fee=fees, year=st.integers(min_value=1900, max_value=2200),
       month=st.integers(min_value=1, max_value=12))
def test_any_month_adds_back_exactly_and_each_day_is_near_its_share(fee: Decimal, year: int,
                                                                   month: int) -> None:
    days = days_in_month(year, month)
    amounts = [amortise_fixed(fee, date(year, month, d)) for d in range(1, days + 1)]
    with exact():
        assert sum(amounts, Decimal(0)) == fee
    share = Fraction(fee) / days
    for amount in amounts:
        assert abs(Fraction(amount) - share) <= Fraction(days, 10**18)


@pytest.mark.parametrize(
    ("year", "month", "first", "last"),
    [
        # 120000 cents / 31 = 3870.97: 30 days of 3871 and one of 3870
        pytest.param(2026, 1, "38.71", "38.70", id="cents of a 31-day month"),
        # 120000 / 29 = 4137.93: 27 days of 4138 and two of 4137
        pytest.param(2028, 2, "41.38", "41.37", id="cents of a leap February"),
        pytest.param(2025, 11, "40.00", "40.00", id="cents of a 30-day month"),
    ],
)
def test_a_schedule_in_cents_adds_up_to_the_fee(year: int, month: int, first: str,
                                                last: str) -> None:
    schedule = amortisation_schedule(IPAAS, year, month)
    assert len(schedule) == days_in_month(year, month)
    assert sum(schedule) == Decimal("1200")
    assert (str(schedule[0]), str(schedule[-1])) == (first, last)
