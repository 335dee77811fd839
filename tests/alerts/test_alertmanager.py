"""A real Alertmanager receives our firing and resolved alerts and routes them with our labels."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from prometheus_client import CollectorRegistry

from alerts.evaluator import AlertEvaluator
from alerts.facts import load_rule_set
from alerts.metrics import AlertMetrics
from alerts.notifiers import AlertmanagerNotifier, Dispatcher
from alerts.signals import InMemorySignals
from catalog.spec import load_catalog
from tests.alerts.conftest import Alertmanager, Clock, Delivery

RULES = load_rule_set(load_catalog(Path(__file__).with_name("catalog.yaml")))


def group_of(slo: str, status: str) -> Callable[[Delivery], bool]:
    def matches(d: Delivery) -> bool:
        body = d.json()
        labels = body.get("groupLabels", {})
        return (d.path == "/alertmanager" and body["status"] == status
                and labels.get("slo") == slo and labels.get("severity") == "page")
    return matches


def test_firing_and_resolved_alerts_reach_the_receiver_through_alertmanager(
        alertmanager: Alertmanager) -> None:
    clock = Clock(datetime.now(UTC).replace(microsecond=0))  # Alertmanager compares to its clock
    registry = CollectorRegistry()
    metrics = AlertMetrics(registry)
    dispatcher = Dispatcher(AlertmanagerNotifier(alertmanager.url), metrics)
    signals = InMemorySignals()
    evaluator = AlertEvaluator(RULES, signals=lambda: signals, store=lambda: None,
                               dispatchers=[dispatcher], metrics=metrics, clock=clock)
    signals.record_slo("lead-to-demo", "booked-rate", good=50, bad=50,
                       at=clock.now - timedelta(minutes=1))
    dispatcher.start()
    try:
        evaluator.evaluate()
        firing = alertmanager.receiver.wait_for(group_of("booked-rate", "firing"))
        (alert,) = firing.json()["alerts"]
        assert alert["status"] == "firing"
        assert alert["labels"] == {"alertname": "FlowSLOBudgetBurn", "flow": "lead-to-demo",
                                   "slo": "booked-rate", "severity": "page",
                                   "owner": "unassigned"}
        assert alert["annotations"]["summary"].startswith(
            "50.0 % of lead-to-demo runs failed in the last hour;")
        listed = httpx.get(f"{alertmanager.url}/api/v2/alerts",
                           params={"filter": 'flow="lead-to-demo"'}, timeout=5).json()
        assert {a["labels"]["severity"] for a in listed} == {"page", "ticket"}

        signals.clear()
        clock.advance(timedelta(seconds=1))
        evaluator.evaluate()
        resolved = alertmanager.receiver.wait_for(group_of("booked-rate", "resolved"))
        (gone,) = resolved.json()["alerts"]
        assert gone["status"] == "resolved"
        assert gone["labels"]["flow"] == "lead-to-demo"
        assert dispatcher.flush(5)
    finally:
        dispatcher.stop()
    assert registry.get_sample_value("flowscope_alert_notifications_total",
                                     {"channel": "alertmanager", "result": "sent"}) == 4
