"""Frozen internal model of the flow catalog.

The user-facing YAML spec (``apiVersion: flowscope/v1``) lives in :mod:`catalog.spec`; this module
is what every other room reads. It imports nothing but the standard library.

Money is :class:`decimal.Decimal`; durations are :class:`datetime.timedelta`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

RedactionAction = Literal["drop", "hash"]
Budgeting = Literal["occurrences", "timeslices", "ratio_timeslices"]


@dataclass(frozen=True)
class RedactionRule:
    """Applied to span, resource, event and link attribute keys before anything is written.

    ``key`` is an exact attribute key or a glob (``fnmatch`` syntax, e.g. ``card.*``).
    ``drop`` removes the attribute; ``hash`` replaces its value with ``sha256:<hex>``.
    """

    key: str
    action: RedactionAction


@dataclass(frozen=True)
class Matcher:
    """Matches the start or success of a flow run.

    Either CloudEvents/OTel event types (``events``), or a span by ``service`` and/or ``span``
    name. An empty matcher matches nothing.
    """

    events: tuple[str, ...] = ()
    service: str | None = None
    span: str | None = None


@dataclass(frozen=True)
class FailureMatcher:
    """Event types that mark a run failed; ``dead_letter`` also counts a dead-lettered step."""

    events: tuple[str, ...] = ()
    dead_letter: bool = False


@dataclass(frozen=True)
class Step:
    """One hop of a flow, recognised by the service that emits its spans (and optionally a span
    name); ``partner`` names the external vendor it calls, if any."""

    name: str
    service: str | None = None
    span: str | None = None
    partner: str | None = None


@dataclass(frozen=True)
class LatencySpec:
    """A latency SLO: a run is good when its flow time is at most ``threshold``."""

    threshold: timedelta


@dataclass(frozen=True)
class SLOSpec:
    """One service-level objective of a flow.

    ``objective`` is a percentage (99.9 means 99.9 %). ``period`` is a rolling window, or
    ``None`` when ``calendar`` names a calendar period (``month``, ``quarter``, ``week``,
    ``year``); calendar periods always carry an IANA ``timezone`` (the spec defaults it to
    ``UTC``). ``runbook_url`` is where on-call reads what to do when it burns.

    ``budgeting`` is how the error budget is counted (OpenSLO ``budgetingMethod``): by
    ``occurrences`` (runs, the default), by ``timeslices`` (a slice of length ``timeslice`` is
    good when its good/valid ratio is at least ``timeslice_target``, a fraction in (0, 1]) or by
    ``ratio_timeslices`` (the mean of the slice ratios; ``timeslice`` only).
    """

    name: str
    objective: Decimal
    period: timedelta | None
    calendar: str | None = None
    timezone: str | None = None
    latency: LatencySpec | None = None
    runbook_url: str | None = None
    budgeting: Budgeting = "occurrences"
    timeslice: timedelta | None = None
    timeslice_target: Decimal | None = None


@dataclass(frozen=True)
class PerCallPrice:
    """Price of one call (span or event) of a ``step`` or of a ``partner``."""

    price: Decimal
    step: str | None = None
    partner: str | None = None


@dataclass(frozen=True)
class FixedFee:
    """A fixed fee per month, amortised per day of its month."""

    name: str
    per_month: Decimal


@dataclass(frozen=True)
class CostModel:
    """How money is attributed to a flow. All amounts in ``currency``."""

    currency: str = "USD"
    per_call: tuple[PerCallPrice, ...] = ()
    per_cpu_second: Decimal | None = None
    per_invocation: Decimal | None = None
    fixed: tuple[FixedFee, ...] = ()
    hourly_rate: Decimal | None = None
    minutes_per_intervention: Decimal | None = None


@dataclass(frozen=True)
class Baseline:
    """The process before automation: manual minutes per run at an hourly rate, or a cost per
    run."""

    manual_minutes_per_run: Decimal | None = None
    hourly_rate: Decimal | None = None
    cost_per_run: Decimal | None = None


@dataclass(frozen=True)
class Investment:
    """What building the automation cost, and since when it runs."""

    build: Decimal
    since: date | None = None


@dataclass(frozen=True)
class MaintenanceWindow:
    """Planned downtime: runs that become determinate inside it may be left out of SLIs.

    ``rrule`` is RFC 5545 recurrence text, kept verbatim: a bare rule
    (``FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=0``, times in UTC) or ``DTSTART[;TZID=...]:...``
    and ``RRULE:...`` lines. Each occurrence starts a window lasting ``duration``.
    """

    rrule: str
    duration: timedelta
    reason: str | None = None


@dataclass(frozen=True)
class Release:
    """A release of the flow's automation: ``version`` went live on ``day`` (UTC). The executive
    page compares cost per success and the success rate on equal stretches of days before and
    after it (:mod:`cost.release`)."""

    version: str
    day: date
    note: str | None = None


@dataclass(frozen=True)
class ReplayTarget:
    """Where an operator's replay of a run is sent (``replay`` in the catalog): ``url`` gets a
    POST signed with HMAC-SHA256 keyed by the secret in environment variable ``secret_env``;
    the call waits at most ``timeout`` (default 10 s); at most ``max_per_minute`` replays of
    the flow are sent per minute (default 30)."""

    url: str
    secret_env: str
    timeout: timedelta = timedelta(seconds=10)
    max_per_minute: int = 30


@dataclass(frozen=True)
class PauseTarget:
    """Told when a declared maintenance of the flow starts (``pause``) and ends (``resume``):
    a POST to ``url`` signed with the secret in environment variable ``secret_env``."""

    url: str
    secret_env: str


AlertSeverity = Literal["page", "ticket"]
"""``page`` wakes someone now; ``ticket`` is work for business hours."""


@dataclass(frozen=True)
class FailureRatioCondition:
    """More than ``above`` percent (``Decimal("3")`` is 3 %) of the runs that became
    determinate (succeeded or failed) within the last ``window`` failed. Only judged once at
    least ``min_runs`` runs became determinate in the window (default 1)."""

    above: Decimal
    window: timedelta
    min_runs: int = 1


@dataclass(frozen=True)
class DeadLetterAgeCondition:
    """The oldest dead-lettered run still waiting (not replayed to success) has waited longer
    than ``above``."""

    above: timedelta


@dataclass(frozen=True)
class AbsenceCondition:
    """No run succeeded within the last ``window`` while at least one run started in it."""

    window: timedelta


@dataclass(frozen=True)
class BudgetRemainingCondition:
    """The error budget left of the flow's SLO ``slo`` over its period is below ``below``
    percent (``Decimal("25")`` is 25 %): an error budget policy."""

    slo: str
    below: Decimal


AlertCondition = (
    FailureRatioCondition | DeadLetterAgeCondition | AbsenceCondition | BudgetRemainingCondition
)


@dataclass(frozen=True)
class AlertRule:
    """An outcome alert declared in the catalog (``alerting.rules``).

    The alert fires once ``condition`` has held for ``for_duration`` (default 0: at once).
    ``runbook_url`` overrides the flow's (and the SLO's, for a budget rule).
    """

    name: str
    condition: AlertCondition
    severity: AlertSeverity = "ticket"
    for_duration: timedelta = timedelta(0)
    runbook_url: str | None = None


@dataclass(frozen=True)
class Flow:
    """A business flow that crosses systems, joined by one correlation key (e.g. ``order.id``)."""

    name: str
    correlation_key: str
    owner: str | None = None
    start: Matcher = field(default_factory=Matcher)
    success: Matcher = field(default_factory=Matcher)
    failure: FailureMatcher = field(default_factory=FailureMatcher)
    steps: tuple[Step, ...] = ()
    slos: tuple[SLOSpec, ...] = ()
    alerting_windows: str | None = None
    alert_rules: tuple[AlertRule, ...] = ()
    cost: CostModel | None = None
    baseline: Baseline | None = None
    investment: Investment | None = None
    maintenance: tuple[MaintenanceWindow, ...] = ()
    runbook_url: str | None = None
    releases: tuple[Release, ...] = ()
    """In day order (the spec sorts them)."""
    search_keys: tuple[str, ...] = ()
    """Attributes of the flow's spans and events (``customer.id``) indexed at ingest, so that
    runs can be found by their values."""
    replay: ReplayTarget | None = None
    pause: PauseTarget | None = None

    def partners(self) -> frozenset[str]:
        """Every partner (external vendor) named by this flow's steps."""
        return frozenset(s.partner for s in self.steps if s.partner)

    def services(self) -> frozenset[str]:
        """Every service named by this flow's steps and start/success matchers."""
        names = {s.service for s in self.steps if s.service}
        for m in (self.start, self.success):
            if m.service:
                names.add(m.service)
        return frozenset(names)

    def event_types(self) -> frozenset[str]:
        """Every event type named by this flow's start, success and failure matchers."""
        return frozenset(self.start.events + self.success.events + self.failure.events)


@dataclass(frozen=True)
class Catalog:
    """The whole catalog: flows in file order and the redaction rules."""

    flows: tuple[Flow, ...] = ()
    redaction: tuple[RedactionRule, ...] = ()

    def flow(self, name: str) -> Flow | None:
        """The flow called ``name``, or ``None``."""
        for f in self.flows:
            if f.name == name:
                return f
        return None

    def search_keys(self) -> tuple[str, ...]:
        """Distinct search keys of every flow, in file order."""
        return tuple(dict.fromkeys(k for f in self.flows for k in f.search_keys))

    def correlation_keys(self) -> tuple[str, ...]:
        """Distinct correlation keys in file order."""
        seen: list[str] = []
        for f in self.flows:
            if f.correlation_key not in seen:
                seen.append(f.correlation_key)
        return tuple(seen)


EMPTY_CATALOG = Catalog()
