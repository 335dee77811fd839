"""The read model the pages show: frozen values, no I/O. Built by :mod:`dashboards.facade`.

Fractions are fractions (0.999, not 99.9); money is :class:`~decimal.Decimal` in the flow's
currency; times are aware UTC datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from cost.usage import DateRange

PERIODS: dict[str, str] = {"7d": "last 7 days", "30d": "last 30 days",
                           "quarter": "this quarter"}
"""The executive page's period choices and how the page names them."""
DEFAULT_PERIOD = "30d"


def period_range(key: str, today: date) -> DateRange:
    """The days of period ``key`` ending ``today`` (included): ``7d`` and ``30d`` are the last 7
    or 30 days, ``quarter`` the calendar quarter so far. Raises :class:`ValueError` otherwise."""
    if key == "7d":
        return DateRange(today - timedelta(days=6), today)
    if key == "30d":
        return DateRange(today - timedelta(days=29), today)
    if key == "quarter":
        first_month = 3 * ((today.month - 1) // 3) + 1
        return DateRange(date(today.year, first_month, 1), today)
    raise ValueError(f"unknown period {key!r}; choose one of {', '.join(PERIODS)}")


@dataclass(frozen=True)
class SloCard:
    """One SLO of a flow: ``sli`` and ``budget_remaining`` over the SLO's own period (``None``
    without determinate runs); ``runs`` the determinate runs counted."""

    name: str
    objective: float
    sli: float | None
    budget_remaining: float | None
    runs: int
    period: str


@dataclass(frozen=True)
class FlowCard:
    """One flow on the executive scorecard. Cost fields are ``None`` when the flow has no cost
    model; ``savings``, ``net_return`` and ``payback`` when it has no baseline."""

    flow: str
    slos: tuple[SloCard, ...]
    currency: str | None = None
    cost: Decimal | None = None
    successes: int = 0
    failures: int = 0
    cost_per_success: Decimal | None = None
    savings: Decimal | None = None
    net_return: Decimal | None = None
    payback: date | None = None


@dataclass(frozen=True)
class Scorecard:
    """Every catalog flow over ``days`` (the period ``key``), at ``at``."""

    key: str
    days: DateRange
    at: datetime
    flows: tuple[FlowCard, ...]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class TierBurn:
    """One alerting tier of one SLO: burn rates over its long and short windows (``None`` when
    a window has no determinate run) against the tier's ``factor`` (the burn-rate threshold)."""

    flow: str
    slo: str
    tier: str
    severity: str
    factor: float
    long_burn: float | None
    short_burn: float | None
    firing: bool


@dataclass(frozen=True)
class BudgetPoint:
    """The budget remaining of one SLO as evaluated at ``at`` (``None``: no runs yet)."""

    flow: str
    slo: str
    at: datetime
    remaining: float | None


@dataclass(frozen=True)
class AlertRow:
    """An alert the evaluator holds (pending, firing or recently resolved)."""

    name: str
    flow: str
    severity: str
    status: str
    since: datetime | None
    summary: str


@dataclass(frozen=True)
class Oncall:
    """What on-call reads at ``at``: tier burn rates, budget burn-down and alerts."""

    at: datetime
    tiers: tuple[TierBurn, ...]
    burndown: tuple[BudgetPoint, ...]
    alerts: tuple[AlertRow, ...]
    warnings: tuple[str, ...] = ()
