"""The operator's console driven as an operator would, against a real server and real peers.

A real HTTP receiver (a threading HTTP server, :func:`tests.alerts.conftest.running_receiver`)
stands for the automation: every replay and pause call it got is counted and its HMAC signature
checked. The server runs the catalog
below, with ``read``, ``operate`` and ``admin`` keys; data arrives as CloudEvents.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from alerts.dispatch import SIGNATURE_HEADER, verify_signature
from flowscope.access import digest, new_key
from flowscope.cli import app
from tests.alerts.conftest import Receiver, running_receiver
from tests.flowscope.conftest import Server

READ, OPERATE, ADMIN = new_key("read"), new_key("operate"), new_key("admin")
REPLAY_SECRET, PAUSE_SECRET = "replay-secret-7f3a", "pause-secret-91bd"


@pytest.fixture(scope="module")
def automation() -> Iterator[Receiver]:
    """The automation's replay and pause endpoints: a real receiver answering 202."""
    with running_receiver() as found:
        found.status = 202
        yield found


def calls(automation: Receiver, path: str) -> list[dict[str, Any]]:
    """The bodies the automation got at ``path``, each checked against its signature."""
    secret = (REPLAY_SECRET if path == "/replay" else PAUSE_SECRET).encode()
    found = []
    for delivery in automation.to(path):
        assert verify_signature(secret, delivery.body,
                                delivery.headers[SIGNATURE_HEADER.lower()]), delivery.body
        found.append({**delivery.json(), "_headers": delivery.headers})
    return found


CATALOG = """\
apiVersion: flowscope/v1
flows:
  - name: order-to-cash
    owner: payments-team
    correlation_key: order.id
    search_keys: [customer.id]
    start:   {{event: OrderPlaced}}
    success: {{event: InvoicePosted}}
    failure: {{events: [PaymentFailed], dead_letter: true}}
    steps:
      - {{name: checkout, service: storefront}}
      - {{name: erp-sync, service: erp-sync, partner: netsuite}}
    slos:
      - {{name: success-rate, objective: 99, period: 30d}}
    replay: {{url: "{url}/replay", secret_env: OPS_REPLAY_SECRET, timeout: 5s}}
    pause: {{url: "{url}/pause", secret_env: OPS_PAUSE_SECRET}}
  - name: refund-to-ledger
    correlation_key: refund.id
    start:   {{event: RefundRequested}}
    success: {{event: RefundPosted}}
    failure: {{dead_letter: true}}
    replay: {{url: "{url}/replay", secret_env: OPS_REPLAY_SECRET, max_per_minute: 2}}
"""


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory, automation: Receiver
            ) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("console")
    catalog = home / "catalog.yaml"
    catalog.write_text(CATALOG.format(url=automation.url))
    keys = ",".join(f"{name}={scope}:{digest(key)}" for name, scope, key in (
        ("dashboards", "read", READ), ("oncall", "operate", OPERATE), ("boss", "admin", ADMIN)))
    env = {"FLOWSCOPE_API_KEYS": keys, "OPS_REPLAY_SECRET": REPLAY_SECRET,
           "OPS_PAUSE_SECRET": PAUSE_SECRET}
    server = Server(home / "data", catalog=catalog, env=env).start()
    try:
        yield server
    finally:
        server.stop()


def as_(key: str, **extra: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}", **extra}


def send(server: Server, *events: dict[str, Any]) -> None:
    now = datetime.now(UTC)
    batch = [{"specversion": "1.0", "id": uuid.uuid4().hex, "source": "/erp",
              "time": (now - timedelta(seconds=30)).isoformat(), **e} for e in events]
    sent = httpx.post(f"{server.url}/api/v1/events", json=batch, timeout=30,
                      headers=as_(ADMIN, **{"content-type": "application/cloudevents-batch+json"}))
    assert sent.status_code == 200, sent.text
    server.wait_drained(headers=as_(READ))


def order(order_id: str, type_: str, **extra: Any) -> dict[str, Any]:
    return {"type": type_, "orderid": order_id, **extra}


def dead_lettered(order_id: str, customer: str) -> list[dict[str, Any]]:
    return [order(order_id, "OrderPlaced", customerid=customer),
            order(order_id, "OrderDeadLettered", data={"reason": "invalid tax code"},
                  servicename="erp-sync")]


def waiting(server: Server, flow: str = "order-to-cash", **params: str) -> list[dict[str, Any]]:
    got = httpx.get(f"{server.url}/api/v1/flows/{flow}/dead-letters", params=params,
                    headers=as_(READ), timeout=30)
    assert got.status_code == 200, got.text
    return list(got.json()["dead_letters"])


