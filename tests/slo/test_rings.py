"""Rings: every window ending at one instant counted from one grouping."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest

from slo.errors import PeriodError
from slo.rings import RingCount, Rings, counts_since, from_ns, to_ns
from slo.sli import Counts

AT = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)
RINGS = Rings.of(AT, [AT - timedelta(minutes=5), AT - H, AT - 24 * H, AT - H])


@pytest.mark.parametrize(
    ("instant", "ring"),
    [
        pytest.param(AT - timedelta(minutes=1), 3, id="inside the shortest window"),
        pytest.param(AT - timedelta(minutes=5), 3, id="a window includes its start"),
        pytest.param(AT - timedelta(minutes=6), 2, id="between 5m and 1h"),
        pytest.param(AT - 24 * H, 1, id="at the start of the longest window"),
        pytest.param(AT - 25 * H, 0, id="older than every window"),
        pytest.param(AT, 0, id="a window excludes its end"),
    ],
)
def test_ring_of_an_instant(instant: datetime, ring: int) -> None:
    assert RINGS.ring(instant) == ring


def test_duplicate_starts_are_one_ring() -> None:
    assert len(RINGS.starts) == 3


def test_window_counts_are_suffix_sums_of_rings() -> None:
    rows = [RingCount(3, True, 4), RingCount(3, False, 1), RingCount(2, True, 10),
            RingCount(1, False, 5)]
    assert counts_since(RINGS, AT - timedelta(minutes=5), rows) == Counts(4, 5)
    assert counts_since(RINGS, AT - H, rows) == Counts(14, 15)
    assert counts_since(RINGS, AT - 24 * H, rows) == Counts(14, 20)


def test_a_window_that_is_not_a_ring_start_is_refused() -> None:
    with pytest.raises(ValueError, match="not a window start"):
        counts_since(RINGS, AT - 2 * H, [])


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(lambda: Rings.of(datetime(2026, 1, 1), []), id="a naive end"),
        pytest.param(lambda: Rings.of(AT, [AT + H]), id="a start after the end"),
    ],
)
def test_bad_rings_are_refused(bad: Callable[[], object]) -> None:
    with pytest.raises(PeriodError):
        bad()


def test_nanoseconds_round_trip_at_microsecond_precision() -> None:
    moment = datetime(2026, 3, 10, 13, 0, 0, 123456, tzinfo=timezone(timedelta(hours=1)))
    assert to_ns(moment) == 1773144000123456000
    assert from_ns(to_ns(moment)) == moment
