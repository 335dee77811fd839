"""Exact money arithmetic: the precision contract, quotients, display rounding, exact splits.

Money is always a :class:`decimal.Decimal` built from strings or ints, never from floats.

**Precision contract.**

- Amounts given to the cost room are finite, with at most :data:`MAX_PLACES` (18) decimal
  places and fewer than :data:`MAX_INTEGER_DIGITS` (30) integer digits (:func:`check_amount`).
- Sums and products are **exact**: they run in :data:`MONEY_CONTEXT` (200 significant digits,
  every rounding trapped), which holds any sum or product of such amounts without rounding. Use
  :func:`exact` (a :func:`decimal.localcontext`) around arithmetic on money.
- Quotients are the only inexact step. :func:`divide` rounds the exact rational quotient once,
  half to even, to :data:`QUOTIENT_PLACES` (18) decimal places and drops trailing zeros, so
  ``divide(1200, 30) == Decimal("40")`` and ``divide(1200, 31)`` is
  ``Decimal("38.70967741935483871")``. Callers that need parts to add back to a whole
  divide once and give the residue to one part (see :mod:`cost.amortisation`), or split in
  minor units with :func:`split_exactly`.
- Rounding to a currency's minor unit happens **only for display** (:func:`round_places`, and
  :func:`cost.currency.round_money`), half to even.

**Exact splits.** :func:`split_exactly` and :func:`round_parts` use the largest-remainder
method in minor units: every part is its exact share rounded down, and the units still missing
go one each to the parts with the largest remainders (ties to the earlier part). The parts
therefore add up to the total exactly and each is strictly within one minor unit of its exact
share.

Pure: standard library only.
"""

from __future__ import annotations

import decimal
from collections.abc import Sequence
from contextlib import AbstractContextManager
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from math import floor

from cost.errors import AllocationError, AmountError

MAX_PLACES = 18
"""Most decimal places an amount, price, rate or quantity given to the cost room may have."""

MAX_INTEGER_DIGITS = 30
"""Amounts must be below ``10**30`` in magnitude."""

QUOTIENT_PLACES = 18
"""Decimal places a quotient is rounded to (half to even) by :func:`divide`."""

MONEY_CONTEXT = decimal.Context(
    prec=200,
    rounding=ROUND_HALF_EVEN,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow, decimal.Inexact],
)
"""Context for sums and products of money: wide enough that they never round, and trapping
:class:`decimal.Inexact` so that a rounding could never pass unnoticed."""

_DISPLAY_CONTEXT = decimal.Context(prec=200, rounding=ROUND_HALF_EVEN,
                                   traps=[decimal.InvalidOperation])
_LIMIT = Decimal(f"1E{MAX_INTEGER_DIGITS}")


def exact() -> AbstractContextManager[decimal.Context]:
    """``with exact(): ...`` runs money arithmetic in :data:`MONEY_CONTEXT`."""
    return decimal.localcontext(MONEY_CONTEXT)


def check_amount(value: Decimal, what: str = "amount", *, negative: bool = True) -> Decimal:
    """``value`` itself when it is a finite Decimal within the precision contract.

    ``what`` names the value in the error message; ``negative=False`` also refuses values
    below zero (prices, rates, quantities). Raises :class:`~cost.errors.AmountError`.
    """
    if not isinstance(value, Decimal):
        raise AmountError(f"{what} must be a decimal.Decimal (built from a string or an int), "
                          f"got {type(value).__name__} {value!r}")
    if not value.is_finite():
        raise AmountError(f"{what} must be a finite number, got {value}")
    if value.copy_abs() >= _LIMIT:
        raise AmountError(f"{what} must be below 10**{MAX_INTEGER_DIGITS} in magnitude, "
                          f"got {value}")
    if (Fraction(value) * 10**MAX_PLACES).denominator != 1:
        raise AmountError(f"{what} has more than {MAX_PLACES} decimal places: {value}")
    if not negative and value < 0:
        raise AmountError(f"{what} must not be negative, got {value}")
    return value