def replay(server: Server, order_id: str, key: str, token: str = OPERATE,
           flow: str = "order-to-cash") -> httpx.Response:
    return httpx.post(f"{server.url}/api/v1/flows/{flow}/runs/{order_id}/replay",
                      headers=as_(token, **{"Idempotency-Key": key}), timeout=30)


def audit(server: Server, action: str) -> list[dict[str, Any]]:
    got = httpx.get(f"{server.url}/api/v1/audit", params={"limit": "1000"}, headers=as_(ADMIN),
                    timeout=30)
    assert got.status_code == 200, got.text
    return [r for r in got.json()["items"] if r["action"] == action]


def test_a_search_by_customer_lists_their_runs_newest_first_with_state(console: Server) -> None:
    customer = f"C-{uuid.uuid4().hex[:6]}"
    send(console, order("S-1", "OrderPlaced", customerid=customer),
         order("S-1", "InvoicePosted"),
         order("S-2", "OrderPlaced", data={"customer": {"id": customer}}),
         order("S-2", "PaymentFailed"))
    got = httpx.get(f"{console.url}/api/v1/search", headers=as_(READ), timeout=30,
                    params={"key": "customer.id", "value": customer})
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["total"] == 2
    assert {(r["correlation_id"], r["state"]) for r in body["runs"]} == {
        ("S-1", "succeeded"), ("S-2", "failed")}
    assert all(r["flow"] == "order-to-cash" and r["started_at"] for r in body["runs"])


def test_a_search_by_a_key_no_flow_declares_is_a_400_naming_key(console: Server) -> None:
    got = httpx.get(f"{console.url}/api/v1/search", headers=as_(READ), timeout=30,
                    params={"key": "invoice.number", "value": "INV-9"})
    assert got.status_code == 400
    assert got.json()["parameter"] == "key"
    assert "search keys: customer.id" in got.json()["detail"]


def test_the_cli_traces_by_a_search_key(console: Server) -> None:
    customer = f"C-{uuid.uuid4().hex[:6]}"
    send(console, order("K-1", "OrderPlaced", customerid=customer))
    result = CliRunner().invoke(app, ["trace", "--key", "customer.id", customer, "--url",
                                      console.url, "--json"],
                                env={"FLOWSCOPE_API_KEY": READ})
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert [r["correlation_id"] for r in body["runs"]] == ["K-1"]
    missing = CliRunner().invoke(app, ["trace", "--key", "customer.id", "C-nobody", "--url",
                                       console.url], env={"FLOWSCOPE_API_KEY": READ})
    assert missing.exit_code == 2
    assert "no run carries customer.id = 'C-nobody'" in missing.output


def test_the_queue_lists_a_dead_letter_with_its_failing_step_error_and_keys(
        console: Server) -> None:
    send(console, *dead_lettered("Q-1", "C-queue"))
    found = {d["run"]: d for d in waiting(console)}
    assert "Q-1" in found
    letter = found["Q-1"]
    assert letter["failing_step"] == {"step": "erp-sync", "service": "erp-sync",
                                      "item": "OrderDeadLettered", "error": "invalid tax code"}
    assert letter["search_keys"] == {"customer.id": ["C-queue"]}
    assert letter["waited_seconds"] >= 25 and letter["replays"] == []


def test_a_read_key_cannot_replay_and_the_refusal_is_audited(console: Server,
                                                             automation: Receiver) -> None:
    send(console, *dead_lettered("R-1", "C-read"))
    before = len(calls(automation, "/replay"))
    refused = replay(console, "R-1", uuid.uuid4().hex, token=READ)
    assert refused.status_code == 403
    assert "needs 'operate'" in refused.json()["detail"]
    assert len(calls(automation, "/replay")) == before
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        denied = [r for r in audit(console, "api.denied") if r["actor"] == "dashboards"
                  and any("R-1/replay" in p for p in r["detail"].get("paths", []))]
        if denied:
            break
        time.sleep(1)
    assert denied, "the refused replay is not in the audit trail"


