"""Objectives: the SLO target as a fraction, and its error budget.

Units. Every function of the ``slo`` room takes an **objective as a fraction** strictly between
0 and 1 (``0.999`` means 99.9 % of valid events must be good). The catalog carries objectives as
**percentages** (:attr:`catalog.model.SLOSpec.objective` is ``Decimal("99.9")``); convert them
once with :func:`objective_from_percent`.

The **error budget** is ``1 - objective``: the fraction of valid events allowed to be bad
(``0.001`` for 99.9 %). It is computed in exact rational arithmetic from the decimal the
objective was written as (its shortest ``repr``), so ``error_budget(0.999)`` is ``0.001`` and not
the binary-float ``0.0010000000000000009``. Threshold comparisons elsewhere in the room use the
exact :func:`exact_error_budget` so that a boundary case (an error ratio exactly equal to a
threshold) is decided the same way on every machine.

Pure: standard library only.
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from slo.errors import ObjectiveError

HUNDRED = Decimal(100)


def exact_ratio(value: float | Decimal | Fraction) -> Fraction:
    """``value`` as an exact fraction, reading a float as the decimal it prints as.

    ``exact_ratio(0.999) == Fraction(999, 1000)`` (not the binary expansion of the float).
    Raises :class:`ObjectiveError` for NaN and infinities.
    """
    if isinstance(value, Fraction):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ObjectiveError(f"must be a finite number, got {value!r}")
        return Fraction(Decimal(repr(value)))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ObjectiveError(f"must be a finite number, got {value}")
        return Fraction(value)
    return Fraction(value)


def check_objective(objective: float) -> float:
    """``objective`` itself when it is a fraction strictly between 0 and 1.

    Raises :class:`ObjectiveError` otherwise (a percentage such as ``99.9`` passed by mistake
    is named as such in the message).
    """
    exact = exact_ratio(objective)
    if not 0 < exact < 1:
        hint = (f"; {objective!r} looks like a percentage, convert it with "
                f"objective_from_percent()" if 1 < exact < 100 else "")
        raise ObjectiveError(f"an objective must be a fraction between 0 and 1 (exclusive), "
                             f"got {objective!r}{hint}")
    return objective


def objective_from_percent(percent: Decimal | int | str) -> float:
    """A percentage (``Decimal("99.9")``, as the catalog writes it) → a fraction (``0.999``).

    The division happens in decimal, so the float returned is the nearest one to the exact
    fraction. Raises :class:`ObjectiveError` unless ``0 < percent < 100``.
    """
    try:
        value = Decimal(percent)
    except (InvalidOperation, ValueError) as exc:
        raise ObjectiveError(f"an objective percentage must be a number, got {percent!r}") from exc
    if not value.is_finite() or not 0 < value < HUNDRED:
        raise ObjectiveError(f"an objective percentage must be between 0 and 100 (exclusive), "
                             f"got {percent}")
    return float(value / HUNDRED)


def exact_error_budget(objective: float) -> Fraction:
    """``1 - objective`` exactly (``Fraction(1, 1000)`` for ``0.999``); validates ``objective``."""
    check_objective(objective)
    return 1 - exact_ratio(objective)


def error_budget(objective: float) -> float:
    """``1 - objective``: the fraction of valid events allowed to be bad (``0.001`` for 0.999)."""
    return float(exact_error_budget(objective))
