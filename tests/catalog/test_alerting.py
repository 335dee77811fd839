"""The ``alerting`` section: window catalog name and outcome rules, read into the model."""

from __future__ import annotations

import textwrap
from datetime import timedelta
from decimal import Decimal

import pytest

from catalog.errors import CatalogValidationError
from catalog.model import (
    AbsenceCondition,
    AlertRule,
    BudgetRemainingCondition,
    DeadLetterAgeCondition,
    FailureRatioCondition,
)
from catalog.spec import parse_catalog

FLOW = """\
apiVersion: flowscope/v1
flows:
  - name: order-to-cash
    correlation_key: order.id
    start: {event: OrderPlaced}
    success: {event: InvoicePosted}
    slos:
      - {name: success-rate, objective: 99.9, period: 30d}
"""  # cases append the alerting section from line 9 on


@pytest.mark.parametrize(
    ("section", "windows", "rules"),
    [
        pytest.param(
            "    alerting: {windows: google-28d}\n", "google-28d", (),
            id="windows alone still name the burn-rate window catalog",
        ),
        pytest.param(
            "    alerting:\n"
            "      rules:\n"
            "        - name: invoices-failing\n"
            "          failure_ratio: {above: 3, window: 1h, min_runs: 20}\n"
            "          severity: page\n"
            "          for: 5m\n"
            "          runbook_url: https://runbooks.example.com/invoices\n",
            None,
            (AlertRule(name="invoices-failing",
                       condition=FailureRatioCondition(Decimal("3"), timedelta(hours=1), 20),
                       severity="page", for_duration=timedelta(minutes=5),
                       runbook_url="https://runbooks.example.com/invoices"),),
            id="a failure ratio rule keeps every field",
        ),
        pytest.param(
            "    alerting:\n"
            "      windows: google-30d\n"
            "      rules:\n"
            "        - {name: dead-letters, dead_letter_age: {above: 15m}}\n"
            "        - {name: no-invoices, absence: {window: 30m}, severity: page}\n"
            "        - {name: policy, budget_remaining: {slo: success-rate, below: 25.5}}\n"
            "        - {name: low, failure_ratio: {above: 0.5, window: 1d}}\n",
            "google-30d",
            (AlertRule(name="dead-letters",
                       condition=DeadLetterAgeCondition(timedelta(minutes=15))),
             AlertRule(name="no-invoices", condition=AbsenceCondition(timedelta(minutes=30)),
                       severity="page"),
             AlertRule(name="policy",
                       condition=BudgetRemainingCondition("success-rate", Decimal("25.5"))),
             AlertRule(name="low",
                       condition=FailureRatioCondition(Decimal("0.5"), timedelta(days=1)))),
            id="every condition kind is read and severity defaults to ticket",
        ),
    ],
)
def test_the_alerting_section_is_read_into_the_model(
        section: str, windows: str | None, rules: tuple[AlertRule, ...]) -> None:
    flow = parse_catalog(FLOW + section).flows[0]
    assert flow.alerting_windows == windows
    assert flow.alert_rules == rules


def test_a_flow_without_alerting_has_no_rules() -> None:
    flow = parse_catalog(FLOW).flows[0]
    assert (flow.alerting_windows, flow.alert_rules) == (None, ())


@pytest.mark.parametrize(
    ("section", "field", "line", "fragment"),
    [
        pytest.param(
            "    alerting: {}\n",
            "flows[0].alerting", 9, "give windows and/or rules",
            id="an empty alerting section is refused",
        ),
        pytest.param(
            "    alerting:\n      rules:\n        - {name: r, severity: page}\n",
            "flows[0].alerting.rules[0]", 11, "give exactly one condition of failure_ratio",
            id="a rule without a condition is refused",
        ),
        pytest.param(
            "    alerting:\n      rules:\n"
            "        - {name: r, absence: {window: 1h}, dead_letter_age: {above: 1h}}\n",
            "flows[0].alerting.rules[0]", 11, "not dead_letter_age and absence",
            id="a rule with two conditions is refused",
        ),
        pytest.param(
            "    alerting:\n      rules:\n"
            "        - {name: r, budget_remaining: {slo: latency, below: 25}}\n",
            "flows[0].alerting.rules[0].budget_remaining.slo", 11,
            "must name an SLO of this flow (success-rate), got 'latency'",
            id="a budget rule naming an unknown SLO is refused",
        ),
        pytest.param(
            "    alerting:\n      rules:\n"
            "        - {name: r, failure_ratio: {above: 100, window: 1h}}\n",
            "flows[0].alerting.rules[0].failure_ratio.above", 11, "must be a percentage below 100",
            id="a failure ratio of 100 percent can never be exceeded and is refused",
        ),
        pytest.param(
            "    alerting:\n      rules:\n"
            "        - {name: r, failure_ratio: {above: 3, window: 1h, min_runs: 2.5}}\n",
            "flows[0].alerting.rules[0].failure_ratio.min_runs", 11, "a whole number of runs",
            id="a fractional minimum of runs is refused",
        ),
        pytest.param(
            "    alerting:\n      rules:\n"
            "        - {name: r, budget_remaining: {slo: success-rate, below: 120}}\n",
            "flows[0].alerting.rules[0].budget_remaining.below", 11, "at most 100",
            id="a budget threshold above 100 percent is refused",
        ),
        pytest.param(
            "    alerting:\n      rules:\n"
            "        - {name: r, absence: {window: 1h}, severity: urgent}\n",
            "flows[0].alerting.rules[0].severity", 11, "must be one of page, ticket",
            id="an unknown severity is refused",
        ),
        pytest.param(
            "    alerting:\n      rules:\n"
            "        - {name: r, absence: {window: 1h}}\n"
            "        - {name: r, absence: {window: 2h}}\n",
            "flows[0].alerting.rules[1].name", 12, "duplicate alert rule name 'r'",
            id="two rules with one name are refused",
        ),
        pytest.param(
            "    alerting:\n      rules:\n"
            "        - {name: r, dead_letter_age: {above: soon}}\n",
            "flows[0].alerting.rules[0].dead_letter_age.above", 11, "must be a duration",
            id="a dead letter age that is not a duration is refused",
        ),
    ],
)
def test_a_broken_alerting_section_names_the_problem(section: str, field: str, line: int,
                                                     fragment: str) -> None:
    with pytest.raises(CatalogValidationError) as caught:
        parse_catalog(textwrap.dedent(FLOW + section), filename="catalog.yaml")
    problems = caught.value.problems
    assert [(p.field, p.line) for p in problems] == [(field, line)], problems
    assert fragment in problems[0].message
