"""Log buckets of durations and percentiles read back from them, against values worked out by
hand and against exact percentiles (numpy's "linear" method, which quantileExactInclusive
matches)."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slo import sketch

S = 1_000_000_000


def exact(values: list[int], p: float) -> float:
    """The exact p-quantile: position p * (n - 1) of the sorted values, interpolated."""
    ordered = sorted(values)
    position = p * (len(ordered) - 1)
    low = math.floor(position)
    if low + 1 >= len(ordered):
        return float(ordered[low])
    return ordered[low] + (position - low) * (ordered[low + 1] - ordered[low])


def histogram(values: list[int]) -> dict[int, int]:
    found: dict[int, int] = {}
    for v in values:
        found[sketch.bucket(v)] = found.get(sketch.bucket(v), 0) + 1
    return found


@pytest.mark.parametrize(("value", "expected"), [
    pytest.param(0, 0, id="zero is bucket 0"),
    pytest.param(999, 0, id="under a microsecond is bucket 0"),
    pytest.param(1_000, 1, id="a microsecond opens bucket 1"),
    pytest.param(1_019, 1, id="just under 1.02 microseconds is still bucket 1"),
    pytest.param(1_021, 2, id="just over 1.02 microseconds is bucket 2"),
])
def test_bucket_bounds(value: int, expected: int) -> None:
    assert sketch.bucket(value) == expected


@pytest.mark.parametrize("value", [1_000, 5 * S, 60 * S, 3600 * S, 30 * 86_400 * S, 123_456_789])
def test_every_value_reads_back_within_the_relative_error(value: int) -> None:
    back = sketch.value(sketch.bucket(value))
    assert abs(back - value) <= sketch.RELATIVE_ERROR * value


def test_the_relative_error_is_under_one_percent() -> None:
    assert pytest.approx(0.0099, abs=1e-4) == sketch.RELATIVE_ERROR


def test_hand_worked_percentiles_of_five_flow_times() -> None:
    # [10, 20, 30, 40, 100] s: p50 = 30, p95 = 40 + 0.8 x 60 = 88, p99 = 97.6 (in seconds)
    found = histogram([10 * S, 20 * S, 30 * S, 40 * S, 100 * S])
    for p, expected in ((0.5, 30), (0.95, 88), (0.99, 97.6)):
        assert sketch.quantile(found, p) == pytest.approx(expected * S, rel=sketch.RELATIVE_ERROR)


def test_an_empty_histogram_has_no_percentile() -> None:
    assert sketch.quantile({}, 0.5) is None


def test_a_level_outside_0_1_is_refused() -> None:
    with pytest.raises(ValueError, match="quantile level"):
        sketch.quantile({1: 1}, 1.5)


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.integers(min_value=1_000, max_value=10 * 86_400 * S), min_size=1,
                       max_size=300),
       p=st.sampled_from([0.5, 0.9, 0.95, 0.99, 0.999]))
def test_any_percentile_is_within_the_relative_error_of_the_exact_one(values: list[int],
                                                                      p: float) -> None:
    assert sketch.quantile(histogram(values), p) == pytest.approx(
        exact(values, p), rel=sketch.RELATIVE_ERROR)


def test_a_hundred_thousand_lognormal_flow_times_stay_within_one_percent() -> None:
    rng = random.Random(7)
    values = [int(rng.lognormvariate(math.log(40 * S), 0.8)) for _ in range(100_000)]
    found = histogram(values)
    for p in (0.5, 0.95, 0.99):
        assert abs((sketch.quantile(found, p) or 0) - exact(values, p)) <= 0.01 * exact(values, p)


def test_steps_split_by_key() -> None:
    keys = {0 * sketch.STEP_KEY + 5: 2, 1 * sketch.STEP_KEY + 5: 1, 1 * sketch.STEP_KEY + 7: 3}
    assert sketch.split_steps(keys, 3) == ({5: 2}, {5: 1, 7: 3}, {})


def test_runs_below_a_run_are_those_in_lower_buckets() -> None:
    found = histogram([s * S for s in range(1, 101)])
    assert sketch.count_below(found, 42 * S) == 41


def test_placing_log_buckets_in_equal_buckets_keeps_every_run() -> None:
    found = histogram([1 * S, 2 * S, 7 * S, 30 * S])
    counts, overflow = sketch.place(found, 0, 5 * S, 2)
    assert counts == (2, 1) and overflow == 1
