"""The outcome rules of a flow (``alerting.rules`` in the catalog) as Prometheus alerting rules.

They read what ``/metrics`` exposes (:mod:`alerts.queue_exposition`, :mod:`alerts.exposition`)
and hold when flowscope's own evaluator would (:mod:`alerts.rules`):

=====================  ======================  =============================================
condition              alertname               expression
=====================  ======================  =============================================
``failure_ratio``      ``FlowFailureRatio``    failed / (succeeded + failed) runs, as
                                               ``increase`` of ``flowscope_flow_runs_total``
                                               over the window, above the threshold, with at
                                               least ``min_runs`` determinate runs
``dead_letter_age``    ``FlowDeadLetterAge``   ``flowscope_dead_letter_oldest_age_seconds``
                                               above the threshold
``absence``            ``FlowNoSuccess``       runs started in the window, none succeeded
``budget_remaining``   ``FlowBudgetLow``       ``flowscope_slo_budget_remaining_ratio`` below
                                               the threshold
=====================  ======================  =============================================

Every rule is held back while the flow is in maintenance (``unless on (flow)
flowscope_flow_maintenance == 1``), as flowscope's evaluator holds back its notifications; it
carries the rule's ``for``, labels ``flow``, ``severity``, ``owner``, ``rule`` (and ``slo``) and
annotations ``summary`` and ``runbook_url``. Pure.
"""

from __future__ import annotations

import json
import textwrap
from decimal import Decimal
from typing import Any

from alerts.rules import OUTCOME_ALERTS, UNASSIGNED
from catalog.durations import format_duration
from catalog.model import (
    AbsenceCondition,
    AlertRule,
    BudgetRemainingCondition,
    DeadLetterAgeCondition,
    FailureRatioCondition,
    Flow,
)

RUNS = "flowscope_flow_runs_total"
OLDEST = "flowscope_dead_letter_oldest_age_seconds"
BUDGET = "flowscope_slo_budget_remaining_ratio"
MAINTENANCE = "flowscope_flow_maintenance"


def _fraction(percent: Decimal) -> str:
    return format(percent / 100, "f").rstrip("0").rstrip(".") or "0"


def _increase(flow: Flow, outcome: str, window: str) -> str:
    op = "=~" if "|" in outcome else "="
    return (f"sum by (flow) (increase({RUNS}{{flow={json.dumps(flow.name)}, "
            f"outcome{op}{json.dumps(outcome)}}}[{window}]))")


def _expression(flow: Flow, rule: AlertRule) -> tuple[str, str]:
    """The PromQL of ``rule`` (without the maintenance clause) and its summary."""
    cond = rule.condition
    name = flow.name
    if isinstance(cond, FailureRatioCondition):
        window = format_duration(cond.window)
        determinate = _increase(flow, "succeeded|failed", window)
        return (f"(\n  {_increase(flow, 'failed', window)}\n  /\n  {determinate}\n) > "
                f"{_fraction(cond.above)}\nand\n{determinate} >= {cond.min_runs}",
                f"{{{{ $value | humanizePercentage }}}} of {name} runs failed over the last "
                f"{window} (the rule allows {cond.above} %)")
    if isinstance(cond, DeadLetterAgeCondition):
        seconds = int(cond.above.total_seconds())
        return (f"max by (flow) ({OLDEST}{{flow={json.dumps(name)}}}) > {seconds}",
                f"the oldest waiting dead letter of {name} has waited {{{{ $value | "
                f"humanizeDuration }}}} (the rule allows {format_duration(cond.above)})")
    if isinstance(cond, AbsenceCondition):
        window = format_duration(cond.window)
        return (f"{_increase(flow, 'started', window)} > 0\nunless on (flow)\n"
                f"{_increase(flow, 'succeeded', window)} > 0",
                f"no {name} run succeeded in the last {window} while {{{{ $value | "
                f"humanize }}}} started")
    assert isinstance(cond, BudgetRemainingCondition)
    selector = f"{{flow={json.dumps(name)}, slo={json.dumps(cond.slo)}}}"
    return (f"{BUDGET}{selector} < {_fraction(cond.below)}",
            f"{{{{ $value | humanizePercentage }}}} of the error budget of SLO {cond.slo} of "
            f"{name} is left (the policy acts below {cond.below} %)")


def outcome_rules(flow: Flow) -> list[dict[str, Any]]:
    """The alerting rules of ``flow``'s outcome rules, in catalog order."""
    found = []
    for rule in flow.alert_rules:
        expression, summary = _expression(flow, rule)
        labels = {"flow": flow.name, "severity": rule.severity,
                  "owner": flow.owner or UNASSIGNED, "rule": rule.name}
        runbook = rule.runbook_url
        if isinstance(rule.condition, BudgetRemainingCondition):
            labels["slo"] = rule.condition.slo
            slo = next((s for s in flow.slos if s.name == rule.condition.slo), None)
            runbook = runbook or (slo.runbook_url if slo else None)
        runbook = runbook or flow.runbook_url
        entry: dict[str, Any] = {
            "alert": OUTCOME_ALERTS[type(rule.condition)],
            "expr": f"(\n{textwrap.indent(expression, '  ')}\n)\nunless on (flow)\n"
                    f"{MAINTENANCE} == 1",
        }
        if rule.for_duration:
            entry["for"] = format_duration(rule.for_duration)
        entry["labels"] = labels
        entry["annotations"] = {"summary": summary, **({"runbook_url": runbook} if runbook
                                                       else {})}
        found.append(entry)
    return found
