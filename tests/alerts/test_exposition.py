"""/metrics: SLO events, objectives, budget and burn rates computed at scrape time, and alerts."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from alerts.exposition import SLOCollector
from alerts.facts import load_rule_set
from alerts.lifecycle import advance
from alerts.model import Alert, Observation, labels_of
from alerts.signals import InMemorySignals
from catalog.spec import load_catalog
from tests.alerts.conftest import T0, Clock

RULES = load_rule_set(load_catalog(Path(__file__).with_name("catalog.yaml")))
FLOW = "order-to-cash"


def scrape(signals: InMemorySignals | None, alerts: tuple[Alert, ...] = ()) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(SLOCollector(RULES, signals=lambda: signals, alerts=lambda: alerts,
                                   clock=Clock()))
    return registry


@pytest.fixture(scope="module")
def registry() -> CollectorRegistry:
    signals = InMemorySignals()
    signals.record_slo(FLOW, "success-rate", good=990, bad=10, at=T0 - timedelta(minutes=2))
    signals.record_slo(FLOW, "success-rate", good=99_000, bad=0, at=T0 - timedelta(days=40))
    return scrape(signals)


@pytest.mark.parametrize(
    ("name", "labels", "value"),
    [
        pytest.param("flowscope_slo_events_total", {"flow": FLOW, "slo": "success-rate",
                                                    "result": "good"}, 99_990,
                     id="good events count every determinate run so far"),
        pytest.param("flowscope_slo_events_total", {"flow": FLOW, "slo": "success-rate",
                                                    "result": "bad"}, 10,
                     id="bad events are counted apart"),
        pytest.param("flowscope_slo_objective_ratio", {"flow": FLOW, "slo": "success-rate"},
                     0.999, id="the objective is a fraction"),
        pytest.param("flowscope_slo_budget_remaining_ratio", {"flow": FLOW,
                                                              "slo": "success-rate"}, -9.0,
                     id="the budget remaining covers the period only and is not clamped"),
        pytest.param("flowscope_slo_burn_rate", {"flow": FLOW, "slo": "success-rate",
                                                 "window": "5m"}, 10.0,
                     id="the burn rate is given per window"),
        pytest.param("flowscope_slo_burn_rate", {"flow": FLOW, "slo": "success-rate",
                                                 "window": "3d"}, 10.0,
                     id="every window of the catalog has a burn rate"),
        pytest.param("flowscope_slo_objective_ratio", {"flow": "lead-to-demo",
                                                       "slo": "booked-monthly"}, 0.995,
                     id="calendar SLOs are exposed too"),
    ],
)
def test_slo_figures_are_computed_at_scrape_time(registry: CollectorRegistry, name: str,
                                                 labels: dict[str, str], value: float) -> None:
    assert registry.get_sample_value(name, labels) == pytest.approx(value)


def test_an_slo_without_runs_has_no_ratio_figures(registry: CollectorRegistry) -> None:
    labels = {"flow": FLOW, "slo": "posted-in-2m"}
    assert registry.get_sample_value("flowscope_slo_budget_remaining_ratio", labels) is None
    assert registry.get_sample_value("flowscope_slo_events_total",
                                     {**labels, "result": "bad"}) == 0


def test_firing_alerts_are_exposed_with_their_labels() -> None:
    labels = labels_of({"alertname": "FlowNoSuccess", "flow": FLOW, "severity": "page",
                        "owner": "payments-team", "rule": "no-invoices"})
    alerts = advance((), [Observation(rule="r", labels=labels, annotations=(), active=True)],
                     T0).alerts
    registry = scrape(None, alerts)
    assert registry.get_sample_value("flowscope_alert_firing", {
        "alertname": "FlowNoSuccess", "flow": FLOW, "slo": "", "severity": "page",
        "owner": "payments-team", "rule": "no-invoices"}) == 1


@pytest.mark.parametrize(
    "signals",
    [pytest.param(None, id="before the warehouse is ready"),
     pytest.param("broken", id="while the warehouse fails")],
)
def test_a_scrape_never_fails_because_of_the_data(signals: str | None) -> None:
    source = None
    if signals == "broken":
        source = InMemorySignals()
        source.unavailable.add(FLOW)
    text = generate_latest(scrape(source)).decode()
    assert 'flowscope_slo_objective_ratio{flow="order-to-cash",slo="success-rate"} 0.999' in text
    assert 'flowscope_slo_events_total{flow="order-to-cash"' not in text