def test_a_replay_is_signed_sent_once_per_key_and_the_run_leaves_the_queue_on_success(
        console: Server, automation: Receiver) -> None:
    send(console, *dead_lettered("P-1", "C-replay"))
    key = uuid.uuid4().hex
    first = replay(console, "P-1", key)
    assert first.status_code == 200, first.text
    assert first.json()["result"] == "accepted" and first.json()["status"] == 202
    second = replay(console, "P-1", key)
    assert second.status_code == 200
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    sent_calls = [c for c in calls(automation, "/replay") if c["run"] == "P-1"]
    assert len(sent_calls) == 1, "a double POST with one Idempotency-Key reached it twice"
    sent = sent_calls[0]
    assert sent["_headers"]["idempotency-key"] == key
    assert sent["flow"] == "order-to-cash" and sent["correlation_key"] == "order.id"
    assert sent["failing_step"]["step"] == "erp-sync"
    assert sent["failing_step"]["error"] == "invalid tax code"
    assert sent["search_keys"] == {"customer.id": ["C-replay"]}
    assert sent["requested_by"] == "oncall" and sent["attempt"] == 1

    listed = {d["run"]: d for d in waiting(console)}
    assert [r["result"] for r in listed["P-1"]["replays"]] == ["accepted"]
    send(console, order("P-1", "InvoicePosted"))
    assert "P-1" not in {d["run"] for d in waiting(console)}
    replayed = {d["run"]: d for d in waiting(console, state="replayed")}
    assert replayed["P-1"]["left_at"] is not None
    searched = httpx.get(f"{console.url}/api/v1/search", headers=as_(READ), timeout=30,
                         params={"key": "customer.id", "value": "C-replay"}).json()
    assert [r["state"] for r in searched["runs"]] == ["replayed"]

    sent_records = [r for r in audit(console, "replay.sent") if r["target"] ==
                    "order-to-cash/P-1"]
    assert [(r["actor"], r["detail"]["result"], r["detail"]["status"]) for r in sent_records] == [
        ("oncall", "accepted", 202)]
    assert [r for r in audit(console, "replay.repeated") if r["detail"]["idempotency_key"] == key]


def test_a_failed_replay_keeps_the_run_waiting_with_the_attempt_recorded(
        console: Server, automation: Receiver) -> None:
    send(console, *dead_lettered("F-1", "C-fail"))
    with automation.cond:
        automation.fail_next, automation.answer = 1, b"tax code still invalid"
    try:
        failed = replay(console, "F-1", uuid.uuid4().hex)
    finally:
        automation.answer = b""
    assert failed.status_code == 502
    assert failed.json()["result"] == "failed"
    assert "answered 500: tax code still invalid" in failed.json()["error"]
    listed = {d["run"]: d for d in waiting(console)}
    assert [(r["result"], r["status"]) for r in listed["F-1"]["replays"]] == [("failed", 500)]


def test_a_succeeded_run_or_an_unknown_one_is_not_replayed(console: Server) -> None:
    send(console, order("OK-1", "OrderPlaced"), order("OK-1", "InvoicePosted"))
    assert replay(console, "OK-1", uuid.uuid4().hex).status_code == 409
    assert replay(console, "nobody", uuid.uuid4().hex).status_code == 404
    missing_key = httpx.post(f"{console.url}/api/v1/flows/order-to-cash/runs/OK-1/replay",
                             headers=as_(OPERATE), timeout=30)
    assert missing_key.status_code == 400
    assert missing_key.json()["parameter"] == "Idempotency-Key"


def refund(refund_id: str) -> list[dict[str, Any]]:
    return [{"type": "RefundRequested", "refundid": refund_id},
            {"type": "refund.dead-letter", "refundid": refund_id}]


def test_replays_of_a_flow_are_rate_limited_and_bulk_answers_per_run(
        console: Server, automation: Receiver) -> None:
    send(console, *refund("B-1"), *refund("B-2"), *refund("B-3"))
    bulk = httpx.post(f"{console.url}/api/v1/flows/refund-to-ledger/dead-letters/replay",
                      json={"limit": 3}, timeout=30,
                      headers=as_(OPERATE, **{"Idempotency-Key": uuid.uuid4().hex}))
    assert bulk.status_code == 200, bulk.text
    results = bulk.json()["results"]
    assert [r["run"] for r in results] == ["B-1", "B-2", "B-3"]
    assert [r["result"] for r in results] == ["accepted", "accepted", "rate_limited"]
    assert results[2]["retry_after"] >= 1
    limited = replay(console, "B-3", uuid.uuid4().hex, flow="refund-to-ledger")
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert len([c for c in calls(automation, "/replay")
                if c["flow"] == "refund-to-ledger"]) == 2
    too_many = httpx.post(f"{console.url}/api/v1/flows/refund-to-ledger/dead-letters/replay",
                          json={"limit": 101}, timeout=30,
                          headers=as_(OPERATE, **{"Idempotency-Key": uuid.uuid4().hex}))
    assert too_many.status_code == 400 and too_many.json()["parameter"] == "body.limit"


