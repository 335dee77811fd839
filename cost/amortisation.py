"""Fixed monthly fees amortised per day of their month.

A fee of ``per_month`` costs ``per_month / days_in_month`` each day of that month: 1200 a
month is 40 a day in a 30-day November, 38.709677... a day in a 31-day month, 41.379310... a
day in a 29-day leap-year February.

Exactness: :func:`amortise_fixed` gives every day but the month's last the quotient rounded
once, half to even, to 18 decimal places (:func:`cost.money.divide`); the last day gets the
rest, ``per_month - (days - 1) * quotient``. So the days of a whole month add up to
``per_month`` **exactly**, and every day is within ``days * 10**-18`` of the exact share. Sums
of daily amounts are exact (:mod:`cost.money`), so any window's fixed cost is the plain sum of
its days.

:func:`amortisation_schedule` instead splits a month into whole minor units (cents) by largest
remainder, for statements that must show per-day amounts adding up to the fee.

Pure: standard library and :mod:`catalog.model` only.
"""

from __future__ import annotations

import calendar
from datetime import date
from decimal import Decimal

from catalog.model import FixedFee
from cost.money import check_amount, divide, exact, split_exactly, tidy


def days_in_month(year: int, month: int) -> int:
    """Days of ``month`` (1-12) in ``year``: 28 to 31, leap years included."""
    return calendar.monthrange(year, month)[1]


def amortise_fixed(fee: FixedFee | Decimal, day: date) -> Decimal:
    """What the monthly ``fee`` (a :class:`~catalog.model.FixedFee` or its ``per_month``)
    costs on ``day``: ``per_month / days_in_month``, with the month's rounding residue on its
    last day so that the month adds up exactly (see the module docstring)."""
    per_month = check_amount(fee.per_month if isinstance(fee, FixedFee) else fee,
                             "monthly fee")
    days = days_in_month(day.year, day.month)
    daily = divide(per_month, days)
    if day.day < days:
        return daily
    with exact():
        return tidy(per_month - daily * (days - 1))


def amortisation_schedule(fee: FixedFee | Decimal, year: int, month: int, *, places: int = 2
                          ) -> tuple[Decimal, ...]:
    """The monthly ``fee`` split over the days of ``month`` in whole units of ``10**-places``
    (cents by default): the days add up to the fee exactly and each is within one unit of the
    exact daily share; the earlier days take the extra units (1200 over 31 days: 30 days of
    38.71 and one of 38.70). The fee must be a whole number of units."""
    per_month = fee.per_month if isinstance(fee, FixedFee) else fee
    days = days_in_month(year, month)
    return tuple(split_exactly(per_month, [1] * days, places=places))
