"""Timeslice budgeting: good slices over slices with data, and the mean of slice ratios."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from slo.budget import budget_status
from slo.errors import ObjectiveError
from slo.sli import Counts, window_sli
from slo.timeslices import (
    ratio_timeslices_sli,
    slice_is_good,
    summarize_timeslices,
    timeslices_sli,
)
from tests.slo.strategies import counts


@pytest.mark.parametrize(
    ("bucket", "threshold", "good"),
    [
        pytest.param((95, 100), 0.95, True, id="a slice exactly at the threshold is good"),
        pytest.param((94, 100), 0.95, False, id="a slice below the threshold is bad"),
        pytest.param((1, 1), 1.0, True, id="a perfect slice meets a threshold of 1"),
        pytest.param((0, 5), 0.0, True, id="any slice with data meets a threshold of 0"),
        pytest.param((0, 0), 0.5, None, id="a slice without events is neither good nor bad"),
    ],
)
def test_a_slice_is_good_at_or_above_its_threshold(bucket: tuple[int, int], threshold: float,
                                                   good: bool | None) -> None:
    assert slice_is_good(bucket, threshold) is good


@pytest.mark.parametrize(
    ("slices", "timeslices", "ratio_timeslices"),
    [
        pytest.param([(99, 100), (90, 100), (100, 100), (0, 0)], 2 / 3, (0.99 + 0.9 + 1) / 3,
                     id="empty slices are left out of both methods"),
        pytest.param([(1, 1), (0, 1000)], 0.5, 0.5,
                     id="every slice weighs the same however busy"),
        pytest.param([(999, 1000), (1, 1)], 1.0, (0.999 + 1) / 2,
                     id="slices all at or above the threshold give 1"),
    ],
)
def test_timeslice_slis(slices: list[tuple[int, int]], timeslices: float,
                        ratio_timeslices: float) -> None:
    assert timeslices_sli(slices, 0.99) == pytest.approx(timeslices)
    assert ratio_timeslices_sli(slices) == pytest.approx(ratio_timeslices)


def test_ratio_timeslices_is_an_average_and_differs_from_the_event_sli() -> None:
    slices = [(1, 1), (0, 1000)]
    assert ratio_timeslices_sli(slices) == pytest.approx(0.5)
    assert window_sli(slices) == pytest.approx(1 / 1001)


def test_a_summary_counts_slices() -> None:
    summary = summarize_timeslices([(99, 100), (90, 100), (100, 100), (0, 0)], 0.99)
    assert (summary.slices, summary.slices_with_data, summary.good_slices) == (4, 3, 2)
    assert (summary.bad_slices, summary.empty_slices) == (1, 1)
    assert summary.counts == Counts(2, 3)


def test_slices_feed_the_budget_math() -> None:
    # 8640 five-minute slices in 30 days; 99.9 % allows 8.64 bad slices; 4 were bad.
    slices = [(0, 10)] * 4 + [(10, 10)] * 8636
    summary = summarize_timeslices(slices, 0.99)
    status = budget_status(summary.counts, 0.999, timedelta(days=30))
    assert status.allowed_bad == pytest.approx(8.64)
    assert status.remaining == pytest.approx(1 - 4 / 8.64)


@pytest.mark.parametrize(
    "slices",
    [pytest.param([], id="no slices"), pytest.param([(0, 0)] * 3, id="only empty slices")],
)
def test_no_data_has_no_timeslice_sli(slices: list[tuple[int, int]]) -> None:
    assert timeslices_sli(slices, 0.9) is None
    assert ratio_timeslices_sli(slices) is None


@pytest.mark.parametrize("threshold", [pytest.param(-0.1, id="a negative threshold"),
                                       pytest.param(1.5, id="a threshold above one")])
def test_a_threshold_outside_zero_and_one_is_refused(threshold: float) -> None:
    with pytest.raises(ObjectiveError, match="slice threshold"):
        timeslices_sli([(1, 1)], threshold)


@given(st.lists(counts(max_valid=1000), max_size=50),
       st.floats(0.0, 1.0, allow_nan=False))
def test_timeslice_slis_are_fractions(slices: list[Counts], threshold: float) -> None:
    for value in (timeslices_sli(slices, threshold), ratio_timeslices_sli(slices)):
        assert value is None or 0.0 <= value <= 1.0


@given(st.integers(1, 1000), st.lists(st.integers(0, 1000), min_size=1, max_size=50))
def test_with_equal_slices_ratio_timeslices_equals_the_event_sli(per_slice: int,
                                                                 goods: list[int]) -> None:
    slices = [Counts(min(g, per_slice), per_slice) for g in goods]
    assert ratio_timeslices_sli(slices) == pytest.approx(window_sli(slices))


@given(st.lists(counts(max_valid=1000), max_size=50), st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_a_stricter_threshold_never_has_more_good_slices(slices: list[Counts], a: float,
                                                         b: float) -> None:
    low, high = sorted((a, b))
    assert (summarize_timeslices(slices, high).good_slices
            <= summarize_timeslices(slices, low).good_slices)
