"""Percentages: as many decimals as keep the verdict visible, at most four."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from slo.percent import percent_text


@pytest.mark.parametrize(("value", "against", "shown"), [
    pytest.param(0.9987301587, (0.999,), "99.87 %",
                 id="an SLI just under its objective shows the decimals that tell them apart"),
    pytest.param(0.9989512, (0.999,), "99.895 %",
                 id="a closer miss shows three decimals"),
    pytest.param(0.99899999, (0.999,), "99.8999 %",
                 id="a miss hidden even at four decimals is rounded down, not up"),
    pytest.param(0.99900001, (0.999,), "99.9001 %",
                 id="a pass hidden even at four decimals is rounded up, not onto the objective"),
    pytest.param(0.999, (0.999,), "99.9 %", id="exactly the objective reads as the objective"),
    pytest.param(0.9952, (0.999,), "99.5 %", id="a clear miss needs one decimal"),
    pytest.param(Fraction(19, 21), (0.99,), "90.5 %", id="a fraction of runs"),
    pytest.param(0.99996, (), "99.996 %", id="under 100 % never reads 100.0 %"),
    pytest.param(1.0, (), "100.0 %", id="all of it"),
    pytest.param(0.00004, (), "0.004 %", id="a sliver of budget never reads 0.0 %"),
    pytest.param(1e-7, (), "0.0001 %", id="below the last decimal it is rounded away from zero"),
    pytest.param(0.0, (), "0.0 %", id="zero"),
    pytest.param(0.00153, (), "0.2 %", id="a small ratio away from every reference"),
    pytest.param(-8.5238095238, (0.0,), "-852.4 %", id="an overspent budget"),
    pytest.param(0.18, (0.25,), "18.0 %", id="a budget below its alert threshold"),
])
def test_a_percentage_keeps_its_verdict_visible(value: float | Decimal | Fraction,
                                                against: tuple[float, ...], shown: str) -> None:
    assert percent_text(value, against) == shown


@pytest.mark.parametrize(("objective", "shown"), [
    pytest.param(Decimal("99.95") / 100, "99.95 %", id="never 100.0 %"),
    pytest.param(Decimal("99.925") / 100, "99.925 %", id="never 99.9 %"),
    pytest.param(0.99, "99.0 %", id="at least one decimal"),
    pytest.param(0.0015, "0.15 %", id="a small threshold"),
    pytest.param(Decimal("99.123456") / 100, "99.1235 %", id="at most four decimals"),
])
def test_a_declared_number_shows_all_its_decimals(objective: Decimal | float,
                                                  shown: str) -> None:
    assert percent_text(objective, exact=True) == shown


def test_a_missing_value_reads_as_told() -> None:
    assert percent_text(None) == "n/a"
    assert percent_text(None, missing="—") == "—"
