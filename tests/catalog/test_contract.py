"""The catalog spec loads what users write into the exact model other rooms read."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from catalog.model import (
    Baseline,
    Catalog,
    CostModel,
    FailureMatcher,
    FixedFee,
    Flow,
    Investment,
    LatencySpec,
    MaintenanceWindow,
    Matcher,
    PerCallPrice,
    RedactionRule,
    Release,
    ReplayTarget,
    SLOSpec,
    Step,
)
from catalog.spec import load_catalog, parse_catalog

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

# The catalog example of the design's Contract section, verbatim.
CONTRACT = """\
apiVersion: flowscope/v1
redaction:                                   # applied before anything is written
  - {key: "user.email", action: hash}
  - {key: "card.*", action: drop}
flows:
  - name: order-to-cash
    owner: payments-team
    correlation_key: order.id                # span/event attribute holding the business id
    start:   {event: OrderPlaced}            # or {service: storefront, span: checkout}
    success: {event: InvoicePosted}
    failure: {events: [PaymentFailed, InvoiceRejected], dead_letter: true}
    steps:
      - {name: checkout, service: storefront}
      - {name: payment,  service: payments, partner: stripe}
      - {name: erp-sync, service: erp-sync, partner: netsuite}
    slos:
      - {name: success-rate, objective: 99.9, period: 30d}
      - {name: posted-in-2m, objective: 99.5, period: 30d, latency: {threshold: 2m}}
    alerting: {windows: google-30d}
    cost:                                    # money as quoted strings: exact decimals
      currency: USD
      per_call:                              # each span (or event) of that step/partner is a call
        - {partner: stripe, price: "0.30"}
        - {step: erp-sync, price: "0.002"}
      compute: {per_cpu_second: "0.00005"}   # applied to span durations
      fixed: [{name: ipaas-licence, per_month: "1200"}]   # amortised per day of its month
      people: {hourly_rate: "45", minutes_per_intervention: 12}   # dead letters, replays, approvals
    baseline: {manual_minutes_per_run: 9, hourly_rate: "38"}     # the process before automation
    investment: {build: "40000", since: "2026-01-01"}
