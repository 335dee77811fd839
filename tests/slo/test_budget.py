"""Burn rate, budget consumed and remaining, allowed bad events and time to exhaustion."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from slo.budget import (
    allowed_bad_events,
    budget_consumed,
    budget_remaining,
    budget_status,
    burn_rate,
    time_to_exhaustion,
)
from slo.errors import ObjectiveError, PeriodError
from slo.objective import objective_from_percent
from slo.sli import Counts, total
from tests.slo.strategies import counts, objectives

DAYS_30 = timedelta(days=30)


@pytest.mark.parametrize(
    ("good", "valid", "error_ratio", "burn", "remaining", "allowed"),
    [
        pytest.param(999_500, 1_000_000, 0.0005, 0.5, 0.5, 1000.0,
                     id="500 bad of a million at 99.9 leaves half the budget"),
        pytest.param(999_000, 1_000_000, 0.001, 1.0, 0.0, 1000.0,
                     id="exactly the allowed bad events leave nothing"),
        pytest.param(998_000, 1_000_000, 0.002, 2.0, -1.0, 1000.0,
                     id="a breached SLO has negative budget remaining (not clamped)"),
        pytest.param(1_000_000, 1_000_000, 0.0, 0.0, 1.0, 1000.0,
                     id="no bad events leave the whole budget"),
        pytest.param(0, 10, 1.0, 1000.0, -999.0, 0.01, id="all bad burns a thousand times over"),
    ],
)
def test_hand_computed_budgets_at_99_9(good: int, valid: int, error_ratio: float, burn: float,
                                       remaining: float, allowed: float) -> None:
    objective = objective_from_percent("99.9")
    status = budget_status(Counts(good, valid), objective, DAYS_30)
    assert status.error_ratio == pytest.approx(error_ratio)
    assert status.burn_rate == pytest.approx(burn)
    assert status.consumed == pytest.approx(burn)
    assert status.remaining == pytest.approx(remaining)
    assert status.allowed_bad == pytest.approx(allowed)
    assert burn_rate(error_ratio, objective) == pytest.approx(burn)
    assert budget_consumed(error_ratio, objective) == pytest.approx(burn)
    assert budget_remaining(error_ratio, objective) == pytest.approx(remaining)
    assert allowed_bad_events(valid, objective) == pytest.approx(allowed)


def test_a_budget_status_reports_bad_events_left() -> None:
    status = budget_status(Counts(999_500, 1_000_000), 0.999, DAYS_30)
    assert status.bad_remaining == pytest.approx(500.0)
    assert status.sli == pytest.approx(0.9995)
    assert status.time_to_exhaustion is not None  # half the budget at burn 0.5
    assert status.time_to_exhaustion.total_seconds() == pytest.approx(DAYS_30.total_seconds())


def test_a_budget_status_uses_the_current_burn_for_exhaustion() -> None:
    status = budget_status(Counts(999_500, 1_000_000), 0.999, DAYS_30, current_burn_rate=14.4)
    assert status.exhaustion_burn_rate == pytest.approx(14.4)
    assert status.time_to_exhaustion is not None
    assert status.time_to_exhaustion.total_seconds() == pytest.approx(
        timedelta(hours=25).total_seconds())


def test_an_empty_period_has_an_unknown_budget() -> None:
    status = budget_status(Counts(0, 0), 0.999, DAYS_30)
    assert status.sli is None
    assert status.error_ratio is None
    assert status.burn_rate is None
    assert status.remaining is None
    assert status.time_to_exhaustion is None
    assert status.allowed_bad == pytest.approx(0.0)
    assert burn_rate(None, 0.999) is None
    assert budget_remaining(None, 0.999) is None


@pytest.mark.parametrize(
    ("remaining", "burn", "expected"),
    [
        pytest.param(0.5, 0.5, DAYS_30, id="half the budget at burn 0.5 lasts the period"),
        pytest.param(0.5, 14.4, timedelta(hours=25), id="half the budget at burn 14.4 lasts 25h"),
        pytest.param(1.0, 1.0, DAYS_30, id="a full budget at burn 1 lasts exactly the period"),
        pytest.param(0.5, 0.0, None, id="a burn of zero never exhausts the budget"),
        pytest.param(0.0, 2.0, timedelta(0), id="an exhausted budget is exhausted now"),
        pytest.param(-0.3, 0.0, timedelta(0),
                     id="an overspent budget is exhausted even at no burn"),
        pytest.param(None, 2.0, None, id="an unknown budget has no exhaustion time"),
        pytest.param(0.5, None, None, id="an unknown burn has no exhaustion time"),
    ],
)
def test_time_to_exhaustion(remaining: float | None, burn: float | None,
                            expected: timedelta | None) -> None:
    result = time_to_exhaustion(remaining, burn, DAYS_30)
    if expected is None:
        assert result is None
    else:
        assert result is not None
        assert result.total_seconds() == pytest.approx(expected.total_seconds())


def test_time_to_exhaustion_needs_a_positive_period() -> None:
    with pytest.raises(PeriodError):
        time_to_exhaustion(0.5, 1.0, timedelta(0))


def test_burn_needs_an_objective_fraction() -> None:
    with pytest.raises(ObjectiveError):
        burn_rate(0.01, 99.9)


@given(objectives, st.integers(1, 10**7), st.data())
def test_burn_rate_grows_with_bad_events(objective: float, valid: int, data: st.DataObject
                                         ) -> None:
    fewer = data.draw(st.integers(0, valid))
    more = data.draw(st.integers(fewer, valid))
    low = budget_status(Counts(valid - fewer, valid), objective, DAYS_30).burn_rate
    high = budget_status(Counts(valid - more, valid), objective, DAYS_30).burn_rate
    assert low is not None and high is not None
    assert low <= high


@given(objectives, st.lists(counts(), min_size=1, max_size=30))
def test_budget_consumed_is_the_valid_weighted_sum_of_bucket_burns(
        objective: float, buckets: list[Counts]) -> None:
    whole = total(buckets)
    consumed = budget_status(whole, objective, DAYS_30).consumed
    if whole.empty:
        assert consumed is None
        return
    weighted = 0.0
    for bucket in buckets:
        burn = burn_rate(bucket.error_ratio, objective)
        if burn is not None:
            weighted += burn * bucket.valid / whole.valid
    assert consumed == pytest.approx(weighted, rel=1e-9, abs=1e-9)


@given(objectives, st.integers(1, 10_000), st.lists(st.integers(0, 10_000), min_size=1,
                                                    max_size=30))
def test_with_steady_traffic_remaining_is_one_minus_burn_times_window_over_period(
        objective: float, per_window: int, bad_per_window: list[int]) -> None:
    # The period is cut into equal windows with the same traffic in each.
    buckets = [Counts(per_window - min(bad, per_window), per_window) for bad in bad_per_window]
    window = DAYS_30 / len(buckets)
    expected = 1.0
    for bucket in buckets:
        burn = burn_rate(bucket.error_ratio, objective)
        assert burn is not None
        expected -= burn * (window / DAYS_30)
    remaining = budget_status(total(buckets), objective, DAYS_30).remaining
    assert remaining == pytest.approx(expected, rel=1e-9, abs=1e-6)


@given(objectives, counts(min_valid=1))
def test_remaining_is_the_share_of_allowed_bad_events_left(objective: float, window: Counts
                                                           ) -> None:
    status = budget_status(window, objective, DAYS_30)
    assert status.remaining is not None
    assert status.bad_remaining == pytest.approx(status.remaining * status.allowed_bad,
                                                 rel=1e-9, abs=1e-6)


@given(st.floats(0.001, 1.0), st.floats(0.01, 100.0))
def test_time_to_exhaustion_times_burn_is_remaining_budget_time(remaining: float, burn: float
                                                                ) -> None:
    result = time_to_exhaustion(remaining, burn, DAYS_30)
    assert result is not None
    assert (result * burn).total_seconds() == pytest.approx(
        (DAYS_30 * remaining).total_seconds(), rel=1e-6, abs=1e-3)
