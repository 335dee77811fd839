"""Cost per success and successes before vs after a release date."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from cost.errors import SeriesError
from cost.release import compare_release
from cost.roi import DailyResult

RELEASE = date(2026, 3, 1)
# ten days before at 88.2025 for 97 successes and 3 failures, ten days after at 70.2025 for
# 100 successes and 1 failure
BEFORE = [DailyResult(RELEASE - timedelta(days=10 - i), Decimal("88.2025"), 97, 3)
          for i in range(10)]
AFTER = [DailyResult(RELEASE + timedelta(days=i), Decimal("70.2025"), 100, 1)
         for i in range(10)]


def test_cost_per_success_before_and_after_a_release() -> None:
    comparison = compare_release(BEFORE + AFTER, RELEASE)
    before, after = comparison.before, comparison.after
    assert (before.first, before.last, before.days) == (date(2026, 2, 19), date(2026, 2, 28), 10)
    assert (after.first, after.last, after.days) == (RELEASE, date(2026, 3, 10), 10)
    # before: 882.025 / 970 = 0.909304123711340206 ; after: 702.025 / 1000 = 0.702025
    assert before.cost_per_success == Decimal("0.909304123711340206")
    assert after.cost_per_success == Decimal("0.702025")
    # 0.702025 - 0.909304123711340206 = -0.207279123711340206
    assert comparison.cost_per_success_change == Decimal("-0.207279123711340206")
    # (702.025 x 970) / (882.025 x 1000) = 680964.25 / 882025
    #                                     = 0.772046427255463280|52... rounds up
    assert comparison.cost_per_success_ratio == Decimal("0.772046427255463281")
    assert comparison.success_change == 30  # 1000 - 970
    assert (before.successes_per_day, after.successes_per_day) == (Decimal("97"),
                                                                   Decimal("100"))
    # 970 / (970 + 30) = 0.97 ; 1000 / (1000 + 10) = 0.990099009900990099|0099... rounds down
    assert (before.failures, after.failures) == (30, 10)
    assert before.success_rate == Decimal("0.97")
    assert after.success_rate == Decimal("0.990099009900990099")


@pytest.mark.parametrize(
    ("span", "before_days", "after_days"),
    [
        pytest.param(3, 3, 3, id="three days on each side"),
        pytest.param(30, 10, 10, id="a span wider than the data keeps all of it"),
    ],
)
def test_a_span_limits_both_sides(span: int, before_days: int, after_days: int) -> None:
    comparison = compare_release(BEFORE + AFTER, RELEASE, span_days=span)
    assert (comparison.before.days, comparison.after.days) == (before_days, after_days)
    if span == 3:
        assert comparison.before.first == date(2026, 2, 26)
        assert comparison.after.last == date(2026, 3, 3)


def test_a_side_without_successes_has_no_cost_per_success() -> None:
    comparison = compare_release([DailyResult(date(2026, 2, 28), Decimal("40"), 0), *AFTER],
                                 RELEASE)
    assert comparison.before.cost_per_success is None
    assert comparison.cost_per_success_change is None
    assert comparison.cost_per_success_ratio is None
    empty = compare_release(AFTER, RELEASE)
    assert (empty.before.days, empty.before.first, empty.before.successes_per_day) == (
        0, None, None)
    assert empty.before.success_rate is None


@pytest.mark.parametrize("span", [0, -1], ids=lambda s: f"a span of {s} days is refused")
def test_the_span_must_be_positive(span: int) -> None:
    with pytest.raises(SeriesError, match="positive"):
        compare_release(AFTER, RELEASE, span_days=span)
