"""Rules turn counts into observations that speak business, with numbers."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from alerts.facts import RuleSet, load_rule_set, observe
from alerts.model import Observation
from alerts.signals import InMemorySignals
from alerts.wording import percent, span, window
from catalog.model import Catalog, Flow, SLOSpec
from catalog.spec import load_catalog
from tests.alerts.conftest import T0

CATALOG = load_catalog(Path(__file__).with_name("catalog.yaml"))
MINUTE = timedelta(minutes=1)
FLOW = "order-to-cash"


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rule_set(CATALOG)


def find(observations: tuple[Observation, ...], **labels: str) -> Observation:
    hits = [o for o in observations if all(dict(o.labels).get(k) == v for k, v in labels.items())]
    assert len(hits) == 1, [o.labels for o in observations]
    return hits[0]


def burning(signals: InMemorySignals) -> None:
    """3.2% of the last hour's runs failed; 59 of the period's 100,000 runs were bad."""
    signals.record_slo(FLOW, "success-rate", good=968, bad=32, at=T0 - 2 * MINUTE)
    signals.record_slo(FLOW, "success-rate", good=98_973, bad=27, at=T0 - timedelta(days=10))


def test_a_fast_burn_pages_with_the_numbers_on_call_needs(rules: RuleSet) -> None:
    signals = InMemorySignals()
    burning(signals)
    page = find(observe(rules, signals, T0).observations, alertname="FlowSLOBudgetBurn",
                slo="success-rate", severity="page")
    assert page.active
    assert dict(page.labels) == {"alertname": "FlowSLOBudgetBurn", "flow": FLOW,
                                 "slo": "success-rate", "severity": "page",
                                 "owner": "payments-team"}
    notes = dict(page.annotations)
    assert notes["summary"] == ("3.2 % of order-to-cash runs failed in the last hour; budget "
                                "left 41.0 %; at this rate it is gone in 9 h 13 min")
    assert notes["runbook_url"] == "https://runbooks.example.com/slos/order-to-cash-success"
    assert "32x faster than sustainable" in notes["description"]
    assert page.value == pytest.approx(0.032)


def test_a_fast_burn_also_tickets_over_the_longer_windows(rules: RuleSet) -> None:
    signals = InMemorySignals()
    burning(signals)
    ticket = find(observe(rules, signals, T0).observations, alertname="FlowSLOBudgetBurn",
                  slo="success-rate", severity="ticket")
    assert ticket.active
    assert dict(ticket.annotations)["summary"].startswith(
        "3.2 % of order-to-cash runs failed in the last day;")


@pytest.mark.parametrize(
    ("records", "page", "ticket"),
    [
        pytest.param([(90, 10, 2), (99_900, 0, 40)], False, False,
                     id="a five-minute blip that the long windows do not see wakes nobody"),
        pytest.param([(9_950, 50, 30)], False, True,
                     id="a slow burn of 0.5% tickets but does not page"),
        pytest.param([(1_000, 0, 2)], False, False,
                     id="a healthy flow stays quiet"),
        pytest.param([], False, False, id="a flow without runs never fires"),
    ],
)
def test_burn_tiers_page_and_ticket_only_when_both_windows_burn(
        rules: RuleSet, records: list[tuple[int, int, int]], page: bool, ticket: bool) -> None:
    signals = InMemorySignals()
    for good, bad, minutes_ago in records:
        signals.record_slo(FLOW, "success-rate", good=good, bad=bad, at=T0 - minutes_ago * MINUTE)
    observations = observe(rules, signals, T0).observations
    for severity, fires in (("page", page), ("ticket", ticket)):
        burn = find(observations, alertname="FlowSLOBudgetBurn", slo="success-rate",
                    severity=severity)
        assert burn.active is fires, severity


def test_a_latency_slo_says_runs_were_slow_not_failed(rules: RuleSet) -> None:
    signals = InMemorySignals()
    signals.record_slo(FLOW, "posted-in-2m", good=90, bad=10, at=T0 - MINUTE)
    page = find(observe(rules, signals, T0).observations, slo="posted-in-2m", severity="page")
    assert dict(page.annotations)["summary"].startswith(
        "10.0 % of order-to-cash runs took longer than 2 minutes in the last hour; the error "
        "budget "
        "of posted-in-2m is spent (20x what the period allows)")  # 10 % / 0.5 % = 20 budgets


def outcome(rules: RuleSet, signals: InMemorySignals, rule: str) -> Observation:
    return find(observe(rules, signals, T0).observations, rule=rule)


@pytest.mark.parametrize(
    ("runs", "active", "summary"),
    [
        pytest.param({"success": 100, "failure": 4}, True,
                     "3.8 % of order-to-cash runs failed in the last hour (4 of 104; alert "
                     "above 3.0 %)", id="more failures than the threshold fire the failure ratio"),
        pytest.param({"success": 97, "failure": 3}, False, None,
                     id="a failure ratio exactly at the threshold does not fire"),
        pytest.param({"success": 4, "failure": 4}, False, None,
                     id="fewer determinate runs than min_runs are not judged"),
    ],
)
def test_the_failure_ratio_rule(rules: RuleSet, runs: dict[str, int], active: bool,
                                summary: str | None) -> None:
    signals = InMemorySignals()
    for kind, count in runs.items():
        for _ in range(count):
            signals.record_run(FLOW, "success" if kind == "success" else "failure",
                               T0 - 10 * MINUTE)
    signals.record_run(FLOW, "failure", T0 - 2 * timedelta(hours=1))  # outside the window
    obs = outcome(rules, signals, "invoices-failing")
    assert obs.active is active
    assert dict(obs.annotations).get("summary") == summary
    assert obs.for_duration == 5 * MINUTE
    assert dict(obs.labels) == {"alertname": "FlowFailureRatio", "flow": FLOW,
                                "severity": "page", "owner": "payments-team",
                                "rule": "invoices-failing"}


@pytest.mark.parametrize(
    ("replayed", "active"),
    [
        pytest.param(False, True, id="a dead letter waiting longer than allowed fires"),
        pytest.param(True, False, id="a replayed dead letter no longer counts"),
    ],
)
def test_the_dead_letter_age_rule(rules: RuleSet, replayed: bool, active: bool) -> None:
    signals = InMemorySignals()
    signals.record_dead_letter(FLOW, "A-1", T0 - 20 * MINUTE,
                               replayed_at=T0 - MINUTE if replayed else None)
    signals.record_dead_letter(FLOW, "A-2", T0 - 5 * MINUTE)
    obs = outcome(rules, signals, "dead-letters")
    assert obs.active is active
    if active:
        assert dict(obs.annotations)["summary"] == (
            "the oldest dead-lettered order-to-cash run has waited 20 min (alert above 15 min)")
        assert dict(obs.labels)["severity"] == "ticket"
        assert dict(obs.annotations)["runbook_url"] == (
            "https://runbooks.example.com/flows/order-to-cash")


@pytest.mark.parametrize(
    ("runs", "active"),
    [
        pytest.param({"start": 17}, True, id="starts without any success fire the absence rule"),
        pytest.param({"start": 17, "success": 1}, False, id="one success is enough"),
        pytest.param({}, False, id="no starts means nothing is missing"),
    ],
)
def test_the_absence_rule(rules: RuleSet, runs: dict[str, int], active: bool) -> None:
    signals = InMemorySignals()
    for kind, count in runs.items():
        for _ in range(count):
            signals.record_run(FLOW, "start" if kind == "start" else "success", T0 - 10 * MINUTE)
    obs = outcome(rules, signals, "no-invoices")
    assert obs.active is active
    if active:
        notes = dict(obs.annotations)
        assert notes["summary"] == (
            "no order-to-cash run succeeded in the last 30 minutes while 17 runs started")
        assert notes["runbook_url"] == "https://runbooks.example.com/no-invoices"


def test_the_budget_policy_rule_fires_below_its_threshold(rules: RuleSet) -> None:
    signals = InMemorySignals()
    signals.record_slo(FLOW, "success-rate", good=99_940, bad=60, at=T0 - timedelta(days=5))
    obs = outcome(rules, signals, "budget-policy")
    assert obs.active
    assert dict(obs.labels)["slo"] == "success-rate"
    assert dict(obs.labels)["alertname"] == "FlowBudgetLow"
    assert dict(obs.annotations)["summary"] == (
        "order-to-cash success-rate has 40.0 % of its error budget left this period (SLO "
        "99.9 %; alert below 50.0 %)")
    signals.clear()
    signals.record_slo(FLOW, "success-rate", good=99_960, bad=40, at=T0 - timedelta(days=5))
    assert not outcome(rules, signals, "budget-policy").active
    signals.clear()  # 300 bad of 100 000 at 99.9 %: 3 budgets
    signals.record_slo(FLOW, "success-rate", good=99_700, bad=300, at=T0 - timedelta(days=5))
    assert dict(outcome(rules, signals, "budget-policy").annotations)["summary"] == (
        "order-to-cash success-rate has spent its error budget this period, 3x what it allows "
        "(SLO 99.9 %; alert below 50.0 %)")


def test_rules_without_data_are_reported_as_unknown(rules: RuleSet) -> None:
    signals = InMemorySignals()
    signals.unavailable.add(FLOW)
    observed = observe(rules, signals, T0)
    assert set(observed.unknown_rules) == {
        "order-to-cash/slo/success-rate", "order-to-cash/slo/posted-in-2m",
        "order-to-cash/rule/invoices-failing", "order-to-cash/rule/dead-letters",
        "order-to-cash/rule/no-invoices", "order-to-cash/rule/budget-policy"}
    assert all(dict(o.labels)["flow"] == "lead-to-demo" for o in observed.observations)


def test_a_flow_without_owner_is_unassigned_and_calendar_slos_are_evaluated(
        rules: RuleSet) -> None:
    signals = InMemorySignals()
    signals.record_slo("lead-to-demo", "booked-monthly", good=50, bad=50, at=T0 - MINUTE)
    page = find(observe(rules, signals, T0).observations, slo="booked-monthly",
                severity="page")
    assert page.active
    assert dict(page.labels)["owner"] == "unassigned"


def test_an_unknown_window_catalog_is_a_problem_not_a_crash() -> None:
    flow = Flow(name="f", correlation_key="k", alerting_windows="no-such-windows",
                slos=(SLOSpec(name="s", objective=CATALOG.flows[0].slos[0].objective,
                              period=timedelta(days=30)),))
    broken = load_rule_set(Catalog(flows=(flow,)))
    assert "no window catalog named 'no-such-windows'" in broken.problems[0]
    observed = observe(broken, InMemorySignals(), T0)
    assert observed.observations == ()
    assert observed.warnings == broken.problems


@pytest.mark.parametrize(
    ("ratio", "against", "text"),
    [(0.032, None, "3.2 %"), (0.41, None, "41.0 %"), (0.0015, None, "0.2 %"),
     (0.0015, 0.002, "0.15 %"), (0.0, None, "0.0 %"), (-0.12, None, "-12.0 %")],
    ids=["a few percent keep one decimal", "tens of percent keep one too",
         "a small ratio rounds", "a small ratio keeps the decimals that tell it from the "
         "threshold", "zero", "overspent is negative"],
)
def test_percentages_read_like_everywhere_else(ratio: float, against: float | None,
                                               text: str) -> None:
    assert percent(ratio, against) == text


@pytest.mark.parametrize(
    ("duration", "as_span", "as_window"),
    [(timedelta(seconds=45), "45 s", "45 seconds"), (timedelta(minutes=42), "42 min",
                                                      "42 minutes"),
     (timedelta(hours=9, minutes=13), "9 h 13 min", "553 minutes"),
     (timedelta(days=3), "3 d", "3 days"), (timedelta(hours=1), "1 h", "hour")],
    ids=["seconds", "minutes", "hours and minutes", "days", "one hour is 'the last hour'"],
)
def test_durations_read_naturally(duration: timedelta, as_span: str, as_window: str) -> None:
    assert (span(duration), window(duration)) == (as_span, as_window)
