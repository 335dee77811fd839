"""Window SLIs are Σgood / Σvalid over buckets: counts are summed, then divided once."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from slo.errors import CountsError, SLOValueError
from slo.sli import Counts, total, window_error_ratio, window_sli
from tests.slo.strategies import counts


@pytest.mark.parametrize(
    ("buckets", "sli", "error_ratio"),
    [
        pytest.param([(999, 1000)], 0.999, 0.001, id="one bucket is its own ratio"),
        pytest.param([(90, 100), (1, 1)], 91 / 101, 10 / 101,
                     id="a busy bucket outweighs a quiet one (not the mean of ratios)"),
        pytest.param([(0, 0), (5, 10)], 0.5, 0.5, id="an empty bucket adds nothing"),
        pytest.param([Counts(3, 4), (1, 4)], 0.5, 0.5,
                     id="Counts and (good, valid) pairs mix"),
        pytest.param([(0, 10)], 0.0, 1.0, id="all bad gives an SLI of 0"),
        pytest.param([(10, 10)], 1.0, 0.0, id="all good gives an SLI of 1"),
    ],
)
def test_the_window_sli_sums_then_divides(buckets: list[Counts | tuple[int, int]], sli: float,
                                          error_ratio: float) -> None:
    assert window_sli(buckets) == pytest.approx(sli)
    assert window_error_ratio(buckets) == pytest.approx(error_ratio)


@pytest.mark.parametrize(
    "buckets",
    [
        pytest.param([], id="no buckets at all"),
        pytest.param([(0, 0), (0, 0)], id="buckets without valid events"),
    ],
)
def test_an_empty_window_has_no_sli(buckets: list[tuple[int, int]]) -> None:
    assert window_sli(buckets) is None
    assert window_error_ratio(buckets) is None
    assert total(buckets).empty


def test_the_mean_of_ratios_is_not_the_sli() -> None:
    buckets = [(90, 100), (1, 1)]
    mean_of_ratios = (0.9 + 1.0) / 2
    assert window_sli(buckets) != pytest.approx(mean_of_ratios)


@pytest.mark.parametrize(
    ("good", "valid", "fragment"),
    [
        pytest.param(-1, 5, "must not be negative", id="negative good events are refused"),
        pytest.param(0, -5, "must not be negative", id="negative valid events are refused"),
        pytest.param(6, 5, "cannot outnumber", id="more good than valid events is refused"),
    ],
)
def test_impossible_counts_are_refused(good: int, valid: int, fragment: str) -> None:
    with pytest.raises(CountsError, match=fragment) as caught:
        Counts(good, valid)
    assert isinstance(caught.value, SLOValueError)
    assert isinstance(caught.value, ValueError)


def test_counts_add_up() -> None:
    assert Counts(1, 2) + Counts(3, 4) == Counts(4, 6)
    assert Counts(1, 4).bad == 3


@given(st.lists(counts(), max_size=20), st.lists(counts(), max_size=20))
def test_the_sli_of_concatenated_windows_is_total_good_over_total_valid(
        first: list[Counts], second: list[Counts]) -> None:
    good = sum(c.good for c in first + second)
    valid = sum(c.valid for c in first + second)
    assert total(first + second) == total(first) + total(second)
    result = window_sli(first + second)
    if valid == 0:
        assert result is None
    else:
        assert result == pytest.approx(good / valid)


@given(st.lists(counts(), min_size=1, max_size=20))
def test_the_sli_lies_between_the_worst_and_the_best_bucket(buckets: list[Counts]) -> None:
    ratios = [c.sli for c in buckets if c.sli is not None]
    result = window_sli(buckets)
    if not ratios:
        assert result is None
        return
    assert result is not None
    assert min(ratios) - 1e-12 <= result <= max(ratios) + 1e-12


@given(counts(min_valid=1))
def test_sli_and_error_ratio_add_up_to_one(bucket: Counts) -> None:
    assert bucket.sli is not None and bucket.error_ratio is not None
    assert bucket.sli + bucket.error_ratio == pytest.approx(1.0)
