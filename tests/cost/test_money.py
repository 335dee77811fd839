"""The precision contract: exact checks, one-rounding quotients, display rounding, exact splits."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cost.errors import AllocationError, AmountError
from cost.money import check_amount, divide, exact, round_parts, round_places, split_exactly, tidy


@pytest.mark.parametrize(
    ("numerator", "denominator", "quotient"),
    [
        pytest.param(Decimal("1200"), 30, Decimal("40"), id="an exact quotient keeps no zeros"),
        # 1200 / 31 = 38.709677419354838709|677... -> the 19th place 6 rounds the 18th up
        pytest.param(Decimal("1200"), 31, Decimal("38.70967741935483871"),
                     id="a repeating quotient is rounded to 18 places"),
        # 88.2025 / 97 = 0.909304123711340206|1855... -> rounds down
        pytest.param(Decimal("88.2025"), 97, Decimal("0.909304123711340206"),
                     id="cost per success of the contract day"),
        # 5 * 10**-19 is exactly half a unit of the 18th place: half to even gives 0
        pytest.param(Decimal("0.000000000000000001"), 2, Decimal("0"),
                     id="a tie at the 19th place rounds to the even 0"),
        # 3 * 10**-18 / 2 = 1.5 units -> the even neighbour 2
        pytest.param(Decimal("0.000000000000000003"), 2, Decimal("0.000000000000000002"),
                     id="a tie rounds to the even neighbour 2"),
        pytest.param(Decimal("-1"), 3, Decimal("-0.333333333333333333"),
                     id="a negative quotient rounds by magnitude"),
        pytest.param(Decimal("1080"), Decimal("60"), Decimal("18"),
                     id="two interventions of 12 minutes at 45 an hour are 18"),
    ],
)
def test_divide_rounds_once_to_18_places(numerator: Decimal, denominator: Decimal | int,
                                         quotient: Decimal) -> None:
    result = divide(numerator, denominator)
    assert result == quotient
    assert str(result) == str(quotient)


@pytest.mark.parametrize(
    ("value", "what"),
    [
        pytest.param(1.5, "must be a decimal.Decimal", id="a float is refused"),
        pytest.param(Decimal("NaN"), "finite", id="not-a-number is refused"),
        pytest.param(Decimal("Infinity"), "finite", id="infinity is refused"),
        pytest.param(Decimal("0.0000000000000000001"), "18 decimal places",
                     id="a 19th decimal place is refused"),
        pytest.param(Decimal("1E30"), "below 10\\*\\*30", id="an amount of 31 digits is refused"),
    ],
)
def test_amounts_outside_the_contract_are_refused(value: object, what: str) -> None:
    with pytest.raises(AmountError, match=what):
        check_amount(value)  # type: ignore[arg-type]


def test_trailing_zeros_beyond_18_places_are_still_accepted() -> None:
    assert check_amount(Decimal("1.50000000000000000000000")) == Decimal("1.5")


def test_a_negative_price_is_refused_when_asked() -> None:
    with pytest.raises(AmountError, match="price must not be negative"):
        check_amount(Decimal("-0.01"), "price", negative=False)


def test_division_by_zero_is_refused() -> None:
    with pytest.raises(AmountError, match="by zero"):
        divide(Decimal("1"), 0)


def test_sums_and_products_are_exact_beyond_the_default_28_digits() -> None:
    big = Decimal("123456789012345678901234567.123456789012345678")  # 45 digits
    with exact():
        assert big * 3 - big - big == big
        assert (big + Decimal("0.000000000000000001")) - big == Decimal("1E-18")


@pytest.mark.parametrize(
    ("amount", "places", "shown"),
    [
        pytest.param(Decimal("0.125"), 2, "0.12", id="half to even rounds 0.125 down"),
        pytest.param(Decimal("0.135"), 2, "0.14", id="half to even rounds 0.135 up"),
        pytest.param(Decimal("40"), 2, "40.00", id="whole amounts get their cents"),
        pytest.param(Decimal("2.5"), 0, "2", id="no minor unit rounds 2.5 to 2"),
        pytest.param(Decimal("-1.005"), 2, "-1.00", id="negative ties go to even too"),
    ],
)
def test_display_rounding_is_half_to_even(amount: Decimal, places: int, shown: str) -> None:
    assert str(round_places(amount, places)) == shown


def test_tidy_drops_only_trailing_zeros() -> None:
    assert str(tidy(Decimal("40.000"))) == "40"
    assert str(tidy(Decimal("0.500"))) == "0.5"
    assert str(tidy(Decimal("1200"))) == "1200"


@pytest.mark.parametrize(
    ("total", "weights", "places", "parts"),
    [
        # 100.00 / 3 = 33.333...: floors 33.33 x3 = 99.99, one cent left for the first
        pytest.param(Decimal("100.00"), [1, 1, 1], 2,
                     ["33.34", "33.33", "33.33"], id="a cent left over goes to the first tie"),
        # 1200 over 31 equal days: 30 days of 38.71, one of 38.70 (30 x 0.01 missing cents)
        pytest.param(Decimal("1200"), [1] * 31, 2, ["38.71"] * 30 + ["38.70"],
                     id="a 31-day month in cents"),
        # 10.00 split 1:2:7 = 1.00, 2.00, 7.00 exactly
        pytest.param(Decimal("10.00"), [1, 2, 7], 2, ["1.00", "2.00", "7.00"],
                     id="exact shares need no remainder"),
        # 1.00 split 0.6:0.3:0.1 with a zero weight in the middle
        pytest.param(Decimal("1"), [Decimal("0.6"), 0, Decimal("0.4")], 2,
                     ["0.60", "0.00", "0.40"], id="a zero weight gets nothing"),
        # 0.05 over 3: exact 1.666 cents; floors 1,1,1 = 3; two cents to the largest remainders
        pytest.param(Decimal("0.05"), [1, 1, 1], 2, ["0.02", "0.02", "0.01"],
                     id="largest remainders, ties to the earlier part"),
        # shares 2/3*1.00=0.666.. and 1/3*1.00=0.333..: remainders .67 and .33 -> first gets it
        pytest.param(Decimal("1.00"), [2, 1], 2, ["0.67", "0.33"],
                     id="the largest remainder wins over order"),
        pytest.param(Decimal("-10.00"), [1, 1, 1], 2, ["-3.33", "-3.33", "-3.34"],
                     id="a credit is split with floors too"),
        pytest.param(Decimal("1000"), [1, 1, 1], 0, ["334", "333", "333"],
                     id="yen have no minor unit"),
    ],
)
def test_split_exactly_by_largest_remainder(total: Decimal, weights: list[Decimal | int],
                                            places: int, parts: list[str]) -> None:
    result = split_exactly(total, weights, places=places)
    assert [str(p) for p in result] == parts
    assert sum(result) == total


@pytest.mark.parametrize(
    ("total", "weights", "message"),
    [
        pytest.param(Decimal("1"), [], "no weights", id="no weights are refused"),
        pytest.param(Decimal("1"), [0, 0], "all zero", id="all-zero weights are refused"),
        pytest.param(Decimal("1"), [1, -1], "must not be negative",
                     id="a negative weight is refused"),
        pytest.param(Decimal("1.005"), [1, 1], "whole number", id="a total finer than cents"),
        pytest.param(Decimal("1"), [1.0], "Decimal or an int", id="a float weight is refused"),
    ],
)
def test_impossible_splits_are_refused(total: Decimal, weights: list[Decimal | int],
                                       message: str) -> None:
    with pytest.raises(AllocationError, match=message):
        split_exactly(total, weights)


cents = st.integers(min_value=-10**12, max_value=10**12)
weights = st.lists(
    st.decimals(min_value=0, max_value=10**6, places=4, allow_nan=False, allow_infinity=False),
    min_size=1, max_size=40,
).filter(lambda ws: any(w > 0 for w in ws))


@given(units=cents, weights=weights, places=st.sampled_from([0, 2, 3]))
def test_split_exactly_sums_back_and_stays_within_one_unit(units: int, weights: list[Decimal],
                                                           places: int) -> None:
    total = Decimal(units).scaleb(-places)
    parts = split_exactly(total, weights, places=places)
    assert sum(parts) == total
    whole = sum(Fraction(w) for w in weights)
    unit = Fraction(1, 10**places)
    for part, weight in zip(parts, weights, strict=True):
        share = Fraction(total) * Fraction(weight) / whole
        assert abs(Fraction(part) - share) < unit
        assert part.as_tuple().exponent == -places
        if weight == 0:
            assert part == 0


@pytest.mark.parametrize(
    ("parts", "shown"),
    [
        # 30.2 + 0.0025 + 40 + 18 = 88.2025 -> 88.20; floors 30.20, 0.00, 40.00, 18.00 = 88.20
        pytest.param(["30.200", "0.0025", "40", "18", "0"], ["30.20", "0.00", "40.00", "18.00",
                                                              "0.00"],
                     id="the contract day by category"),
        # three thirds of a dollar: 0.333.. each, total 1.00 -> 0.34, 0.33, 0.33 (not 0.99)
        pytest.param(["0.333333", "0.333333", "0.333334"], ["0.33", "0.33", "0.34"],
                     id="rows add up to the shown total, not to 0.99"),
        # cents -0.4 and 1.4, total 1: floors -1 and 1 leave one cent for the larger remainder
        # (0.6 of the credit), so the credit shows 0.00 and the rows still add up to 0.01
        pytest.param(["-0.004", "0.014"], ["0.00", "0.01"], id="a credit takes a cent by floor"),
    ],
)
def test_round_parts_add_up_to_the_rounded_total(parts: list[str], shown: list[str]) -> None:
    result = round_parts([Decimal(p) for p in parts])
    assert [str(r) for r in result] == shown


amounts = st.decimals(min_value=-10**9, max_value=10**9, places=6, allow_nan=False,
                      allow_infinity=False)


@given(parts=st.lists(amounts, max_size=30), places=st.sampled_from([0, 2, 3]))
def test_round_parts_sum_to_the_rounded_total_within_one_unit(parts: list[Decimal],
                                                              places: int) -> None:
    rounded = round_parts(parts, places=places)
    with exact():
        total = sum(parts, Decimal(0))
    assert sum(rounded, Decimal(0)) == round_places(total, places)
    for part, shown in zip(parts, rounded, strict=True):
        assert abs(Fraction(shown) - Fraction(part)) < Fraction(1, 10**places)
