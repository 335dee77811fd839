"""How reads split time over hour rollups, minute rollups and raw edge minutes (pure)."""

from __future__ import annotations

import pytest

from slo.segments import HOUR_NS, MINUTE_NS, Range, Segment, cut, plan, series

M, H = MINUTE_NS, HOUR_NS
T = 1_700_000_000 // 3600 * 3600 * 10**9  # an hour boundary
SEC = 10**9


@pytest.mark.parametrize(("segment", "hours", "minutes", "raw"), [
    pytest.param(Segment(1, T, T + 2 * H), [Range(1, T, T + 2 * H)], [], [],
                 id="whole hours are read from the hour rollups only"),
    pytest.param(Segment(1, T + 5 * M, T + 2 * H), [Range(1, T + H, T + 2 * H)],
                 [Range(1, T + 5 * M, T + H)], [], id="minutes before the first whole hour"),
    pytest.param(Segment(1, T + 5 * M + 7 * SEC, T + H + 3 * M + 2 * SEC), [],
                 [Range(1, T + 6 * M, T + H + 3 * M)], [T + 5 * M, T + H + 3 * M],
                 id="a window on no boundary: two partial minutes read raw"),
    pytest.param(Segment(1, T + 5 * SEC, T + 9 * SEC), [], [], [T],
                 id="inside one minute: that minute raw"),
    pytest.param(Segment(1, T + 50 * SEC, T + M + 9 * SEC), [], [], [T, T + M],
                 id="across one minute boundary: both minutes raw"),
])
def test_a_segment_is_covered_exactly_once(segment: Segment, hours: list[Range],
                                           minutes: list[Range], raw: list[int]) -> None:
    found = plan([segment])
    assert (list(found.hours), list(found.minutes), list(found.raw_minutes)) == (hours, minutes,
                                                                                  raw)


def test_a_thirty_day_window_reads_hundreds_of_rows_not_millions() -> None:
    found = plan([Segment(1, T + 17 * SEC, T + 30 * 24 * H + 17 * SEC)])
    assert sum((r.hi - r.lo) // H for r in found.hours) == 30 * 24 - 1
    assert sum((r.hi - r.lo) // M for r in found.minutes) == 59
    assert len(found.raw_minutes) == 2


def test_overlapping_segments_are_refused() -> None:
    with pytest.raises(ValueError, match="overlap"):
        plan([Segment(1, T, T + H), Segment(2, T + M, T + 2 * H)])


def test_empty_segments_are_dropped() -> None:
    assert plan([Segment(1, T, T)]).empty


@pytest.mark.parametrize(("excluded", "expected"), [
    pytest.param([], [(0, 100)], id="nothing excluded"),
    pytest.param([(20, 30)], [(0, 20), (30, 100)], id="a hole in the middle"),
    pytest.param([(-5, 10), (90, 200)], [(10, 90)], id="both ends cut"),
    pytest.param([(20, 40), (30, 50)], [(0, 20), (50, 100)], id="overlapping exclusions"),
    pytest.param([(0, 100)], [], id="all excluded"),
])
def test_cut_removes_excluded_ranges(excluded: list[tuple[int, int]],
                                     expected: list[tuple[int, int]]) -> None:
    assert cut(0, 100, excluded) == expected


def test_a_series_ends_its_last_bucket_at_the_end() -> None:
    assert series(0, 10, 3, 25) == [Segment(1, 0, 10), Segment(2, 10, 20), Segment(3, 20, 25)]
