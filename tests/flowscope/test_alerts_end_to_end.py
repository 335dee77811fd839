"""End to end: failing runs sent to a real server page on-call through every channel.

A real ``flowscope serve`` (alert evaluation every second) gets 100 runs of ``order-to-cash``
as CloudEvents through the ingest API, all stamped a few minutes ago: 100 starts, 90
successes and 10 failures. The flow's SLO ``success-rate`` (99.9 % over 30 days, tiers of
``google-30d``) then burns its budget at 0.10 / 0.001 = 100 times the sustainable rate in every
window, above the page tier's factor 14.4; the outcome rule "more than 3 % of runs failed in
the last hour" holds too (10 %). The test checks that the same alert, with the same labels and
numbers, is listed by ``GET /api/v1/alerts``, reaches a receiver through a real Alertmanager,
arrives signed at the generic webhook, shows in ``/metrics`` and agrees with
``GET /api/v1/flows/order-to-cash/slos``; that a silence created over HTTP is listed and
mutes the ticket alert; and, once 1,900 good runs dilute the failures to 0.5 % (a burn rate of
5, under both page tiers' factors 14.4 and 6), that the page resolves on every channel.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.alerts.conftest import (
    Alertmanager,
    Delivery,
    Receiver,
    running_alertmanager,
    running_receiver,
)
from tests.flowscope.conftest import Server
from tests.flowscope.orders import eventually, order_event

CATALOG = """\
apiVersion: flowscope/v1
flows:
  - name: order-to-cash
    owner: payments-team
    correlation_key: order.id
    start:   {event: OrderPlaced}
    success: {event: InvoicePosted}
    failure: {events: [PaymentFailed]}
    slos:
      - {name: success-rate, objective: 99.9, period: 30d}
    alerting:
      windows: google-30d
      rules:
        - name: invoices-failing
          failure_ratio: {above: 3, window: 1h, min_runs: 10}
          severity: page
