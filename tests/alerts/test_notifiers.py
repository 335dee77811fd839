"""Delivery: a signed webhook with retries, failures counted, evaluation never blocked."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from prometheus_client import CollectorRegistry

from alerts.dispatch import SIGNATURE_HEADER, verify_signature
from alerts.metrics import AlertMetrics
from alerts.model import Notification, labels_of
from alerts.notifiers import AlertmanagerNotifier, Dispatcher, WebhookNotifier, default_backoff
from tests.alerts.conftest import T0, Receiver

SECRET = b"webhook-secret-123"
NOTE = Notification(fingerprint="fp1",
                    labels=labels_of({"alertname": "FlowNoSuccess", "flow": "order-to-cash",
                                      "severity": "page", "owner": "payments-team"}),
                    annotations=labels_of({"summary": "no run succeeded"}), status="firing",
                    starts_at=T0, ends_at=T0 + timedelta(minutes=4))


def sample(registry: CollectorRegistry, name: str, **labels: str) -> float:
    return registry.get_sample_value(name, labels) or 0.0


def dispatcher(notifier: WebhookNotifier | AlertmanagerNotifier, registry: CollectorRegistry,
               **kwargs: int) -> Dispatcher:
    return Dispatcher(notifier, AlertMetrics(registry), backoff=lambda attempt: 0.01, **kwargs)


def test_a_webhook_delivery_is_signed_json(receiver: Receiver) -> None:
    registry = CollectorRegistry()
    d = dispatcher(WebhookNotifier(receiver.url + "/hook", secret=SECRET), registry)
    d.start()
    try:
        d.submit([NOTE], T0)
        got = receiver.wait_for(lambda _: True)
    finally:
        d.stop()
    assert got.headers["content-type"] == "application/json"
    assert verify_signature(SECRET, got.body, got.headers[SIGNATURE_HEADER.lower()])
    body = got.json()
    assert body["status"] == "firing"
    assert body["alerts"][0]["labels"]["flow"] == "order-to-cash"
    assert sample(registry, "flowscope_alert_notifications_total", channel="webhook",
                  result="sent") == 1


def test_a_failing_webhook_is_retried_with_backoff(receiver: Receiver) -> None:
    registry = CollectorRegistry()
    receiver.fail_next = 2
    d = dispatcher(WebhookNotifier(receiver.url), registry, attempts=4)
    d.start()
    try:
        d.submit([NOTE], T0)
        receiver.wait_for(lambda _: True)
        assert d.flush(5)
    finally:
        d.stop()
    assert sample(registry, "flowscope_alert_delivery_attempts_total", channel="webhook",
                  result="error") == 2
    assert sample(registry, "flowscope_alert_delivery_attempts_total", channel="webhook",
                  result="ok") == 1
    assert d.take_failed() == set()


def test_a_delivery_that_keeps_failing_is_counted_and_reported_back(receiver: Receiver) -> None:
    registry = CollectorRegistry()
    receiver.fail_next = 100
    d = dispatcher(WebhookNotifier(receiver.url), registry, attempts=3)
    d.start()
    try:
        d.submit([NOTE], T0)
        assert d.flush(5)
    finally:
        d.stop()
    assert sample(registry, "flowscope_alert_notifications_total", channel="webhook",
                  result="failed") == 1
    assert d.take_failed() == {"fp1"}
    assert d.take_failed() == set()


def test_an_unreachable_receiver_is_a_counted_failure_not_a_crash() -> None:
    registry = CollectorRegistry()
    d = dispatcher(AlertmanagerNotifier("http://127.0.0.1:9"), registry, attempts=2)
    d.start()
    try:
        d.submit([NOTE], T0)
        assert d.flush(5)
    finally:
        d.stop()
    assert sample(registry, "flowscope_alert_notifications_total", channel="alertmanager",
                  result="failed") == 1


def test_submitting_never_blocks_and_drops_the_oldest_past_the_bound(receiver: Receiver) -> None:
    registry = CollectorRegistry()
    d = dispatcher(WebhookNotifier(receiver.url), registry, max_pending=2)
    started = time.perf_counter()
    for _ in range(5):  # not started: nothing is delivered, the queue only fills
        d.submit([NOTE], T0)
    assert time.perf_counter() - started < 0.1
    assert sample(registry, "flowscope_alert_notifications_total", channel="webhook",
                  result="dropped") == 3


@pytest.mark.parametrize(
    ("url", "endpoint"),
    [
        pytest.param("http://am:9093", "http://am:9093/api/v2/alerts",
                     id="an alertmanager base url gets the v2 alerts path"),
        pytest.param("http://am:9093/prefix/api/v2/alerts/", "http://am:9093/prefix/api/v2/alerts",
                     id="a full alerts endpoint is kept"),
    ],
)
def test_the_alertmanager_endpoint(url: str, endpoint: str) -> None:
    assert AlertmanagerNotifier(url).url == endpoint


def test_the_webhook_secret_never_shows() -> None:
    notifier = WebhookNotifier("http://hooks.example.com/x", secret=SECRET)
    assert SECRET.decode() not in repr(notifier)
    assert SECRET.decode() not in str(vars(notifier).get("url"))


def test_the_default_backoff_doubles_up_to_ten_seconds() -> None:
    assert [default_backoff(n) for n in (1, 2, 3, 4, 10)] == [0.5, 1.0, 2.0, 4.0, 10.0]