def slo_counts(server: Server) -> tuple[int, int]:
    got = httpx.get(f"{server.url}/api/v1/flows/order-to-cash/slos", headers=as_(READ),
                    timeout=30)
    assert got.status_code == 200, got.text
    slo = got.json()["slos"][0]
    return slo["good"], slo["good"] + slo["bad"]


def test_maintenance_declared_now_pauses_the_flow_and_is_left_out_of_slis(
        console: Server, automation: Receiver) -> None:
    good, valid = slo_counts(console)
    declared = httpx.post(f"{console.url}/api/v1/flows/order-to-cash/maintenance",
                          json={"duration": "2h", "reason": "ERP down"}, headers=as_(OPERATE),
                          timeout=30)
    assert declared.status_code == 201, declared.text
    window = declared.json()
    assert window["active"] and window["created_by"] == "oncall"
    assert window["pause"] == "accepted (202)"
    pauses = [c for c in calls(automation, "/pause") if c["maintenance_id"] == window["id"]]
    assert [c["action"] for c in pauses] == ["pause"]
    assert pauses[0]["reason"] == "ERP down"

    now = datetime.now(UTC)
    inside = [order("M-1", "OrderPlaced", time=now.isoformat()),
              order("M-1", "PaymentFailed", time=now.isoformat())]
    sent = httpx.post(f"{console.url}/api/v1/events", json=[
        {"specversion": "1.0", "id": uuid.uuid4().hex, "source": "/erp", **e} for e in inside],
        headers=as_(ADMIN, **{"content-type": "application/cloudevents-batch+json"}), timeout=30)
    assert sent.status_code == 200
    console.wait_drained(headers=as_(READ))
    assert slo_counts(console) == (good, valid), "a run failing in maintenance was counted"
    listed = httpx.get(f"{console.url}/api/v1/maintenance", headers=as_(READ), timeout=30)
    assert [w["id"] for w in listed.json()["windows"] if w["active"]] == [window["id"]]
    assert httpx.post(f"{console.url}/api/v1/flows/order-to-cash/maintenance",
                      json={"duration": "2h", "reason": "x"}, headers=as_(READ),
                      timeout=30).status_code == 403

    ended = httpx.delete(f"{console.url}/api/v1/flows/order-to-cash/maintenance/{window['id']}",
                         headers=as_(OPERATE), timeout=30)
    assert ended.status_code == 200, ended.text
    assert not ended.json()["active"] and ended.json()["resume"] == "accepted (202)"
    assert [c["action"] for c in calls(automation, "/pause")
            if c["maintenance_id"] == window["id"]] == ["pause", "resume"]
    send(console, order("M-2", "OrderPlaced"), order("M-2", "PaymentFailed"))
    assert slo_counts(console) == (good, valid + 1)
    assert [r["target"] for r in audit(console, "maintenance.declare")] == [
        f"order-to-cash/{window['id']}"]


def test_metrics_count_runs_and_dead_letters(console: Server) -> None:
    send(console, *dead_lettered("G-1", "C-gauge"))
    text = httpx.get(f"{console.url}/metrics", headers=as_(READ), timeout=30).text
    lines = {line.split(" ")[0]: float(line.split(" ")[1]) for line in text.splitlines()
             if line.startswith("flowscope_") and not line.startswith("#")}
    assert lines['flowscope_dead_letters_waiting{flow="order-to-cash"}'] >= 1
    assert lines['flowscope_dead_letter_oldest_age_seconds{flow="order-to-cash"}'] > 0
    assert lines['flowscope_flow_runs_total{flow="order-to-cash",outcome="started"}'] >= 1
    assert 'flowscope_flow_maintenance{flow="order-to-cash"}' in lines


def test_the_same_key_never_replays_twice_across_a_restart(console: Server,
                                                           automation: Receiver) -> None:
    send(console, *dead_lettered("X-1", "C-restart"))
    key = uuid.uuid4().hex
    first = replay(console, "X-1", key)
    assert first.status_code == 200
    console.stop()
    console.start()
    again = replay(console, "X-1", key)
    assert again.status_code == 200 and again.json() == first.json()
    assert len([c for c in calls(automation, "/replay") if c["run"] == "X-1"]) == 1
    other = replay(console, "Q-1", key)
    assert other.status_code == 409
    assert "was used for 'X-1'" in other.json()["detail"]
