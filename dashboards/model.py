"""The read model the pages show: frozen values, no I/O. Built by :mod:`dashboards.facade`.

Fractions are fractions (0.999, not 99.9); money is :class:`~decimal.Decimal` in the flow's
currency; times are aware UTC datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from cost.release import ReleaseComparison
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
class PartnerShare:
    """The error budget of one SLO that one partner group used over the SLO's period
    (:mod:`slo.attribution`): ``bad`` runs attributed to its ``steps``, ``consumed`` as a
    fraction of the budget (1 = all of it; ``None`` without valid runs)."""

    slo: str
    partner: str
    bad: int
    consumed: float | None
    steps: tuple[str, ...]


@dataclass(frozen=True)
class ReleaseView:
    """A flow before and after its latest release up to the last complete day (yesterday,
    UTC): the days after it up to then, at most 14, against as many days before it. Today is
    left out: a day under way would weigh its first hours as a whole day."""

    version: str
    day: date
    note: str | None
    comparison: ReleaseComparison


@dataclass(frozen=True)
class FlowCard:
    """One flow on the executive scorecard. Cost fields are ``None`` when the flow has no cost
    model; ``savings``, ``net_return`` and ``payback`` when it has no baseline. ``partners``
    splits each SLO's spent budget by partner (SLOs counted by runs); ``release`` compares
    the latest release (costed flows with releases only)."""

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
    partners: tuple[PartnerShare, ...] = ()
    release: ReleaseView | None = None


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
class StepLoad:
    """One step of a flow over the health range (:mod:`slo.health_query`): runs ``waiting``
    there now and ``lag_seconds``, how long the oldest of them has waited (``None``: none);
    ``retried_runs`` (runs that repeated one of its operations) and ``retries`` (the extra
    attempts); ``dead_letters`` (runs dead-lettered there)."""

    step: str
    waiting: int
    lag_seconds: float | None
    retried_runs: int
    retries: int
    dead_letters: int


@dataclass(frozen=True)
class InflowBar:
    """Runs first dead-lettered in ``[start, end)``."""

    start: datetime
    end: datetime
    runs: int


@dataclass(frozen=True)
class FlowHealthCard:
    """One flow's operational health over ``[start, end)`` (the last 24 h): ``runs`` entered,
    the dead-letter inflow in total and per bucket, how long the oldest dead letter not yet
    replayed to success has waited at ``end`` (``None``: none waits) and its steps in catalog
    order (``()`` when the catalog names none)."""

    flow: str
    start: datetime
    end: datetime
    runs: int
    dead_letter_inflow: int
    inflow: tuple[InflowBar, ...]
    oldest_dead_letter_seconds: float | None
    steps: tuple[StepLoad, ...]


@dataclass(frozen=True)
class Oncall:
    """What on-call reads at ``at``: tier burn rates, budget burn-down, alerts and each
    flow's health (dead letters, lag and retries per step)."""

    at: datetime
    tiers: tuple[TierBurn, ...]
    burndown: tuple[BudgetPoint, ...]
    alerts: tuple[AlertRow, ...]
    warnings: tuple[str, ...] = ()
    health: tuple[FlowHealthCard, ...] = ()


@dataclass(frozen=True)
class FlowTimeBar:
    """Runs whose flow time lies in ``[start_s, end_s)`` seconds; the ``overflow`` bar holds
    every run from ``start_s`` on (``end_s`` is where it is drawn to)."""

    start_s: float
    end_s: float
    runs: int
    overflow: bool = False


@dataclass(frozen=True)
class FlowTimeView:
    """The flow times of the runs of ``flow`` that succeeded in ``[start, end)`` (the last 30
    days) as a histogram, and one run (``correlation_id``) against them.

    ``outcome`` is ``succeeded``, ``failed``, ``in flight`` or ``unknown`` (the flow holds no
    run with that id yet); ``run_seconds`` its flow time (``None`` unless it succeeded with a
    known start) and ``slower_than`` the fraction of the ``runs`` strictly faster than it.
    ``thresholds`` are the flow's latency SLOs as ``(slo name, threshold in seconds)``.
    """

    flow: str
    correlation_id: str
    start: datetime
    end: datetime
    runs: int
    bars: tuple[FlowTimeBar, ...]
    outcome: str
    run_seconds: float | None
    slower_than: float | None
    thresholds: tuple[tuple[str, float], ...] = ()
