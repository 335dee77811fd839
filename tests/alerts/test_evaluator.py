"""The evaluator: history in ClickHouse, restore, silences, maintenance, outages, never blocked."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from alerts.evaluator import AlertEvaluator
from alerts.facts import RuleSet, load_rule_set
from alerts.metrics import AlertMetrics
from alerts.notifiers import Dispatcher, Notifier, WebhookNotifier
from alerts.signals import InMemorySignals
from alerts.silences import LabelMatcher, Silence, new_silence, parse_matcher
from alerts.store import AlertStore
from catalog.spec import load_catalog
from tests.alerts.conftest import T0, Clock, Receiver

RULES: RuleSet = load_rule_set(load_catalog(Path(__file__).with_name("catalog.yaml")))
FLOW = "order-to-cash"
MINUTE = timedelta(minutes=1)


class Harness:
    """An evaluator over in-memory signals, with its registry and dispatchers."""

    def __init__(self, clock: Clock, *, store: AlertStore | None = None,
                 notifiers: Sequence[Notifier] = (), signals: InMemorySignals | None = None,
                 declared: dict[str, str] | None = None) -> None:
        self.registry = CollectorRegistry()
        self.signals = signals or InMemorySignals()
        self.store: AlertStore | None = store
        metrics = AlertMetrics(self.registry)
        self.dispatchers = [Dispatcher(n, metrics, backoff=lambda _: 0.01) for n in notifiers]
        self.ready = True
        self.evaluator = AlertEvaluator(
            RULES, signals=lambda: self.signals if self.ready else None,
            store=lambda: self.store, dispatchers=self.dispatchers, metrics=metrics,
            clock=clock, interval=0.05,
            declared=lambda flow, _at: (declared or {}).get(flow))
        for d in self.dispatchers:
            d.start()

    def count(self, name: str, **labels: str) -> float:
        return self.registry.get_sample_value(name, labels) or 0.0

    def flush(self) -> None:
        for d in self.dispatchers:
            assert d.flush(5)

    def close(self) -> None:
        self.evaluator.stop()


@pytest.fixture()
def harnesses() -> Iterator[list[Harness]]:
    made: list[Harness] = []
    yield made
    for h in made:
        h.close()


def burn(signals: InMemorySignals) -> None:
    """10% of the last minute's runs were slow: the latency SLO pages and tickets."""
    signals.record_slo(FLOW, "posted-in-2m", good=90, bad=10, at=T0 - MINUTE)


def test_every_transition_is_recorded_in_the_history(clock: Clock, store: AlertStore,
                                                     harnesses: list[Harness]) -> None:
    h = Harness(clock, store=store)
    harnesses.append(h)
    burn(h.signals)
    h.evaluator.evaluate()
    assert {a.label("severity") for a in h.evaluator.snapshot().alerts} == {"page", "ticket"}
    h.signals.clear()
    clock.advance(MINUTE)
    h.evaluator.evaluate()
    history = store.history(since=T0 - timedelta(days=1), flow=FLOW)
    moves = sorted((e.transition.labels, e.transition.from_status, e.transition.to_status)
                   for e in history)
    assert [(dict(labels)["severity"], old, new) for labels, old, new in moves] == [
        ("page", "firing", "resolved"), ("page", "inactive", "firing"),
        ("ticket", "firing", "resolved"), ("ticket", "inactive", "firing")]
    assert history[0].transition.at == T0 + MINUTE


def test_an_outcome_rule_waits_for_its_for_duration(clock: Clock, store: AlertStore,
                                                   harnesses: list[Harness]) -> None:
    h = Harness(clock, store=store)
    harnesses.append(h)
    for _ in range(10):
        h.signals.record_run(FLOW, "failure", T0 - MINUTE)
    statuses = []
    for _ in range(3):
        h.evaluator.evaluate()
        (alert,) = [a for a in h.evaluator.snapshot().alerts if a.label("rule")]
        statuses.append(alert.status)
        clock.advance(2 * MINUTE + timedelta(seconds=30))
    assert statuses == ["pending", "pending", "firing"]


def test_a_restarted_evaluator_restores_open_alerts_without_paging_again(
        clock: Clock, store: AlertStore, receiver: Receiver, harnesses: list[Harness]) -> None:
    first = Harness(clock, store=store, notifiers=[WebhookNotifier(receiver.url)])
    harnesses.append(first)
    burn(first.signals)
    first.evaluator.evaluate()
    first.flush()
    assert len(receiver.deliveries) == 1
    first.close()

    second = Harness(clock, store=store, notifiers=[WebhookNotifier(receiver.url)],
                     signals=first.signals)
    harnesses.append(second)
    clock.advance(MINUTE)
    evaluation = second.evaluator.evaluate()
    assert evaluation is not None and evaluation.transitions == ()
    assert len(evaluation.firing) == 2
    second.signals.clear()
    clock.advance(MINUTE)
    second.evaluator.evaluate()
    second.flush()
    assert [d.json()["status"] for d in receiver.deliveries] == ["firing", "resolved"]