"""

CONTRACT_MODEL = Catalog(
    flows=(
        Flow(
            name="order-to-cash",
            correlation_key="order.id",
            owner="payments-team",
            start=Matcher(events=("OrderPlaced",)),
            success=Matcher(events=("InvoicePosted",)),
            failure=FailureMatcher(events=("PaymentFailed", "InvoiceRejected"), dead_letter=True),
            steps=(
                Step(name="checkout", service="storefront"),
                Step(name="payment", service="payments", partner="stripe"),
                Step(name="erp-sync", service="erp-sync", partner="netsuite"),
            ),
            slos=(
                SLOSpec(name="success-rate", objective=Decimal("99.9"), period=timedelta(days=30)),
                SLOSpec(
                    name="posted-in-2m",
                    objective=Decimal("99.5"),
                    period=timedelta(days=30),
                    latency=LatencySpec(threshold=timedelta(minutes=2)),
                ),
            ),
            alerting_windows="google-30d",
            cost=CostModel(
                currency="USD",
                per_call=(
                    PerCallPrice(price=Decimal("0.30"), partner="stripe"),
                    PerCallPrice(price=Decimal("0.002"), step="erp-sync"),
                ),
                per_cpu_second=Decimal("0.00005"),
                fixed=(FixedFee(name="ipaas-licence", per_month=Decimal("1200")),),
                hourly_rate=Decimal("45"),
                minutes_per_intervention=Decimal("12"),
            ),
            baseline=Baseline(manual_minutes_per_run=Decimal("9"), hourly_rate=Decimal("38")),
            investment=Investment(build=Decimal("40000"), since=date(2026, 1, 1)),
        ),
    ),
    redaction=(RedactionRule(key="user.email", action="hash"), RedactionRule(key="card.*",
                                                                            action="drop")),
)


def test_the_design_contract_example_loads_to_the_expected_model() -> None:
    assert parse_catalog(CONTRACT) == CONTRACT_MODEL


def test_money_keeps_the_exact_digits_written() -> None:
    cost = parse_catalog(CONTRACT).flows[0].cost
    assert cost is not None
    assert str(cost.per_call[0].price) == "0.30"
    assert str(cost.per_cpu_second) == "0.00005"
    assert all(isinstance(p.price, Decimal) for p in cost.per_call)


def test_the_shipped_example_catalog_loads() -> None:
    catalog = load_catalog(EXAMPLES / "catalog.yaml")
    assert [f.name for f in catalog.flows] == ["order-to-cash", "lead-to-demo", "refund-to-ledger"]
    assert catalog.correlation_keys() == ("order.id", "lead.id", "refund.id")
    assert RedactionRule(key="user.email", action="hash") in catalog.redaction
    assert RedactionRule(key="card.*", action="drop") in catalog.redaction
    order = catalog.flows[0]
    assert [s.service for s in order.steps] == ["storefront", "payments", "erp-sync", "warehouse"]
    assert order.partners() == {"stripe", "netsuite"}
    assert all(f.slos and f.cost and f.baseline for f in catalog.flows)
    assert order.search_keys == ("customer.id",)
    assert order.replay == ReplayTarget(
        url="https://automation.example.com/order-to-cash/replay",
        secret_env="ORDER_TO_CASH_REPLAY_SECRET", timeout=timedelta(seconds=10),
        max_per_minute=30)
    assert order.pause is not None and order.pause.secret_env == "ORDER_TO_CASH_PAUSE_SECRET"


def test_the_shipped_example_resolves_merged_defaults() -> None:
    catalog = load_catalog(EXAMPLES / "catalog.yaml")
    lead = catalog.flow("lead-to-demo")
    assert lead is not None and lead.cost is not None
    assert lead.cost.hourly_rate == Decimal("45")  # from the x-support-time anchor
    assert lead.cost.minutes_per_intervention == Decimal("5")  # overridden next to the merge


MINIMAL = "apiVersion: flowscope/v1\nflows:\n  - name: f\n    correlation_key: k\n"


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        pytest.param(
            "    runbook_url: https://runbooks.example.com/f\n",
            Flow(name="f", correlation_key="k", runbook_url="https://runbooks.example.com/f"),
            id="a flow keeps its runbook url",
        ),
        pytest.param(
            "    start: {service: storefront, span: checkout}\n"
            "    success: {events: [Paid, Shipped]}\n",
            Flow(name="f", correlation_key="k",
                 start=Matcher(service="storefront", span="checkout"),
                 success=Matcher(events=("Paid", "Shipped"))),
            id="start and success match a span or a list of events",
        ),
        pytest.param(
            "    failure: {dead_letter: false}\n",
            Flow(name="f", correlation_key="k", failure=FailureMatcher()),
            id="failure may be dead letters alone",
        ),
        pytest.param(
            "    start: {event: A}\n    success: {event: B}\n"
            "    slos:\n      - name: monthly\n        objective: 99.95\n"
            "        period: {calendar: month}\n"
            "        runbook_url: http://wiki/slo\n",
            Flow(name="f", correlation_key="k", start=Matcher(events=("A",)),
                 success=Matcher(events=("B",)),
                 slos=(SLOSpec(name="monthly", objective=Decimal("99.95"), period=None,
                               calendar="month", timezone="UTC",
                               runbook_url="http://wiki/slo"),)),
            id="a calendar period without time zone is in UTC",
        ),
        pytest.param(
            "    start: {event: A}\n    success: {event: B}\n"
            "    slos:\n      - name: q\n        objective: 99\n"
            "        period: {calendar: quarter, timezone: America/New_York}\n",
            Flow(name="f", correlation_key="k", start=Matcher(events=("A",)),
                 success=Matcher(events=("B",)),
                 slos=(SLOSpec(name="q", objective=Decimal("99"), period=None,
                               calendar="quarter", timezone="America/New_York"),)),
            id="a calendar period keeps its IANA time zone",
        ),
        pytest.param(
            "    maintenance:\n      - {rrule: 'FREQ=DAILY;BYHOUR=3', duration: 90m}\n",
            Flow(name="f", correlation_key="k",
                 maintenance=(MaintenanceWindow(rrule="FREQ=DAILY;BYHOUR=3",
                                                duration=timedelta(minutes=90)),)),
            id="a maintenance window needs no reason",
        ),
        pytest.param(
            "    baseline: {cost_per_run: \"6.50\"}\n    investment: {build: \"0\"}\n",
            Flow(name="f", correlation_key="k", baseline=Baseline(cost_per_run=Decimal("6.50")),
                 investment=Investment(build=Decimal("0"))),
            id="a baseline may be a cost per run and an investment needs no date",
        ),
        pytest.param(
            "    steps: [{name: s, service: svc}]\n"
            "    cost:\n      currency: EUR\n      compute: {per_invocation: \"0.0000002\"}\n"
            "      per_call: [{step: s, price: \"1\"}]\n",
            Flow(name="f", correlation_key="k", steps=(Step(name="s", service="svc"),),
                 cost=CostModel(currency="EUR", per_invocation=Decimal("0.0000002"),
                                per_call=(PerCallPrice(price=Decimal("1"), step="s"),))),
            id="a cost may price invocations and a step",
        ),
        pytest.param(
            "    releases:\n      - {version: \"2.5\", date: 2026-11-20, note: batch posting}\n"
            "      - {version: \"2.4\", date: \"2026-10-02\"}\n",
            Flow(name="f", correlation_key="k",
                 releases=(Release(version="2.4", day=date(2026, 10, 2)),
                           Release(version="2.5", day=date(2026, 11, 20),
                                   note="batch posting"))),
            id="releases are kept in day order whatever the file order",
        ),
    ],
)
def test_optional_parts_of_a_flow_map_to_the_model(extra: str, expected: Flow) -> None:
    assert parse_catalog(MINIMAL + extra).flows == (expected,)


@pytest.mark.parametrize(
    ("text", "same_as"),
    [
        pytest.param("apiVersion: flowscope/v1\nx-generated-by: terraform\n",
                     "apiVersion: flowscope/v1\n", id="an x- key is allowed at the top"),
        pytest.param(MINIMAL + "    x-team: {slack: '#pay', pager: [a, b]}\n", MINIMAL,
                     id="an x- key is allowed in a flow with any value"),
        pytest.param(MINIMAL + "    steps:\n      - {name: s, service: v, x-note: 1}\n",
                     MINIMAL + "    steps:\n      - {name: s, service: v}\n",
                     id="an x- key is allowed in a step"),
        pytest.param(MINIMAL + "    cost:\n      currency: USD\n      x-price-source: 0.30\n",
                     MINIMAL + "    cost:\n      currency: USD\n",
                     id="an x- key is not read as money"),
        pytest.param("apiVersion: flowscope/v1\nflows: []\nredaction: []\n",
                     "apiVersion: flowscope/v1\n", id="empty lists are allowed"),
    ],
)
def test_extension_keys_are_ignored(text: str, same_as: str) -> None:
    assert parse_catalog(text) == parse_catalog(same_as)


def test_a_catalog_with_no_flows_is_empty() -> None:
    assert parse_catalog("apiVersion: flowscope/v1\n") == Catalog()


def test_merge_keys_let_flows_share_defaults() -> None:
    text = (
        "apiVersion: flowscope/v1\n"
        "x-defaults: &defaults {owner: team-a, correlation_key: order.id}\n"
        "flows:\n"
        "  - {<<: *defaults, name: one}\n"
        "  - {<<: *defaults, name: two, owner: team-b}\n"
    )
    flows = parse_catalog(text).flows
    assert [(f.name, f.owner, f.correlation_key) for f in flows] == [
        ("one", "team-a", "order.id"),
        ("two", "team-b", "order.id"),
    ]
