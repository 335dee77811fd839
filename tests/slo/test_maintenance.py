"""Maintenance windows expanded to UTC intervals (RFC 5545 rules)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from catalog.model import MaintenanceWindow
from slo.errors import MaintenanceError
from slo.maintenance import (
    Interval,
    excluded_intervals,
    in_maintenance,
    maintenance_intervals,
    merge,
    occurrences,
)

H = timedelta(hours=1)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0,
        second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


@pytest.mark.parametrize(
    ("window", "start", "end", "expected"),
    [
        pytest.param(
            MaintenanceWindow("FREQ=WEEKLY;BYDAY=SU;BYHOUR=2", 2 * H),
            utc(2026, 3, 1), utc(2026, 3, 15),
            [Interval(utc(2026, 3, 1, 2), utc(2026, 3, 1, 4)),
             Interval(utc(2026, 3, 8, 2), utc(2026, 3, 8, 4))],
            id="a bare weekly rule is in UTC with minutes from the anchor"),
        pytest.param(
            MaintenanceWindow("FREQ=WEEKLY;BYDAY=SU;BYHOUR=2", 2 * H),
            utc(2026, 3, 1, 3), utc(2026, 3, 8, 2),
            [Interval(utc(2026, 3, 1, 2), utc(2026, 3, 1, 4))],
            id="an occurrence that began before the range and overlaps it is kept"),
        pytest.param(
            MaintenanceWindow("DTSTART;TZID=Europe/Berlin:20260101T000000\n"
                              "RRULE:FREQ=MONTHLY;BYMONTHDAY=1", 6 * H),
            utc(2026, 3, 15), utc(2026, 4, 15),
            [Interval(utc(2026, 3, 31, 22), utc(2026, 4, 1, 4))],
            id="a zoned start keeps local midnight across daylight saving time"),
        pytest.param(
            MaintenanceWindow("FREQ=DAILY;BYHOUR=23", H),
            utc(2026, 3, 10), utc(2026, 3, 10, 12), [],
            id="no occurrence in the range gives no interval"),
        pytest.param(
            MaintenanceWindow("FREQ=MINUTELY;INTERVAL=1", timedelta(seconds=30)),
            utc(2026, 3, 10, 0, 0), utc(2026, 3, 10, 0, 2),
            [Interval(utc(2026, 3, 10, 0, 0), utc(2026, 3, 10, 0, 0, 30)),
             Interval(utc(2026, 3, 10, 0, 1), utc(2026, 3, 10, 0, 1, 30))],
            id="fine rules are expanded from near the range, not from the anchor"),
    ],
)
def test_occurrences(window: MaintenanceWindow, start: datetime, end: datetime,
                     expected: list[Interval]) -> None:
    assert list(occurrences(window, start, end)) == expected


def test_overlapping_windows_are_merged() -> None:
    merged = merge([Interval(utc(2026, 1, 1, 3), utc(2026, 1, 1, 5)),
                    Interval(utc(2026, 1, 1, 1), utc(2026, 1, 1, 3)),
                    Interval(utc(2026, 1, 1, 8), utc(2026, 1, 1, 9))])
    assert merged == (Interval(utc(2026, 1, 1, 1), utc(2026, 1, 1, 5)),
                      Interval(utc(2026, 1, 1, 8), utc(2026, 1, 1, 9)))


def test_intervals_of_several_windows_are_merged_and_half_open() -> None:
    windows = [MaintenanceWindow("FREQ=DAILY;BYHOUR=1", 2 * H),
               MaintenanceWindow("FREQ=DAILY;BYHOUR=2", 2 * H)]
    intervals = maintenance_intervals(windows, utc(2026, 3, 10), utc(2026, 3, 11))
    assert intervals == (Interval(utc(2026, 3, 10, 1), utc(2026, 3, 10, 4)),)
    assert in_maintenance(utc(2026, 3, 10, 1), intervals)
    assert not in_maintenance(utc(2026, 3, 10, 4), intervals)


@pytest.mark.parametrize(
    ("window", "message"),
    [
        pytest.param(MaintenanceWindow("FREQ=SECONDLY", H), "more than 10000 occurrences",
                     id="too many occurrences are refused"),
        pytest.param(MaintenanceWindow("FREQ=SOMETIMES", H), "cannot be expanded",
                     id="an unreadable rule is refused"),
    ],
)
def test_unusable_rules_raise(window: MaintenanceWindow, message: str) -> None:
    with pytest.raises(MaintenanceError, match=message):
        occurrences(window, utc(2026, 3, 10), utc(2026, 3, 11))


def test_an_unusable_rule_excludes_nothing_and_says_why() -> None:
    good = MaintenanceWindow("FREQ=DAILY;BYHOUR=1", 2 * H)
    assert excluded_intervals([good], utc(2026, 3, 10), utc(2026, 3, 11)) == (
        (Interval(utc(2026, 3, 10, 1), utc(2026, 3, 10, 3)),), "")
    intervals, note = excluded_intervals([good, MaintenanceWindow("FREQ=SOMETIMES", H)],
                                         utc(2026, 3, 10), utc(2026, 3, 11))
    assert intervals == ()
    assert "cannot be expanded" in note and note.endswith("; maintenance is not excluded")
