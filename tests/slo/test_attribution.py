"""Error budget by partner: bad runs attributed to the step where they went bad.

Hand-worked case (objective 99 %, 1 000 valid runs: the budget allows 10 bad runs): 5 bad at
the Stripe payment step use 50 % of the budget, 3 at the NetSuite sync 30 %, 1 at checkout
(in-house) 10 %, 1 before any step 10 %: 100 % in all, and the budget remaining is
1 - 10 / 1000 / 0.01 = 0.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from fastapi import FastAPI

from catalog.model import Catalog, Step
from flowscope.http_errors import install_error_handlers
from slo.attribution import (
    IN_HOUSE,
    UNATTRIBUTED,
    PartnerBudget,
    partner_budgets,
    step_budgets,
)
from slo.attribution_query import SloPeriod, bad_runs_by_step
from slo.budget import budget_remaining
from slo.evaluation import evaluate_flows
from slo.routes import slo_router
from tests.asgi import InProcessClient
from tests.slo.conftest import AT, Recorder, catalog_flow
from warehouse.port import Warehouse

STEPS = (Step("checkout", service="storefront"),
         Step("payment", service="payments", partner="stripe"),
         Step("erp-sync", service="erp-sync", partner="netsuite"),
         Step("refund", service="payments", span="refund", partner="stripe"))


@pytest.mark.parametrize(
    ("bad_by_step", "valid", "objective", "expected"),
    [
        pytest.param(
            {2: 5, 3: 3, 1: 1, 0: 1}, 1000, 0.99,
            (PartnerBudget("stripe", 5, 0.5, ("payment",)),
             PartnerBudget("netsuite", 3, 0.3, ("erp-sync",)),
             PartnerBudget(UNATTRIBUTED, 1, 0.1, ()),
             PartnerBudget(IN_HOUSE, 1, 0.1, ("checkout",))),
            id="each partner's bad runs over the ten the budget allows"),
        pytest.param(
            {2: 30, 4: 10}, 1000, 0.99,
            (PartnerBudget("stripe", 40, 4.0, ("payment", "refund")),),
            id="two steps of one partner add up and may overspend the budget"),
        pytest.param(
            {2: 0, 3: 0}, 50, 0.9, (), id="steps without bad runs are left out"),
        pytest.param(
            {1: 1}, 0, 0.99, None, id="more bad runs than valid ones are refused"),
        pytest.param(
            {5: 1}, 10, 0.99, None, id="a step position the flow does not have is refused"),
        pytest.param(
            {1: 1}, 10, 1.0, None, id="an objective of one leaves no budget to share"),
    ],
)
def test_partner_budgets(bad_by_step: dict[int, int], valid: int, objective: float,
                         expected: tuple[PartnerBudget, ...] | None) -> None:
    if expected is None:
        with pytest.raises(ValueError):
            partner_budgets(STEPS, bad_by_step, valid, objective)
        return
    found = partner_budgets(STEPS, bad_by_step, valid, objective)
    assert [(p.partner, p.bad, p.steps) for p in found] == [
        (p.partner, p.bad, p.steps) for p in expected]
    assert [p.consumed for p in found] == pytest.approx([p.consumed for p in expected])


def test_the_parts_add_up_to_the_budget_spent() -> None:
    found = partner_budgets(STEPS, {2: 5, 3: 3, 1: 1, 0: 1}, 1000, 0.99)
    remaining = budget_remaining(error_ratio=10 / 1000, objective=0.99)
    assert remaining == pytest.approx(0)
    assert sum(p.consumed or 0 for p in found) == pytest.approx(1)


def ago(minutes: float) -> datetime:
    return AT - timedelta(minutes=minutes)


def _bad_runs_and_good_ones(runs: Recorder) -> None:
    """R1 fails after the charge, R2 is dead-lettered by the ERP sync, R4 fails before any
    step, R5..R9 succeed within a minute."""
    runs.start("R1", ago(60))
    runs.span("R1", "payments", "charge", ago(59), error=True)
    runs.failure("R1", ago(58))
    runs.start("R2", ago(50))
    runs.span("R2", "payments", "charge", ago(49))
    runs.span("R2", "erp-sync", "dead-letter publish", ago(48))
    runs.event("R4", "PaymentFailed", ago(20), outcome="failure")
    for i in range(5, 10):
        runs.start(f"R{i}", ago(15 - i))
        runs.success(f"R{i}", ago(15 - i) + timedelta(seconds=59))


def test_bad_runs_are_counted_at_the_last_step_they_reached(runs: Recorder) -> None:
    """Success-rate (mode 0) and posted-in-2m (latency 2 min) over the 30 days before AT:

    - R1 fails at payment (charge, then PaymentFailed from payments): payment in both.
    - R2 is dead-lettered by the ERP sync: erp-sync in both (at start + 2 min exactly).
    - R3 succeeds after 10 min, reaching the ERP sync at 5 min: good for success-rate; for
      the latency SLO bad at start + 2 min, when it had reached payment only.
    - R4 fails with no service and no start: before any step in both.
    - R5..R9 succeed within a minute: good. R0 failed 31 days ago: outside the period.
    """
    runs.start("R0", AT - timedelta(days=31))
    runs.failure("R0", AT - timedelta(days=31) + timedelta(minutes=1))
    _bad_runs_and_good_ones(runs)
    runs.start("R3", ago(40))
    runs.span("R3", "payments", "charge", ago(39))
    runs.span("R3", "erp-sync", "post", ago(35))
    runs.success("R3", ago(30))
    flow = catalog_flow(runs.flow, steps=STEPS[:3])
    periods = [SloPeriod(flow.name, spec, AT - timedelta(days=30), AT) for spec in flow.slos]
    success_rate, posted = bad_runs_by_step(runs.wh, [flow], periods)
    assert success_rate == {2: 1, 3: 1, 0: 1}
    assert posted == {2: 2, 3: 1, 0: 1}
    # the same runs as the SLO status: the parts add up to the budget it says is spent
    (status,) = evaluate_flows(runs.wh, [flow], AT)
    for slo, bad in zip(status.slos, (success_rate, posted), strict=True):
        parts = partner_budgets(flow.steps, bad, slo.counts.valid, slo.objective)
        assert slo.budget_remaining is not None
        assert sum(p.consumed or 0 for p in parts) == pytest.approx(1 - slo.budget_remaining)
    assert [(p.partner, p.bad) for p in partner_budgets(flow.steps, posted, 9, 0.9)] == [
        ("stripe", 2), (UNATTRIBUTED, 1), ("netsuite", 1)]  # ties by name


def test_a_flow_without_steps_leaves_every_bad_run_unattributed(runs: Recorder) -> None:
    runs.start("R1", ago(10))
    runs.failure("R1", ago(9))
    flow = replace(catalog_flow(runs.flow), steps=())
    (found, _) = bad_runs_by_step(runs.wh, [flow], [
        SloPeriod(flow.name, spec, AT - timedelta(days=30), AT) for spec in flow.slos])
    assert found == {0: 1}


def test_one_query_serves_several_flows_each_with_its_own_steps(runs: Recorder) -> None:
    """The same run id in two flows: a failure after the charge in the first (payment, step 2
    of its steps), a failure after the ERP sync in the second, whose only step is erp-sync."""
    other = Recorder(runs.wh, runs.flow + "-b")
    for rec, service in ((runs, "payments"), (other, "erp-sync")):
        rec.start("R1", ago(10))
        rec.span("R1", service, "call", ago(9))
        rec.failure("R1", ago(8))
    first = catalog_flow(runs.flow, steps=STEPS[:3])
    second = catalog_flow(other.flow, steps=(STEPS[2],), slos=first.slos[:1])
    since = AT - timedelta(days=30)
    periods = [SloPeriod(second.name, second.slos[0], since, AT),
               *(SloPeriod(first.name, spec, since, AT) for spec in first.slos)]
    assert bad_runs_by_step(runs.wh, [first, second], periods) == ({1: 1}, {2: 1}, {2: 1})
    with pytest.raises(ValueError, match="no flow named"):
        bad_runs_by_step(runs.wh, [first], periods)


@pytest.mark.parametrize(("bad_by_step", "valid", "expected"), [
    pytest.param({2: 5, 3: 3, 1: 1, 0: 1}, 1000,
                 [("checkout", None, 1, 0.1), ("payment", "stripe", 5, 0.5),
                  ("erp-sync", "netsuite", 3, 0.3), (None, None, 1, 0.1)],
                 id="catalog order, then the runs that reached no step"),
    pytest.param({2: 30, 4: 10}, 1000,
                 [("payment", "stripe", 30, 3.0), ("refund", "stripe", 10, 1.0)],
                 id="two steps of one partner stay apart"),
    pytest.param({1: 0}, 0, [], id="no bad run, no step"),
])
def test_step_budgets(bad_by_step: dict[int, int], valid: int,
                      expected: list[tuple[str | None, str | None, int, float]]) -> None:
    found = step_budgets(STEPS, bad_by_step, valid, 0.99)
    assert [(s.step, s.partner, s.bad) for s in found] == [e[:3] for e in expected]
    assert [s.consumed for s in found] == pytest.approx([e[3] for e in expected])


def _attribution_client(catalog: Catalog, wh: Warehouse) -> InProcessClient:
    app = FastAPI()
    install_error_handlers(app)  # a ParameterError is answered 400 by the app, as in the server
    app.include_router(slo_router(catalog, lambda: wh, clock=lambda: AT))
    return InProcessClient(app)


def test_the_attribution_route_splits_each_budget_by_partner_and_step(runs: Recorder) -> None:
    """R1 fails after the Stripe charge, R2 is dead-lettered by the NetSuite sync, R4 fails
    before any step, R5..R9 succeed in a minute: 8 valid runs; 99 % allows 0.08 bad runs,
    so each bad run uses 12.5 budgets; the latency SLO (90 %) allows 0.8, 1.25 each."""
    _bad_runs_and_good_ones(runs)
    flow = catalog_flow(runs.flow, steps=STEPS[:3])
    client = _attribution_client(Catalog(flows=(flow,)), runs.wh)
    body = client.get(f"/api/v1/flows/{flow.name}/attribution").json()
    narrow = client.get(f"/api/v1/flows/{flow.name}/attribution",
                        params={"from": ago(30).isoformat()}).json()
    refused = client.get(f"/api/v1/flows/{flow.name}/attribution",
                         params={"from": AT.isoformat()})
    unknown = client.get("/api/v1/flows/nope/attribution")
    rate, posted = body["slos"]
    assert (rate["name"], rate["from"], rate["to"]) == (
        "success-rate", "2026-02-08T12:00:00Z", "2026-03-10T12:00:00Z")
    assert (rate["valid"], rate["bad"], rate["budget_used"]) == (8, 3, pytest.approx(37.5))
    assert rate["partners"] == [
        {"partner": UNATTRIBUTED, "bad": 1, "budget_used": pytest.approx(12.5), "steps": []},
        {"partner": "netsuite", "bad": 1, "budget_used": pytest.approx(12.5),
         "steps": ["erp-sync"]},
        {"partner": "stripe", "bad": 1, "budget_used": pytest.approx(12.5),
         "steps": ["payment"]}]
    assert [(s["step"], s["partner"], s["bad"]) for s in rate["steps"]] == [
        ("payment", "stripe", 1), ("erp-sync", "netsuite", 1), (None, None, 1)]
    assert (posted["valid"], posted["bad"], posted["budget_used"]) == (
        8, 3, pytest.approx(3.75))
    assert body["skipped"] == []
    # from 30 minutes ago only R4 and the five successes count
    assert [(s["valid"], s["bad"]) for s in narrow["slos"]] == [(6, 1), (6, 1)]
    assert narrow["slos"][0]["from"] == "2026-03-10T11:30:00Z"
    assert refused.status_code == 400 and "must end after it starts" in refused.json()["detail"]
    assert unknown.status_code == 404
