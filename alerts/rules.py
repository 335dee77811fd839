"""Alert rules: from counts to observations (pure).

**Burn-rate rules.** For every flow and SLO, the tiers of the flow's window catalog (default
``google-30d``) are evaluated with :func:`slo.burn.evaluate_tiers`; the tiers of one severity
make one alert ``FlowSLOBudgetBurn`` (labels ``flow``, ``slo``, ``severity``, ``owner``) that
holds when any of them fires, so two page tiers firing together page once. Its summary comes
from the firing tier with the highest burn rate.

**Outcome rules** (``alerting.rules`` in the catalog), each one alert:

=====================  ======================  =============================================
condition              alertname               holds when
=====================  ======================  =============================================
``failure_ratio``      ``FlowFailureRatio``    failed / determinate runs in the window is
                                               strictly above ``above`` percent, with at
                                               least ``min_runs`` determinate runs
``dead_letter_age``    ``FlowDeadLetterAge``   the oldest waiting dead letter is older than
                                               ``above``
``absence``            ``FlowNoSuccess``       runs started in the window but none succeeded
``budget_remaining``   ``FlowBudgetLow``       the SLO's budget left over its period is
                                               strictly below ``below`` percent
=====================  ======================  =============================================

Every alert carries labels ``alertname``, ``flow``, ``severity``, ``owner`` (``unassigned``
when the flow names none), ``slo`` when it has one and ``rule`` for outcome rules; annotations
``summary``, ``description`` and ``runbook_url`` (the rule's, else the SLO's, else the flow's,
when one is given). Missing data never makes a rule hold. Pure: no clock, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from alerts import wording
from alerts.model import Labels, Observation, labels_of
from catalog.model import (
    AbsenceCondition,
    AlertRule,
    BudgetRemainingCondition,
    DeadLetterAgeCondition,
    FailureRatioCondition,
    Flow,
    SLOSpec,
)
from slo.budget import budget_status
from slo.burn import SEVERITIES, TierResult, WindowCatalog, evaluate_tiers
from slo.objective import objective_from_percent
from slo.sli import Counts, RunCounts

BURN_ALERT = "FlowSLOBudgetBurn"
OUTCOME_ALERTS = {
    FailureRatioCondition: "FlowFailureRatio",
    DeadLetterAgeCondition: "FlowDeadLetterAge",
    AbsenceCondition: "FlowNoSuccess",
    BudgetRemainingCondition: "FlowBudgetLow",
}
DEFAULT_WINDOWS = "google-30d"
"""Window catalog of flows whose ``alerting.windows`` is not set."""
UNASSIGNED = "unassigned"
HUNDRED = Decimal(100)


def slo_rule_key(flow: str, slo: str) -> str:
    """The rule key of the burn-rate alerts of one SLO, e.g. ``order-to-cash/slo/success-rate``."""
    return f"{flow}/slo/{slo}"


def outcome_rule_key(flow: str, rule: str) -> str:
    """The rule key of an outcome rule, e.g. ``order-to-cash/rule/invoices-failing``."""
    return f"{flow}/rule/{rule}"


def windows_name(flow: Flow) -> str:
    """The window catalog name of ``flow``'s burn-rate tiers."""
    return flow.alerting_windows or DEFAULT_WINDOWS


def _labels(flow: Flow, alertname: str, severity: str, **extra: str) -> Labels:
    return labels_of({"alertname": alertname, "flow": flow.name, "severity": severity,
                      "owner": flow.owner or UNASSIGNED, **extra})


def _annotations(summary: str, description: str, runbook: str | None) -> Labels:
    return labels_of({"summary": summary, "description": description,
                      "runbook_url": runbook or ""})


@dataclass(frozen=True)
class BurnFacts:
    """What the burn-rate rules of one SLO need at one instant.

    ``period`` is the SLO's period length (a calendar period's actual length); ``window_counts``
    maps every window of ``windows`` to its counts over ``[at - window, at)``;
    ``period_counts`` covers the period so far.
    """

    flow: Flow
    slo: SLOSpec
    windows: WindowCatalog
    period: timedelta
    window_counts: Mapping[timedelta, Counts]
    period_counts: Counts


@dataclass(frozen=True)
class BurnOutcome:
    """The observations of one SLO (one per severity that has tiers) and the tier warnings."""

    observations: tuple[Observation, ...]
    warnings: tuple[str, ...]


