"""Error budget: burn rate, budget consumed and remaining, allowed bad events, time to exhaustion.

Units and definitions (``objective`` is a fraction, see :mod:`slo.objective`; ``budget`` below is
the error budget ``1 - objective``; error ratios are fractions of valid events in [0, 1]):

- **burn rate** over a window = ``error_ratio / budget``. 1 means the window spends budget at
  exactly the pace that would use all of it by the end of the period; 14.4 means 14.4 times
  faster. Dimensionless, ≥ 0.
- **budget consumed** over the period = ``error_ratio_of_the_period / budget``, where the error
  ratio covers every valid event of the period so far. It is the fraction of the allowed bad
  events already spent: ``bad / allowed_bad_events(valid)``. Numerically it equals the burn rate
  over the whole period. Above 1 when the SLO is breached.
- **budget remaining** = ``1 - budget consumed``. **Not clamped**: negative when the SLO is
  breached (-0.5 means half a budget overspent).
- **allowed bad events** = ``budget * valid`` (a float: 1000.0 for 1,000,000 valid events at
  99.9 %).
- **time to exhaustion** at a burn rate ``b`` = ``remaining * period / b``: how long, at that
  steady burn (and steady traffic), until the remaining budget is spent. ``timedelta(0)`` when
  the budget is already exhausted (remaining ≤ 0, whatever the burn); ``None`` when the burn is
  0 (it would never run out) or unknown.

**Empty windows** (no valid events) have no error ratio, so every quantity derived from it is
``None`` (unknown), never 0 or 1. ``allowed_bad_events`` is a count and is 0.0 there.

Pure: standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from fractions import Fraction

from slo.errors import PeriodError
from slo.objective import check_objective, error_budget, exact_error_budget
from slo.sli import Counts


def burn_rate(error_ratio: float | None, objective: float) -> float | None:
    """``error_ratio / (1 - objective)``; ``None`` when the error ratio is unknown."""
    check_objective(objective)
    return None if error_ratio is None else error_ratio / error_budget(objective)


def budget_consumed(error_ratio: float | None, objective: float) -> float | None:
    """Fraction of the period's error budget spent: ``error_ratio / (1 - objective)`` for the
    error ratio of the period so far; may exceed 1. ``None`` when unknown."""
    return burn_rate(error_ratio, objective)


def budget_remaining(error_ratio: float | None, objective: float) -> float | None:
    """``1 - error_ratio / (1 - objective)``, not clamped (negative once breached); ``None``
    when the error ratio is unknown."""
    consumed = budget_consumed(error_ratio, objective)
    return None if consumed is None else 1 - consumed


def allowed_bad_events(valid: int, objective: float) -> float:
    """``(1 - objective) * valid``: how many of ``valid`` events may be bad (not rounded)."""
    return float(exact_error_budget(objective) * valid)


def time_to_exhaustion(remaining: float | None, burn: float | None,
                       period: timedelta) -> timedelta | None:
    """``remaining * period / burn``: time until the remaining budget is spent at ``burn``.

    ``remaining`` is the budget remaining (a fraction, may be negative), ``burn`` a burn rate
    (e.g. over the last hour) and ``period`` the SLO period. Returns ``timedelta(0)`` when the
    budget is already exhausted (``remaining <= 0``), ``None`` when ``burn`` is 0 or either
    input is unknown. Raises :class:`~slo.errors.PeriodError` for a non-positive period.
    """
    if period <= timedelta(0):
        raise PeriodError(f"a period must be positive, got {period}")
    if remaining is None:
        return None
    if remaining <= 0:
        return timedelta(0)
    if burn is None or burn <= 0:
        return None
    return period * (remaining / burn)


@dataclass(frozen=True)
class BudgetStatus:
    """The error budget of one SLO over its period (see the module docstring for definitions).

    ``counts`` covers every valid event of the period so far. ``burn_rate`` is the burn over the
    whole period (equal to ``consumed``); ``time_to_exhaustion`` uses ``exhaustion_burn_rate``,
    the "current" burn the caller passed (e.g. over the last hour), or the period's burn when
    none was given. Ratios are ``None`` when the period has no valid events.
    """

    objective: float
    period: timedelta
    counts: Counts
    sli: float | None
    error_ratio: float | None
    burn_rate: float | None
    consumed: float | None
    remaining: float | None
    allowed_bad: float
    bad_remaining: float
    exhaustion_burn_rate: float | None
    time_to_exhaustion: timedelta | None


def budget_status(counts: Counts, objective: float, period: timedelta, *,
                  current_burn_rate: float | None = None) -> BudgetStatus:
    """The :class:`BudgetStatus` of ``counts`` (the period so far) against ``objective``.

    Ratios are computed exactly from the counts and rounded to float once.
    ``bad_remaining = allowed_bad - bad`` (negative once breached).
    """
    budget = exact_error_budget(objective)
    exact_ratio = counts.exact_error_ratio
    consumed: Fraction | None = None if exact_ratio is None else exact_ratio / budget
    burn = None if consumed is None else float(consumed)
    remaining = None if consumed is None else float(1 - consumed)
    exhaustion_burn = burn if current_burn_rate is None else current_burn_rate
    allowed = budget * counts.valid
    return BudgetStatus(
        objective=objective,
        period=period,
        counts=counts,
        sli=counts.sli,
        error_ratio=counts.error_ratio,
        burn_rate=burn,
        consumed=burn,
        remaining=remaining,
        allowed_bad=float(allowed),
        bad_remaining=float(allowed - counts.bad),
        exhaustion_burn_rate=exhaustion_burn,
        time_to_exhaustion=time_to_exhaustion(remaining, exhaustion_burn, period),
    )
