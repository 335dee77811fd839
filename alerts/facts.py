"""Reads what the rules need from a :class:`~alerts.signals.FlowSignals` and evaluates them.

:class:`RuleSet` is the catalog with its window catalogs loaded (:func:`load_rule_set` reads
the window files once; a flow naming an unknown window catalog gets no burn-rate alerts and a
problem, not a crash). :func:`observe` asks the signals for every count at one instant and
returns the observations, the rules whose data could not be read (their alerts keep their
state) and the warnings. It performs no I/O of its own beyond the signals it is given.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alerts.model import Observation
from alerts.rules import (
    BurnFacts,
    OutcomeFacts,
    burn_observations,
    outcome_observation,
    outcome_rule_key,
    slo_rule_key,
    windows_name,
)
from alerts.signals import FlowSignals
from catalog.model import (
    AbsenceCondition,
    AlertRule,
    BudgetRemainingCondition,
    Catalog,
    DeadLetterAgeCondition,
    FailureRatioCondition,
    Flow,
    SLOSpec,
)
from slo.burn import WindowCatalog
from slo.errors import WindowCatalogError
from slo.periods import slo_period
from slo.sli import Counts, RunCounts
from slo.window_loader import load_window_catalog

log = logging.getLogger("flowscope.alerts")

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
"""Start of the "every run so far" interval (the Prometheus event counters)."""


@dataclass(frozen=True)
class RuleSet:
    """The catalog and the window catalogs its flows name (by name); ``problems`` lists window
    catalogs that could not be loaded."""

    catalog: Catalog
    windows: Mapping[str, WindowCatalog] = field(default_factory=dict)
    problems: tuple[str, ...] = ()

    def windows_of(self, flow: Flow) -> WindowCatalog | None:
        """The window catalog of ``flow``'s burn-rate tiers, or ``None`` when unavailable."""
        return self.windows.get(windows_name(flow))


def load_rule_set(catalog: Catalog, *, search_dirs: Sequence[Path] = ()) -> RuleSet:
    """Load the window catalog of every flow with SLOs (built-ins and ``search_dirs``)."""
    windows: dict[str, WindowCatalog] = {}
    problems: list[str] = []
    for flow in catalog.flows:
        name = windows_name(flow)
        if not flow.slos or name in windows:
            continue
        try:
            windows[name] = load_window_catalog(name, search_dirs=search_dirs)
        except WindowCatalogError as exc:
            problems.append(f"flow {flow.name}: window catalog {name!r} cannot be used: {exc}")
    return RuleSet(catalog=catalog, windows=windows, problems=tuple(dict.fromkeys(problems)))


@dataclass(frozen=True)
class Observed:
    """One evaluation's input to the lifecycle: observations, rules without data (with the
    flow they belong to) and warnings."""

    observations: tuple[Observation, ...]
    unknown_rules: Mapping[str, str]
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class SLOCounts:
    """Counts of one SLO at one instant: over its current ``period`` so far (and the period's
    ``length``), over each burn-rate window, and since the epoch (``total``, when asked)."""

    period: Counts
    length: timedelta
    windows: dict[timedelta, Counts]
    total: Counts | None = None


def count_slo(signals: FlowSignals, flow: Flow, slo: SLOSpec, windows: WindowCatalog | None,
              at: datetime, *, total: bool = False) -> SLOCounts:
    """Every count one SLO needs at ``at``, in one call of the signals."""
    period = slo_period(slo, at)
    lengths = windows.windows() if windows is not None else ()
    starts = {period.start, *(at - w for w in lengths)} | ({EPOCH} if total else set())
    counts = signals.slo_counts(flow.name, slo.name, at, sorted(starts))
    return SLOCounts(period=counts[period.start], length=period.length,
                     windows={w: counts[at - w] for w in lengths},
                     total=counts[EPOCH] if total else None)


def observe(rules: RuleSet, signals: FlowSignals, at: datetime) -> Observed:
    """Every observation of the catalog's rules at ``at`` (see the module docstring)."""
    observations: list[Observation] = []
    unknown: dict[str, str] = {}
    warnings: list[str] = list(rules.problems)
    for flow in rules.catalog.flows:
        periods: dict[str, SLOCounts] = {}
        windows = rules.windows_of(flow)
        for slo in flow.slos:
            key = slo_rule_key(flow.name, slo.name)
            try:
                counts = periods[slo.name] = count_slo(signals, flow, slo, windows, at)
                if windows is None:
                    continue
                outcome = burn_observations(BurnFacts(
                    flow=flow, slo=slo, windows=windows, period=counts.length,
                    window_counts=counts.windows, period_counts=counts.period))
            except Exception as exc:  # noqa: BLE001 - signals may fail in any way; keep alerts
                unknown[key] = flow.name
                log.warning("alert rule %s has no data: %s: %s", key, type(exc).__name__, exc)
                continue
            observations.extend(outcome.observations)
            warnings.extend(outcome.warnings)
        for rule in flow.alert_rules:
            key = outcome_rule_key(flow.name, rule.name)
            try:
                facts = _outcome_facts(signals, flow, rule, at, periods)
            except Exception as exc:  # noqa: BLE001 - signals may fail in any way; keep alerts
                unknown[key] = flow.name
                log.warning("alert rule %s has no data: %s: %s", key, type(exc).__name__, exc)
                continue
            observations.append(outcome_observation(facts))
    return Observed(tuple(observations), unknown, tuple(dict.fromkeys(warnings)))


def _outcome_facts(signals: FlowSignals, flow: Flow, rule: AlertRule, at: datetime,
                   periods: Mapping[str, SLOCounts]) -> OutcomeFacts:
    cond = rule.condition
    if isinstance(cond, FailureRatioCondition | AbsenceCondition):
        runs: RunCounts = signals.run_counts(flow.name, at - cond.window, at)
        return OutcomeFacts(flow=flow, rule=rule, at=at, runs=runs)
    if isinstance(cond, DeadLetterAgeCondition):
        oldest = signals.oldest_dead_letter(flow.name, at)
        return OutcomeFacts(flow=flow, rule=rule, at=at, oldest_dead_letter=oldest)
    assert isinstance(cond, BudgetRemainingCondition)
    known = periods.get(cond.slo)
    if known is None:
        slo = next((s for s in flow.slos if s.name == cond.slo), None)
        if slo is None:
            return OutcomeFacts(flow=flow, rule=rule, at=at)
        known = count_slo(signals, flow, slo, None, at)
    return OutcomeFacts(flow=flow, rule=rule, at=at, period_counts=known.period,
                        period=known.length)
