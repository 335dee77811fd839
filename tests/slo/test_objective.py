"""Objectives are fractions; the catalog's percentages convert once, and budgets are exact."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from slo.errors import ObjectiveError
from slo.objective import (
    check_objective,
    error_budget,
    exact_error_budget,
    objective_from_percent,
)


@pytest.mark.parametrize(
    ("percent", "fraction"),
    [
        pytest.param(Decimal("99.9"), 0.999, id="99.9 percent is 0.999"),
        pytest.param(Decimal("99.95"), 0.9995, id="two decimals survive"),
        pytest.param(95, 0.95, id="an integer percentage"),
        pytest.param("99.5", 0.995, id="a decimal string"),
    ],
)
def test_a_percentage_becomes_a_fraction(percent: Decimal | int | str, fraction: float) -> None:
    assert objective_from_percent(percent) == pytest.approx(fraction)


@pytest.mark.parametrize(
    "percent",
    [
        pytest.param(Decimal(100), id="100 percent is refused"),
        pytest.param(Decimal(0), id="0 percent is refused"),
        pytest.param(Decimal("-5"), id="a negative percentage is refused"),
        pytest.param("lots", id="a word is refused"),
        pytest.param(Decimal("NaN"), id="not-a-number is refused"),
    ],
)
def test_an_impossible_percentage_is_refused(percent: Decimal | str) -> None:
    with pytest.raises(ObjectiveError):
        objective_from_percent(percent)


@pytest.mark.parametrize(
    ("objective", "fragment"),
    [
        pytest.param(99.9, "looks like a percentage", id="a percentage passed as a fraction"),
        pytest.param(1.0, "between 0 and 1", id="an objective of 1 leaves no budget"),
        pytest.param(0.0, "between 0 and 1", id="an objective of 0 is refused"),
        pytest.param(float("inf"), "finite", id="infinity is refused"),
    ],
)
def test_an_objective_outside_zero_and_one_is_refused(objective: float, fragment: str) -> None:
    with pytest.raises(ObjectiveError, match=fragment):
        check_objective(objective)


def test_the_error_budget_is_exact_for_the_decimal_written() -> None:
    assert exact_error_budget(0.999) == Fraction(1, 1000)
    assert error_budget(0.999) == pytest.approx(0.001)
    assert error_budget(0.95) == pytest.approx(0.05)
