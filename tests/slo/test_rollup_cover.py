"""Which intervals a rollup read names for the primary key (:func:`slo.rollup_read.cover`)."""

from __future__ import annotations

import pytest

from slo.rollup_read import cover

H, D = 3_600, 86_400


@pytest.mark.parametrize(
    ("ranges", "limit", "expected"),
    [
        ([(0, 59 * 60), (30 * D, 30 * D + 120)], 16, [(0, 59 * 60), (30 * D, 30 * D + 120)]),
        ([(5, 10), (0, 5), (20, 30)], 16, [(0, 10), (20, 30)]),
        ([(0, 10), (5, 8)], 16, [(0, 10)]),
        ([(0, 1), (2, 3), (10, 11), (100, 101)], 2, [(0, 11), (100, 101)]),
        ([(0, 1), (2, 3), (10, 11)], 1, [(0, 11)]),
        ([], 16, []),
    ],
    ids=[
        "a month's window reads its two edge stretches, not the month between them",
        "touching ranges become one, in time order",
        "a range inside another adds nothing",
        "past the limit the closest ranges are merged first",
        "a limit of one covers everything from the first to the last",
        "no range, no interval",
    ],
)
def test_a_read_names_few_intervals_that_cover_every_range(
        ranges: list[tuple[int, int]], limit: int, expected: list[tuple[int, int]]) -> None:
    found = cover(ranges, limit)
    assert found == expected
    assert all(any(lo <= a and b <= hi for lo, hi in found) for a, b in ranges)