"""

SECRET = "e2e-webhook-secret"
FLOW, SLO = "order-to-cash", "success-rate"
RUNS, FAILED = 100, 10
ERROR_RATIO = FAILED / RUNS
BURN_RATE = ERROR_RATIO / 0.001
GOOD_LATER = 1900
PAGE = {"alertname": "FlowSLOBudgetBurn", "flow": FLOW, "slo": SLO, "severity": "page",
        "owner": "payments-team"}
WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")


def event(order: str, type_: str, at: datetime) -> dict[str, Any]:
    return order_event(order, type_, at, source="/e2e/alerts")


def runs(now: datetime, count: int, failed: int) -> list[dict[str, Any]]:
    """``count`` runs started 3 min before ``now``; ``failed`` of them failed 2 min before it,
    the others succeeded then."""
    found = []
    for i in range(count):
        order = f"run-{i}-{uuid.uuid4().hex[:6]}"
        found.append(event(order, "OrderPlaced", now - timedelta(minutes=3)))
        outcome = "PaymentFailed" if i < failed else "InvoicePosted"
        found.append(event(order, outcome, now - timedelta(minutes=2)))
    return found


def send(http: httpx.Client, events: list[dict[str, Any]]) -> None:
    resp = http.post("/api/v1/events", content=json.dumps(events),
                     headers={"content-type": "application/cloudevents-batch+json"})
    assert resp.status_code == 200 and resp.json()["accepted"] == len(events), resp.text


def has_labels(labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in PAGE.items())


@dataclass
class Stack:
    """The server and the peers it notifies."""

    server: Server
    alertmanager: Alertmanager
    webhook: Receiver
    http: httpx.Client


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    root = tmp_path_factory.mktemp("alerts-e2e")
    catalog = root / "catalog.yaml"
    catalog.write_text(CATALOG)
    (root / "am").mkdir()
    with running_alertmanager(root / "am") as am, running_receiver() as webhook:
        srv = Server(root / "data", catalog=catalog, env={
            "FLOWSCOPE_ALERTMANAGER_URL": am.url,
            "FLOWSCOPE_WEBHOOK_URL": f"{webhook.url}/flowscope",
            "FLOWSCOPE_WEBHOOK_SECRET": SECRET,
            "FLOWSCOPE_EVAL_INTERVAL": "1",
        })
        srv.start()
        try:
            with httpx.Client(base_url=srv.url, timeout=30) as http:
                send(http, runs(datetime.now(UTC), RUNS, FAILED))
                srv.wait_drained()
                yield Stack(srv, am, webhook, http)
        finally:
            srv.stop()


@pytest.fixture(scope="module")
def page(stack: Stack) -> dict[str, Any]:
    """The firing page alert as ``GET /api/v1/alerts`` lists it (waits for an evaluation)."""
    def read() -> list[dict[str, Any]]:
        resp = stack.http.get("/api/v1/alerts", params={"flow": FLOW})
        assert resp.status_code == 200, resp.text
        return [a for a in resp.json()["active"]
                if a["status"] == "firing" and has_labels(a["labels"])]
    (found,) = eventually(read, bool)
    return dict(found)


def test_the_api_lists_a_firing_page_with_business_labels_and_numbers(
        page: dict[str, Any]) -> None:
    assert page["labels"] == PAGE
    assert page["value"] == pytest.approx(ERROR_RATIO)
    assert page["muted"] is None
    summary = page["annotations"]["summary"]
    assert summary.startswith(f"10.0 % of {FLOW} runs failed in the last hour;"), summary
    assert re.search(r"\d", summary.split(";", 1)[1]), summary


def test_the_firing_transition_is_in_the_history(stack: Stack, page: dict[str, Any]) -> None:
    history = stack.http.get("/api/v1/alerts", params={"flow": FLOW}).json()["history"]
    moves = [(h["from"], h["to"]) for h in history if h["fingerprint"] == page["fingerprint"]]
    assert ("inactive", "firing") in moves


def test_the_outcome_rule_fires_alongside(stack: Stack, page: dict[str, Any]) -> None:
    active = stack.http.get("/api/v1/alerts", params={"flow": FLOW}).json()["active"]
    (rule,) = [a for a in active if a["labels"]["alertname"] == "FlowFailureRatio"]
    assert rule["status"] == "firing"
    assert rule["labels"] == {"alertname": "FlowFailureRatio", "flow": FLOW,
                              "rule": "invoices-failing", "severity": "page",
                              "owner": "payments-team"}
    assert rule["value"] == pytest.approx(ERROR_RATIO)
    assert "10" in rule["annotations"]["summary"]


def test_alertmanager_delivers_the_page_to_its_receiver(
        stack: Stack, page: dict[str, Any]) -> None:
    def is_page(d: Delivery) -> bool:
        body = d.json()
        return d.path == "/alertmanager" and body["status"] == "firing" and any(
            has_labels(a["labels"]) for a in body["alerts"])
    delivery = stack.alertmanager.receiver.wait_for(is_page, timeout=15)
    (alert,) = [a for a in delivery.json()["alerts"] if has_labels(a["labels"])]
    assert alert["labels"] == PAGE
    assert alert["annotations"]["summary"] == page["annotations"]["summary"]


def test_the_webhook_arrives_with_a_valid_hmac_signature(
        stack: Stack, page: dict[str, Any]) -> None:
    def is_page(d: Delivery) -> bool:
        return d.path == "/flowscope" and any(
            has_labels(a["labels"]) for a in d.json()["alerts"])
    delivery = stack.webhook.wait_for(is_page, timeout=15)
    expected = "sha256=" + hmac.new(SECRET.encode(), delivery.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(delivery.headers["x-flowscope-signature"], expected)
    (alert,) = [a for a in delivery.json()["alerts"] if has_labels(a["labels"])]
    assert alert["status"] == "firing"
    assert alert["fingerprint"] == page["fingerprint"]


def metric(text: str, name: str, **labels: str) -> float | None:
    """The value of the sample of ``name`` whose labels include ``labels``."""
    for line in text.splitlines():
        found = re.fullmatch(rf"{name}\{{(.*)\}} (\S+)", line)
        if found and all(f'{k}="{v}"' in found.group(1) for k, v in labels.items()):
            return float(found.group(2))
    return None


def test_metrics_show_the_burn_rates_and_the_firing_alert(
        stack: Stack, page: dict[str, Any]) -> None:
    text = stack.http.get("/metrics").text
    for window in WINDOWS:
        assert metric(text, "flowscope_slo_burn_rate", flow=FLOW, slo=SLO,
                      window=window) == pytest.approx(BURN_RATE), window
    assert metric(text, "flowscope_alert_firing", **PAGE) == 1
    assert metric(text, "flowscope_slo_events_total", flow=FLOW, slo=SLO,
                  result="bad") == FAILED
    assert metric(text, "flowscope_slo_objective_ratio", flow=FLOW, slo=SLO) == 0.999


def test_the_slo_route_agrees_with_the_alert(stack: Stack, page: dict[str, Any]) -> None:
    resp = stack.http.get(f"/api/v1/flows/{FLOW}/slos")
    assert resp.status_code == 200, resp.text
    (slo,) = [s for s in resp.json()["slos"] if s["name"] == SLO]
    for window in WINDOWS:
        assert slo["windows"][window]["burn_rate"] == pytest.approx(BURN_RATE), window
        assert slo["windows"][window]["error_ratio"] == pytest.approx(page["value"]), window
    pages = [a for a in slo["alerts"] if a["severity"] == "page"]
    assert pages and all(a["firing"] for a in pages)


def test_a_silence_created_over_http_is_listed_and_mutes_the_ticket(
        stack: Stack, page: dict[str, Any]) -> None:
    resp = stack.http.post("/api/v1/silences", json={
        "matchers": [{"name": "flow", "value": FLOW}, {"name": "severity", "value": "ticket"}],
        "duration": "1h", "created_by": "e2e", "comment": "known incident"})
    assert resp.status_code == 201, resp.text
    created = resp.json()
    listed = stack.http.get("/api/v1/silences").json()["silences"]
    assert [s["id"] for s in listed if s["id"] == created["id"]] == [created["id"]]
    assert created["state"] == "active"

    def muting() -> dict[str, str | None]:
        active = stack.http.get("/api/v1/alerts", params={"flow": FLOW}).json()["active"]
        return {a["labels"]["severity"] + "/" + a["labels"]["alertname"]: a["muted"]
                for a in active}
    found = eventually(muting, lambda m: m.get("ticket/FlowSLOBudgetBurn") is not None)
    assert found["ticket/FlowSLOBudgetBurn"] == f"silence:{created['id']}"
    assert found["page/FlowSLOBudgetBurn"] is None


def test_the_page_resolves_on_every_channel_once_good_runs_dilute_the_failures(
        stack: Stack, page: dict[str, Any]) -> None:
    send(stack.http, runs(datetime.now(UTC), GOOD_LATER, 0))
    stack.server.wait_drained()

    def resolved() -> list[dict[str, Any]]:
        body = stack.http.get("/api/v1/alerts", params={"flow": FLOW}).json()
        return [a for a in body["resolved"] if a["fingerprint"] == page["fingerprint"]]
    (gone,) = eventually(resolved, bool)
    assert gone["labels"] == PAGE and gone["resolved_at"] is not None

    def is_resolved_page(path: str) -> Callable[[Delivery], bool]:
        def matches(d: Delivery) -> bool:
            return d.path == path and any(
                a["status"] == "resolved" and has_labels(a["labels"])
                for a in d.json()["alerts"])
        return matches
    stack.alertmanager.receiver.wait_for(is_resolved_page("/alertmanager"), timeout=15)
    delivery = stack.webhook.wait_for(is_resolved_page("/flowscope"), timeout=15)
    expected = "sha256=" + hmac.new(SECRET.encode(), delivery.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(delivery.headers["x-flowscope-signature"], expected)
    text = stack.http.get("/metrics").text
    assert metric(text, "flowscope_alert_firing", **PAGE) is None
    assert metric(text, "flowscope_slo_burn_rate", flow=FLOW, slo=SLO,
                  window="1h") == pytest.approx(FAILED / (RUNS + GOOD_LATER) / 0.001)