def check_count(value: int, what: str) -> int:
    """``value`` itself when it is a non-negative int (not a bool); else
    :class:`~cost.errors.AmountError`."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise AmountError(f"{what} must be an int, got {type(value).__name__} {value!r}")
    if value < 0:
        raise AmountError(f"{what} must not be negative, got {value}")
    return value


def tidy(value: Decimal) -> Decimal:
    """``value`` without trailing fractional zeros (``40.000`` → ``40``, ``0.50`` → ``0.5``);
    the same number."""
    if value == value.to_integral_value(context=_DISPLAY_CONTEXT):
        return value.quantize(Decimal(1), context=_DISPLAY_CONTEXT)
    return value.normalize(_DISPLAY_CONTEXT)


def divide(numerator: Decimal | int, denominator: Decimal | int) -> Decimal:
    """``numerator / denominator`` rounded once, half to even, to :data:`QUOTIENT_PLACES`
    decimal places, without trailing zeros.

    Exact when the quotient terminates within 18 places. Raises
    :class:`~cost.errors.AmountError` for a zero denominator or a non-finite operand.
    """
    for operand, what in ((numerator, "numerator"), (denominator, "denominator")):
        if isinstance(operand, Decimal):
            check_amount(operand, what)
    if denominator == 0:
        raise AmountError(f"cannot divide {numerator} by zero")
    quotient = Fraction(numerator) / Fraction(denominator)
    units = round(quotient * 10**QUOTIENT_PLACES)  # Fraction rounds half to even
    return tidy(Decimal(units).scaleb(-QUOTIENT_PLACES, context=MONEY_CONTEXT))


def round_places(amount: Decimal, places: int) -> Decimal:
    """``amount`` rounded half to even to ``places`` decimal places (``places >= 0``), for
    display only: ``round_places(Decimal("0.125"), 2) == Decimal("0.12")``."""
    check_amount(amount)
    if places < 0:
        raise AllocationError(f"places must not be negative, got {places}")
    return amount.quantize(Decimal(1).scaleb(-places), context=_DISPLAY_CONTEXT)


def split_exactly(total: Decimal, weights: Sequence[Decimal | int], *, places: int = 2
                  ) -> list[Decimal]:
    """``total`` split in proportion to ``weights``, in units of ``10**-places`` (the cent by
    default), by largest remainder: the parts add up to ``total`` exactly and each is strictly
    within one unit of its exact share ``total * w / sum(weights)``.

    ``total`` may be negative (a credit) but must be a whole number of units; weights must be
    non-negative and not all zero. Raises :class:`~cost.errors.AllocationError`.
    """
    check_amount(total, "total")
    if places < 0:
        raise AllocationError(f"places must not be negative, got {places}")
    if not weights:
        raise AllocationError("cannot split an amount over no weights")
    fractions: list[Fraction] = []
    for i, weight in enumerate(weights):
        if isinstance(weight, Decimal):
            check_amount(weight, f"weight {i}")
        elif not isinstance(weight, int) or isinstance(weight, bool):
            raise AllocationError(f"weight {i} must be a Decimal or an int, got {weight!r}")
        if weight < 0:
            raise AllocationError(f"weight {i} must not be negative, got {weight}")
        fractions.append(Fraction(weight))
    whole = sum(fractions, Fraction(0))
    if whole == 0:
        raise AllocationError("cannot split an amount over weights that are all zero")
    units = Fraction(total) * 10**places
    if units.denominator != 1:
        raise AllocationError(f"total {total} is not a whole number of 10**-{places} units; "
                              f"round it first")
    shares = [units * f / whole for f in fractions]
    return [_units(n, places) for n in _largest_remainder(shares, int(units))]


def round_parts(parts: Sequence[Decimal], *, places: int = 2) -> list[Decimal]:
    """Display values for ``parts`` that add up exactly to their total rounded half to even to
    ``places``; each is strictly within one unit of its exact value (largest remainder).

    Use it for a breakdown table whose rows must add up to the shown total.
    """
    if places < 0:
        raise AllocationError(f"places must not be negative, got {places}")
    shares = [Fraction(check_amount(p, f"part {i}")) * 10**places for i, p in enumerate(parts)]
    target = round(sum(shares, Fraction(0)))
    return [_units(n, places) for n in _largest_remainder(shares, target)]


def _largest_remainder(shares: Sequence[Fraction], target: int) -> list[int]:
    """Integers, each the floor of its share or one more, adding up to ``target``; the extra
    units go to the largest remainders, ties to the earlier share."""
    floors = [floor(s) for s in shares]
    missing = target - sum(floors)
    if not 0 <= missing <= len(shares):  # pragma: no cover - excluded by the callers' maths
        raise AllocationError(f"cannot reach {target} units from shares {shares}")
    order = sorted(range(len(shares)), key=lambda i: (-(shares[i] - floors[i]), i))
    for i in order[:missing]:
        floors[i] += 1
    return floors


def _units(count: int, places: int) -> Decimal:
    return Decimal(count).scaleb(-places, context=MONEY_CONTEXT)
