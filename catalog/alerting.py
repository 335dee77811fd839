"""The ``alerting`` section of a ``flowscope/v1`` flow: burn-rate windows and outcome rules.

::

    alerting:
      windows: google-30d                    # window catalog of the SLO burn-rate tiers
      rules:                                 # outcome rules, each with exactly one condition
        - name: invoices-failing
          failure_ratio: {above: 3, window: 1h, min_runs: 20}   # percent of determinate runs
          severity: page                     # page | ticket (default ticket)
          for: 5m                            # how long the condition must hold (default 0)
          runbook_url: https://runbooks.example.com/invoices
        - {name: dead-letters-waiting, dead_letter_age: {above: 15m}}
        - {name: no-invoices, absence: {window: 30m}, severity: page}
        - {name: budget-policy, budget_remaining: {slo: success-rate, below: 25}}

Both keys are optional, but the section must give at least one. A ``budget_remaining`` rule
must name an SLO of the flow. Part of the spec mapping in :mod:`catalog.spec`; pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from yaml.nodes import Node

from catalog.model import (
    AbsenceCondition,
    AlertCondition,
    AlertRule,
    BudgetRemainingCondition,
    DeadLetterAgeCondition,
    FailureRatioCondition,
    SLOSpec,
)
from catalog.reader import Fields, SpecReader

ALERTING_KEYS = ("windows", "rules")
CONDITION_KEYS = ("failure_ratio", "dead_letter_age", "absence", "budget_remaining")
RULE_KEYS = ("name", *CONDITION_KEYS, "severity", "for", "runbook_url")
SEVERITIES = ("page", "ticket")
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Alerting:
    """What the ``alerting`` section says: the window catalog name and the outcome rules."""

    windows: str | None = None
    rules: tuple[AlertRule, ...] = ()


def read_alerting(r: SpecReader, node: Node, path: str, slos: tuple[SLOSpec, ...] | None
                  ) -> Alerting | None:
    """The ``alerting`` section. ``slos`` are the flow's SLOs, or ``None`` when they are
    broken (then SLO references are not checked, to avoid noise)."""
    f = r.mapping(node, path, allowed=ALERTING_KEYS)
    if f is None:
        return None
    if not any(k in f for k in ALERTING_KEYS):
        r.report(node, path, "give windows and/or rules")
        return None
    before = len(r.problems)
    windows = f.read("windows", r.identifier)
    rules = f.read("rules", lambda n, p: r.unique_items(
        n, p, lambda i, q: _rule(r, i, q, slos), field="name", what="alert rule name"))
    if len(r.problems) > before:
        return None
    return Alerting(windows=windows, rules=rules or ())


def _rule(r: SpecReader, node: Node, path: str, slos: tuple[SLOSpec, ...] | None
          ) -> AlertRule | None:
    f = r.mapping(node, path, allowed=RULE_KEYS, required=("name",))
    if f is None:
        return None
    before = len(r.problems)
    name = f.read("name", r.identifier)
    given = [k for k in CONDITION_KEYS if k in f]
    if len(given) != 1:
        where = f.key_node(given[1]) if len(given) > 1 else node
        r.report(where, path, "give exactly one condition of " + ", ".join(CONDITION_KEYS)
                 + (f", not {' and '.join(given)}" if given else ""))
    condition = _condition(r, f, given[0], slos) if len(given) == 1 else None
    severity = f.read("severity", lambda n, p: r.choice(n, p, SEVERITIES))
    for_duration = f.read("for", r.duration)
    runbook_url = f.read("runbook_url", r.url)
    if len(r.problems) > before or name is None or condition is None:
        return None
    return AlertRule(name=name, condition=condition,
                     severity="page" if severity == "page" else "ticket",
                     for_duration=for_duration or timedelta(0), runbook_url=runbook_url)


def _condition(r: SpecReader, f: Fields, key: str, slos: tuple[SLOSpec, ...] | None
               ) -> AlertCondition | None:
    node = f.node(key)
    if node is None:
        return None
    path = f.field(key)
    if key == "failure_ratio":
        return _failure_ratio(r, node, path)
    if key == "dead_letter_age":
        g = r.mapping(node, path, allowed=("above",), required=("above",))
        above = g.read("above", r.duration) if g is not None else None
        return None if above is None else DeadLetterAgeCondition(above=above)
    if key == "absence":
        g = r.mapping(node, path, allowed=("window",), required=("window",))
        window = g.read("window", r.duration) if g is not None else None
        return None if window is None else AbsenceCondition(window=window)
    return _budget(r, node, path, slos)


def _failure_ratio(r: SpecReader, node: Node, path: str) -> FailureRatioCondition | None:
    g = r.mapping(node, path, allowed=("above", "window", "min_runs"),
                  required=("above", "window"))
    if g is None:
        return None
    above = g.read("above", r.number)
    above_node = g.node("above")
    if above is not None and above_node is not None and not above < HUNDRED:
        r.report(above_node, g.field("above"), f"must be a percentage below 100, got {above}")
        above = None
    window = g.read("window", r.duration)
    min_runs = g.read("min_runs", r.number)
    runs_node = g.node("min_runs")
    if min_runs is not None and runs_node is not None and (
            min_runs != min_runs.to_integral_value() or min_runs < 1):
        r.report(runs_node, g.field("min_runs"), f"must be a whole number of runs of at least 1, "
                 f"got {min_runs}")
        min_runs = None
    if above is None or window is None or ("min_runs" in g and min_runs is None):
        return None
    return FailureRatioCondition(above=above, window=window,
                                 min_runs=1 if min_runs is None else int(min_runs))


def _budget(r: SpecReader, node: Node, path: str, slos: tuple[SLOSpec, ...] | None
            ) -> BudgetRemainingCondition | None:
    g = r.mapping(node, path, allowed=("slo", "below"), required=("slo", "below"))
    if g is None:
        return None
    slo = g.read("slo", r.identifier)
    slo_node = g.node("slo")
    if slo is not None and slo_node is not None and slos is not None and slo not in {
            s.name for s in slos}:
        known = ", ".join(s.name for s in slos) or "none"
        r.report(slo_node, g.field("slo"), f"must name an SLO of this flow ({known}), got {slo!r}")
        slo = None
    below = g.read("below", r.number)
    below_node = g.node("below")
    if below is not None and below_node is not None and below > HUNDRED:
        r.report(below_node, g.field("below"), f"must be a percentage of at most 100, got {below}")
        below = None
    if slo is None or below is None:
        return None
    return BudgetRemainingCondition(slo=slo, below=below)
