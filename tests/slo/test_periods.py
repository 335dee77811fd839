"""Rolling and calendar periods: [start, end) in UTC, time-zone and daylight-saving aware."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalog.model import SLOSpec
from slo.errors import PeriodError
from slo.periods import CALENDAR_UNITS, Period, calendar_period, rolling_period, slo_period

D = timedelta(days=1)
H = timedelta(hours=1)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("at", "unit", "zone", "start", "end", "length"),
    [
        pytest.param(utc(2026, 2, 15, 12), "quarter", "Europe/Berlin",
                     utc(2025, 12, 31, 23), utc(2026, 3, 31, 22), 90 * D - H,
                     id="a Berlin first quarter loses the hour of the March change"),
        pytest.param(utc(2026, 11, 15), "quarter", "Europe/Berlin",
                     utc(2026, 9, 30, 22), utc(2026, 12, 31, 23), 92 * D + H,
                     id="a Berlin fourth quarter gains the hour of the October change"),
        pytest.param(utc(2026, 3, 10), "month", "Europe/Berlin",
                     utc(2026, 2, 28, 23), utc(2026, 3, 31, 22), 31 * D - H,
                     id="Berlin March is 31 days minus an hour"),
        pytest.param(utc(2026, 3, 25, 12), "week", "Europe/Berlin",
                     utc(2026, 3, 22, 23), utc(2026, 3, 29, 22), 7 * D - H,
                     id="a Berlin week runs Monday to Monday across the change"),
        pytest.param(utc(2026, 7, 1), "year", "Europe/Berlin",
                     utc(2025, 12, 31, 23), utc(2026, 12, 31, 23), 365 * D,
                     id="a Berlin year gets its hour back"),
        pytest.param(utc(2026, 11, 15), "month", "America/New_York",
                     utc(2026, 11, 1, 4), utc(2026, 12, 1, 5), 30 * D + H,
                     id="New York November gains an hour"),
        pytest.param(utc(2024, 6, 1), "year", "UTC",
                     utc(2024, 1, 1), utc(2025, 1, 1), 366 * D, id="a UTC leap year"),
        pytest.param(utc(2028, 2, 29, 23, 59), "month", "UTC",
                     utc(2028, 2, 1), utc(2028, 3, 1), 29 * D, id="a UTC leap February"),
        pytest.param(utc(2026, 12, 31, 23, 59), "quarter", "UTC",
                     utc(2026, 10, 1), utc(2027, 1, 1), 92 * D,
                     id="a fourth quarter ends at the next new year"),
        pytest.param(utc(2026, 3, 31, 22, 30), "quarter", "Europe/Berlin",
                     utc(2026, 3, 31, 22), utc(2026, 6, 30, 22), 91 * D,
                     id="late on 31 March in UTC is already the second quarter in Berlin"),
        pytest.param(utc(2026, 3, 31, 22, 30), "quarter", "UTC",
                     utc(2026, 1, 1), utc(2026, 4, 1), 90 * D,
                     id="the same instant is still the first quarter in UTC"),
        pytest.param(utc(2023, 10, 15), "month", "America/Asuncion",
                     utc(2023, 10, 1, 4), utc(2023, 11, 1, 3), 31 * D - H,
                     id="a month whose first midnight is skipped starts at the change"),
        pytest.param(utc(2026, 3, 22, 23), "week", "Europe/Berlin",
                     utc(2026, 3, 22, 23), utc(2026, 3, 29, 22), 7 * D - H,
                     id="the first instant of a period belongs to it"),
        pytest.param(utc(2026, 3, 29, 22), "week", "Europe/Berlin",
                     utc(2026, 3, 29, 22), utc(2026, 4, 5, 22), 7 * D,
                     id="the end of a period belongs to the next one"),
    ],
)
def test_calendar_periods(at: datetime, unit: str, zone: str, start: datetime, end: datetime,
                          length: timedelta) -> None:
    period = calendar_period(at, unit, zone)
    assert (period.start, period.end, period.length) == (start, end, length)
    assert period.start.utcoffset() == timedelta(0)
    assert period.contains(at)


def test_an_instant_in_another_offset_is_placed_by_its_real_time() -> None:
    tokyo = timezone(timedelta(hours=9))
    at = datetime(2026, 4, 1, 5, tzinfo=tokyo)  # 2026-03-31T20:00Z
    assert calendar_period(at, "month", "UTC").start == utc(2026, 3, 1)


def test_a_rolling_period_ends_now() -> None:
    at = datetime(2026, 3, 29, 3, 30, tzinfo=timezone(timedelta(hours=2)))
    period = rolling_period(at, 30 * D)
    assert period == Period(start=utc(2026, 2, 27, 1, 30), end=utc(2026, 3, 29, 1, 30))
    assert period.length == 30 * D
    assert not period.contains(at)  # half-open: "now" is the exclusive end
    assert period.contains(at - timedelta(microseconds=1))


def test_elapsed_time_is_clamped_to_the_period() -> None:
    period = calendar_period(utc(2026, 3, 10), "month", "UTC")
    assert period.elapsed(utc(2026, 3, 11)) == 10 * D
    assert period.elapsed(utc(2026, 1, 1)) == timedelta(0)
    assert period.elapsed(utc(2027, 1, 1)) == 31 * D


@pytest.mark.parametrize(
    ("spec", "start", "end"),
    [
        pytest.param(SLOSpec(name="s", objective=Decimal("99.9"), period=28 * D),
                     utc(2026, 2, 15), utc(2026, 3, 15), id="a rolling SLO looks back its period"),
        pytest.param(SLOSpec(name="s", objective=Decimal("99.9"), period=None, calendar="month",
                             timezone="Europe/Berlin"),
                     utc(2026, 2, 28, 23), utc(2026, 3, 31, 22),
                     id="a calendar SLO uses its time zone"),
        pytest.param(SLOSpec(name="s", objective=Decimal("99.9"), period=None, calendar="week"),
                     utc(2026, 3, 9), utc(2026, 3, 16), id="a calendar SLO defaults to UTC"),
    ],
)
def test_the_period_of_an_slo(spec: SLOSpec, start: datetime, end: datetime) -> None:
    period = slo_period(spec, utc(2026, 3, 15))
    assert (period.start, period.end) == (start, end)


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        pytest.param(lambda: calendar_period(datetime(2026, 1, 1), "month", "UTC"),
                     "timezone-aware", id="a naive instant is refused"),
        pytest.param(lambda: calendar_period(utc(2026, 1, 1), "fortnight", "UTC"),
                     "calendar unit must be one of week, month, quarter, year",
                     id="an unknown calendar unit is refused"),
        pytest.param(lambda: calendar_period(utc(2026, 1, 1), "month", "Europe/Atlantis"),
                     "unknown time zone 'Europe/Atlantis'", id="an unknown time zone is refused"),
        pytest.param(lambda: rolling_period(utc(2026, 1, 1), timedelta(0)),
                     "must be positive", id="an empty rolling period is refused"),
        pytest.param(lambda: rolling_period(datetime(2026, 1, 1), D),
                     "timezone-aware", id="a naive rolling instant is refused"),
        pytest.param(lambda: slo_period(SLOSpec(name="s", objective=Decimal(99), period=None),
                                        utc(2026, 1, 1)),
                     "neither a rolling period nor a calendar", id="an SLO without a period"),
    ],
)
def test_impossible_periods_are_refused(call: Callable[[], object], fragment: str) -> None:
    with pytest.raises(PeriodError, match=fragment):
        call()


ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata",
         "America/Asuncion", "Pacific/Chatham"]
BOUNDS = {"week": (7 * D - H, 7 * D + H), "month": (28 * D - H, 31 * D + H),
          "quarter": (90 * D - H, 92 * D + H), "year": (365 * D - H, 366 * D + H)}


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1),
                    timezones=st.just(UTC)),
       st.sampled_from(CALENDAR_UNITS), st.sampled_from(ZONES))
def test_calendar_periods_tile_time(at: datetime, unit: str, zone: str) -> None:
    period = calendar_period(at, unit, zone)
    assert period.contains(at)
    low, high = BOUNDS[unit]
    assert low <= period.length <= high
    assert calendar_period(period.end, unit, zone).start == period.end
    assert calendar_period(period.start, unit, zone) == period
