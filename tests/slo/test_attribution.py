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

from catalog.model import Step
from slo.attribution import IN_HOUSE, UNATTRIBUTED, PartnerBudget, partner_budgets
from slo.attribution_query import SloPeriod, bad_runs_by_step
from slo.budget import budget_remaining
from slo.evaluation import evaluate_flows
from tests.slo.conftest import AT, Recorder, catalog_flow

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
    runs.start("R1", ago(60))
    runs.span("R1", "payments", "charge", ago(59), error=True)
    runs.failure("R1", ago(58))
    runs.start("R2", ago(50))
    runs.span("R2", "payments", "charge", ago(49))
    runs.span("R2", "erp-sync", "dead-letter publish", ago(48))
    runs.start("R3", ago(40))
    runs.span("R3", "payments", "charge", ago(39))
    runs.span("R3", "erp-sync", "post", ago(35))
    runs.success("R3", ago(30))
    runs.event("R4", "PaymentFailed", ago(20), outcome="failure")
    for i in range(5, 10):
        runs.start(f"R{i}", ago(15 - i))
        runs.success(f"R{i}", ago(15 - i) + timedelta(seconds=59))
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