def test_a_silence_holds_notifications_back_but_not_the_history(
        clock: Clock, store: AlertStore, receiver: Receiver, harnesses: list[Harness]) -> None:
    h = Harness(clock, store=store, notifiers=[WebhookNotifier(receiver.url)])
    harnesses.append(h)
    h.evaluator.add_silence(new_silence(
        id="quiet", matchers=[parse_matcher("flow", "=", FLOW),
                              parse_matcher("severity", "=", "page")],
        starts_at=T0, ends_at=T0 + timedelta(hours=1), now=T0, created_by="ops"))
    burn(h.signals)
    h.evaluator.evaluate()
    h.flush()
    alerts = [d.json()["alerts"] for d in receiver.deliveries]
    assert [[a["labels"]["severity"] for a in batch] for batch in alerts] == [["ticket"]]
    snapshot = h.evaluator.snapshot()
    page = next(a for a in snapshot.alerts if a.label("severity") == "page")
    assert snapshot.muted[page.fingerprint] == "silence:quiet"
    muted = {e.transition.fingerprint: e.muted for e in store.history(since=T0)}
    assert muted[page.fingerprint] == "silence:quiet"


def test_a_maintenance_window_holds_notifications_back(clock: Clock, receiver: Receiver,
                                                       harnesses: list[Harness]) -> None:
    clock.now = T0.replace(day=1, hour=2, minute=30)  # Sunday 02:30, NetSuite maintenance
    h = Harness(clock, notifiers=[WebhookNotifier(receiver.url)])
    harnesses.append(h)
    h.signals.record_slo(FLOW, "success-rate", good=90, bad=10, at=clock.now - MINUTE)
    h.evaluator.evaluate()
    h.flush()
    assert receiver.deliveries == []
    assert set(h.evaluator.snapshot().muted.values()) == {
        "maintenance: NetSuite weekly maintenance"}


def test_maintenance_declared_now_holds_notifications_back(clock: Clock, receiver: Receiver,
                                                          harnesses: list[Harness]) -> None:
    h = Harness(clock, notifiers=[WebhookNotifier(receiver.url)],
                declared={FLOW: "ERP down (declared by oncall)"})
    harnesses.append(h)
    burn(h.signals)
    h.evaluator.evaluate()
    h.flush()
    assert receiver.deliveries == []
    assert set(h.evaluator.snapshot().muted.values()) == {
        "maintenance: ERP down (declared by oncall)"}
    assert any(a.status == "firing" for a in h.evaluator.snapshot().alerts)


def test_history_writes_wait_for_the_warehouse(clock: Clock, store: AlertStore,
                                               harnesses: list[Harness]) -> None:
    h = Harness(clock)
    harnesses.append(h)
    burn(h.signals)
    h.evaluator.evaluate()
    h.store = store
    clock.advance(MINUTE)
    h.evaluator.evaluate()
    assert len(store.history(since=T0 - MINUTE)) == 2


def test_missing_data_neither_fires_nor_resolves(clock: Clock, harnesses: list[Harness]) -> None:
    h = Harness(clock)
    harnesses.append(h)
    burn(h.signals)
    h.evaluator.evaluate()
    h.signals.unavailable.add(FLOW)
    clock.advance(MINUTE)
    evaluation = h.evaluator.evaluate()
    assert evaluation is not None and evaluation.transitions == ()
    assert len(evaluation.firing) == 2
    assert h.count("flowscope_alert_evaluations_total", result="partial") == 1
    assert h.count("flowscope_alert_rule_failures_total", flow=FLOW) == 6


def test_without_signals_the_evaluation_is_skipped(clock: Clock,
                                                   harnesses: list[Harness]) -> None:
    h = Harness(clock)
    harnesses.append(h)
    h.ready = False
    assert h.evaluator.evaluate() is None
    assert h.count("flowscope_alert_evaluations_total", result="skipped") == 1


def test_a_dead_receiver_never_slows_evaluation(clock: Clock, harnesses: list[Harness]) -> None:
    h = Harness(clock, notifiers=[WebhookNotifier("http://127.0.0.1:9/hook")])
    harnesses.append(h)
    burn(h.signals)
    started = time.perf_counter()
    for _ in range(3):
        h.evaluator.evaluate()
        clock.advance(MINUTE)
    assert time.perf_counter() - started < 1.0
    h.flush()
    assert h.count("flowscope_alert_notifications_total", channel="webhook",
                   result="failed") >= 2


def test_the_thread_evaluates_on_its_interval(clock: Clock, harnesses: list[Harness]) -> None:
    h = Harness(clock)
    harnesses.append(h)
    burn(h.signals)
    h.evaluator.start()
    deadline = time.monotonic() + 5
    while h.count("flowscope_alert_evaluations_total", result="ok") < 3:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    h.evaluator.stop()
    assert len(h.evaluator.snapshot().alerts) == 2


def test_a_stored_silence_that_is_no_longer_accepted_is_disabled_at_start_and_logged(
        clock: Clock, store: AlertStore, harnesses: list[Harness],
        caplog: pytest.LogCaptureFixture) -> None:
    # as an older version could store it: a back-reference, which RE2 refuses
    stale = Silence(id="stale", matchers=(LabelMatcher("flow", "=~", r"(order)\1"),),
                    starts_at=T0, ends_at=T0 + timedelta(hours=1), created_at=T0)
    store.add_silence(stale)
    good = new_silence(id="good", matchers=[parse_matcher("severity", "=", "page")],
                       starts_at=T0, ends_at=T0 + timedelta(hours=1), now=T0)
    store.add_silence(good)
    h = Harness(clock, store=store)
    harnesses.append(h)
    burn(h.signals)
    with caplog.at_level("WARNING", logger="flowscope.alerts"):
        assert h.evaluator.evaluate() is not None
    assert "disabled stored silence stale" in caplog.text and "RE2" in caplog.text
    assert [s.id for s in h.evaluator.silences()] == ["good"]
    assert [s.id for s in store.silences(ended_after=T0)] == ["good"]
    assert h.evaluator.evaluate() is not None
