"""Histogram buckets: nice widths, the first edge, the 99th-percentile cap, worked out by hand."""

from __future__ import annotations

import pytest

from slo.histogram import DAY_NS, Buckets, choose_buckets, nice_width_ns

MS, S = 1_000_000, 1_000_000_000
MIN = 60 * S


@pytest.mark.parametrize(("at_least", "expected"), [
    pytest.param(0, 1 * MS, id="nothing to spread still gets a millisecond"),
    pytest.param(3 * MS, 5 * MS, id="3 ms rounds up to 5 ms"),
    pytest.param(2_834 * MS, 5 * S, id="2.8 s rounds up to 5 s"),
    pytest.param(11 * S, 15 * S, id="11 s rounds up to 15 s"),
    pytest.param(119_967 * MS, 2 * MIN, id="just under 2 min is 2 min"),
    pytest.param(4 * 3600 * S, 6 * 3600 * S, id="4 h rounds up to 6 h"),
    pytest.param(DAY_NS + 1, 2 * DAY_NS, id="just over a day is two days"),
    pytest.param(7 * DAY_NS, 10 * DAY_NS, id="a week rounds up to ten days"),
])
def test_nice_widths(at_least: int, expected: int) -> None:
    assert nice_width_ns(at_least) == expected


@pytest.mark.parametrize(("runs", "low", "high", "p99", "expected"), [
    pytest.param(0, 0, 0, 0, None, id="no runs give no buckets"),
    pytest.param(19, 5 * S, 90 * S, 89 * S, Buckets(5 * S, 5 * S, 18),
                 id="5 s to 90 s over 30 buckets is 2.8 s each, so 18 buckets of 5 s from 5 s"),
    pytest.param(3, 10 * S, 10 * S, 10 * S, Buckets(10 * S, 1 * MS, 1),
                 id="equal flow times make one bucket of a millisecond"),
    pytest.param(1, 0, 0, 0, Buckets(0, 1 * MS, 1), id="a zero flow time has a bucket"),
    pytest.param(200, 1 * S, 3600 * S, 100 * S, Buckets(0, 5 * S, 21),
                 id="200 runs stop at the p99 of 100 s: 21 buckets of 5 s, the rest overflow"),
    pytest.param(50, 1 * S, 3600 * S, 100 * S, Buckets(0, 2 * MIN, 31),
                 id="50 runs show the maximum: 1 h over 30 buckets is 2 min, 31 buckets"),
    pytest.param(100, 7 * S, 8 * S, 6 * S, Buckets(7 * S, 1 * MS, 1),
                 id="an interpolated p99 below the minimum is raised to it"),
    pytest.param(10, DAY_NS, 40 * DAY_NS, 39 * DAY_NS, Buckets(0, 2 * DAY_NS, 21),
                 id="39 days over 30 buckets is 1.3 days, so buckets of 2 days"),
])
def test_choose_buckets(runs: int, low: int, high: int, p99: int,
                        expected: Buckets | None) -> None:
    assert choose_buckets(runs=runs, low_ns=low, high_ns=high, p99_ns=p99) == expected


@pytest.mark.parametrize(("value", "expected"), [
    pytest.param(0, 0, id="before the first edge counts in the first bucket"),
    pytest.param(5 * S, 1, id="an edge opens its bucket"),
    pytest.param(104_999 * MS, 20, id="just before the end is the last bucket"),
    pytest.param(105 * S, 21, id="the end opens the overflow bucket"),
    pytest.param(3600 * S, 21, id="far beyond is the overflow bucket"),
])
def test_bucket_index(value: int, expected: int) -> None:
    buckets = Buckets(0, 5 * S, 21)
    assert buckets.end_ns == 105 * S
    assert buckets.index(value) == expected


@pytest.mark.parametrize(("kwargs", "message"), [
    pytest.param({"runs": 2, "low_ns": 5, "high_ns": 4, "p99_ns": 4}, "lies above",
                 id="a minimum above the maximum"),
    pytest.param({"runs": 2, "low_ns": 4, "high_ns": 5, "p99_ns": 5, "target": 0},
                 "at least one bucket", id="no bucket to aim for"),
])
def test_impossible_requests_are_refused(kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        choose_buckets(**kwargs)
