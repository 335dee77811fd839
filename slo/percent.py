"""Percentages as people read them: one rule for the pages, the CLI and the alert texts.

A fraction (``0.9987``) is shown in percent (``99.87 %``) with **as few decimals as keep the
verdict visible**, at least :data:`MIN_PLACES` (1) and at most :data:`MAX_PLACES` (4):

1. It takes the fewest decimals at which the shown number stands on the same side of every
   reference as the value itself: the references given (the objective an SLI is
   measured against, the threshold an alert fires at) and always 0 % and 100 %. So 99.873 %
   against 99.9 % reads ``99.87 %`` (``99.9 %`` would hide that it misses), 99.8999 % reads
   ``99.8999 %``, a budget of 0.004 % left reads ``0.004 %`` rather than ``0.0 %``, and an SLI of
   99.996 % reads ``99.996 %`` rather than ``100.0 %``.
2. A declared number (an objective, an alert threshold: ``exact=True``) counts as its own
   reference, so it shows all its decimals up to 4: an objective of 99.95 % reads ``99.95 %``
   and one of 99.925 % ``99.925 %``, never ``100.0 %`` or ``99.9 %``.
3. When even 4 decimals would put it on the wrong side (or on the reference), the value is
   rounded toward its own side instead of to the nearest (99.899999 % against 99.9 % reads
   ``99.8999 %``); the shown number is then within 0.0001 points of the value.

Rounding is half to even on the exact decimal a float prints as (``0.999`` is 999/1000, not its
binary expansion). Pure: standard library and :mod:`slo.objective` only.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from fractions import Fraction

from slo.objective import exact_ratio

MIN_PLACES = 1
"""Fewest decimals a percentage shows (``99.0 %``)."""
MAX_PLACES = 4
"""Most decimals a percentage shows (``99.8999 %``)."""

_BOUNDS = (Fraction(0), Fraction(100))
"""0 % and 100 %, in percent."""


def _sign(x: Fraction) -> int:
    return (x > 0) - (x < 0)


def _shown(points: Fraction, places: int, rounding: str = ROUND_HALF_EVEN) -> Decimal:
    """``points`` rounded exactly to ``places`` decimals (half to even, floor or ceiling)."""
    scaled = points * 10**places
    units = (math.floor(scaled) if rounding == ROUND_FLOOR else
             math.ceil(scaled) if rounding == ROUND_CEILING else round(scaled))
    return Decimal(units).scaleb(-places)


def _side(shown: Decimal, points: Fraction, reference: Fraction) -> bool:
    """True when ``shown`` stands on the same side of ``reference`` (percent) as ``points``."""
    return _sign(Fraction(shown) - reference) == _sign(points - reference)


def percent_places(value: float | Decimal | Fraction,
                   against: Iterable[float | Decimal | Fraction] = (), *,
                   exact: bool = False) -> tuple[int, str]:
    """The decimals and the rounding mode (one of :mod:`decimal`'s) :func:`percent_text` shows
    ``value`` with, by the rule of the module docstring."""
    points = exact_ratio(value) * 100
    references = [exact_ratio(r) * 100 for r in against] + list(_BOUNDS)
    if exact:
        references.append(points)
    for places in range(MIN_PLACES, MAX_PLACES + 1):
        shown = _shown(points, places)
        if all(_side(shown, points, r) for r in references):
            return places, ROUND_HALF_EVEN
    shown = _shown(points, MAX_PLACES)
    hidden = next(r for r in references if not _side(shown, points, r))
    if hidden == points:  # a declared number with more than 4 decimals: the nearest
        return MAX_PLACES, ROUND_HALF_EVEN
    return MAX_PLACES, ROUND_FLOOR if points < hidden else ROUND_CEILING


def percent_text(value: float | Decimal | Fraction | None,
                 against: Iterable[float | Decimal | Fraction] = (), *, exact: bool = False,
                 missing: str = "n/a") -> str:
    """``value`` (a fraction: ``0.99873``) in percent by the rule of the module docstring,
    against the ``against`` fractions (e.g. the objective, ``0.999``): ``"99.87 %"``;
    ``exact=True`` for a declared number (an objective). ``None`` reads ``missing``."""
    if value is None:
        return missing
    places, rounding = percent_places(value, against, exact=exact)
    return f"{_shown(exact_ratio(value) * 100, places, rounding):f} %"