def burn_observations(facts: BurnFacts) -> BurnOutcome:
    """Evaluate the tiers of one SLO into one observation per severity."""
    objective = objective_from_percent(facts.slo.objective)
    evaluation = evaluate_tiers(facts.windows, objective=objective,
                                window_counts=facts.window_counts, period=facts.period)
    observations = []
    for severity in SEVERITIES:
        tiers = [r for r in evaluation.results if r.tier.severity == severity]
        if not tiers:
            continue
        firing = [r for r in tiers if r.firing]
        labels = _labels(facts.flow, BURN_ALERT, severity, slo=facts.slo.name)
        key = slo_rule_key(facts.flow.name, facts.slo.name)
        if not firing:
            observations.append(Observation(rule=key, labels=labels, annotations=(),
                                            active=False))
            continue
        worst = max(firing, key=lambda r: r.long_burn_rate or 0.0)
        observations.append(Observation(
            rule=key, labels=labels, annotations=_burn_annotations(facts, worst, objective),
            active=True, value=worst.long_error_ratio))
    prefix = f"{facts.flow.name}/{facts.slo.name}: "
    return BurnOutcome(tuple(observations), tuple(prefix + w for w in evaluation.warnings))


def _burn_annotations(facts: BurnFacts, worst: TierResult, objective: float) -> Labels:
    status = budget_status(facts.period_counts, objective, facts.period,
                           current_burn_rate=worst.long_burn_rate)
    summary = wording.burn_summary(
        facts.flow.name, facts.slo, error_ratio=worst.long_error_ratio or 0.0,
        long_window=worst.tier.long_window, remaining=status.remaining,
        exhaustion=status.time_to_exhaustion)
    description = wording.burn_description(
        facts.slo, factor=worst.factor, long_window=worst.tier.long_window,
        short_window=worst.tier.short_window, burn_rate=worst.long_burn_rate or 0.0)
    return _annotations(summary, description, facts.slo.runbook_url or facts.flow.runbook_url)


@dataclass(frozen=True)
class OutcomeFacts:
    """What one outcome rule needs at ``at``; only the field its condition reads is used.

    ``runs`` covers ``[at - window, at)`` (failure ratio, absence); ``oldest_dead_letter`` is
    when the oldest waiting dead letter was dead-lettered; ``period_counts`` and ``period``
    are the budget rule's SLO counts over its period so far and the period's length.
    """

    flow: Flow
    rule: AlertRule
    at: datetime
    runs: RunCounts | None = None
    oldest_dead_letter: datetime | None = None
    period_counts: Counts | None = None
    period: timedelta | None = None


def outcome_observation(facts: OutcomeFacts) -> Observation:
    """The observation of one outcome rule (see the module docstring)."""
    flow, rule, cond = facts.flow, facts.rule, facts.rule.condition
    extra = {"rule": rule.name}
    slo = None
    if isinstance(cond, BudgetRemainingCondition):
        slo = next((s for s in flow.slos if s.name == cond.slo), None)
        extra["slo"] = cond.slo
    labels = _labels(flow, OUTCOME_ALERTS[type(cond)], rule.severity, **extra)
    runbook = rule.runbook_url or (slo.runbook_url if slo else None) or flow.runbook_url
    base = Observation(rule=outcome_rule_key(flow.name, rule.name), labels=labels,
                       annotations=(), active=False, for_duration=rule.for_duration)
    summary: str | None = None
    value: float | None = None
    if isinstance(cond, FailureRatioCondition) and facts.runs is not None:
        runs = facts.runs
        if runs.determinate >= cond.min_runs and runs.failed * HUNDRED > cond.above * (
                runs.determinate):
            value = runs.failed / runs.determinate
            summary = wording.failure_ratio_summary(
                flow.name, failed=runs.failed, determinate=runs.determinate,
                window_=cond.window, above=float(cond.above / HUNDRED))
    elif isinstance(cond, DeadLetterAgeCondition) and facts.oldest_dead_letter is not None:
        age = facts.at - facts.oldest_dead_letter
        if age > cond.above:
            value = age.total_seconds()
            summary = wording.dead_letter_summary(flow.name, age=age, above=cond.above)
    elif isinstance(cond, AbsenceCondition) and facts.runs is not None:
        if facts.runs.started > 0 and facts.runs.succeeded == 0:
            value = float(facts.runs.started)
            summary = wording.absence_summary(flow.name, started=facts.runs.started,
                                              window_=cond.window)
    elif (isinstance(cond, BudgetRemainingCondition) and slo is not None
          and facts.period_counts is not None and facts.period is not None):
        objective = objective_from_percent(slo.objective)
        remaining = budget_status(facts.period_counts, objective, facts.period).remaining
        if remaining is not None and Decimal(repr(remaining)) * HUNDRED < cond.below:
            value = remaining
            summary = wording.budget_summary(flow.name, slo, remaining=remaining,
                                             below=float(cond.below / HUNDRED))
    if summary is None:
        return base
    description = f"rule {rule.name} of flow {flow.name}: {summary}"
    return Observation(rule=base.rule, labels=labels,
                       annotations=_annotations(summary, description, runbook), active=True,
                       for_duration=rule.for_duration, value=value)
