"""Keys, bearer headers and redacted attributes never appear in the server log or any answer.

One server with keys (file and environment) and a warehouse that fails inserts for a moment,
so the writer's failure path logs too. Requests carry valid, wrong and wrong-scope keys and
redacted attributes (``user.email`` hashed, ``card.*`` dropped, per tests/flowscope/catalog.yaml)
in spans, log events and CloudEvents, good and bad; then the server's log (stdout and stderr)
and every response body and header are searched for each secret.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord

from flowscope.access import KeyStore, digest, new_key
from tests.collector.otlp_builders import kvs, logs_request, span, to_otlp_json, trace_request
from tests.flowscope.conftest import Server

ADMIN, READ, WRONG = new_key("admin"), new_key("read"), new_key("admin")
EMAIL = "jane.secret@example.org"
CARD = "4929000000061881"
CVV = "737-cvv-secret"
ORDER = f"SEC-{uuid.uuid4().hex[:8]}"
SECRET_ATTRS = {"order.id": ORDER, "user.email": EMAIL, "card.number": CARD, "card.cvv": CVV}


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    data = tmp_path_factory.mktemp("secrets")
    ingest = KeyStore(data / "keys.yaml").create("ingest", name="svc")
    env = {
        "FLOWSCOPE_API_KEYS": f"boss=admin:{digest(ADMIN)},viewer=read:{digest(READ)}",
        "FLOWSCOPE_FAULT_INSERT_FAILURES": "1.5",
    }
    server = Server(data, env=env).start()
    try:
        yield server, ingest
    finally:
        server.stop()


def _requests(ingest: str) -> list[tuple[str, str, bytes, dict[str, str]]]:
    """(method, path, body, headers) of every request the test sends."""
    good = trace_request(({"service.name": "storefront"}, [span(1, attrs=SECRET_ATTRS)]))
    bad_id = trace_request(
        ({"service.name": "storefront"}, [span(2, trace_id=b"\x01", attrs=SECRET_ATTRS)])
    )
    bad_json = json.loads(to_otlp_json(bad_id))
    attributes = bad_json["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["attributes"]
    attributes.append({"key": "card.pan", "value": {"intValue": CARD + "x"}})
    logs = logs_request(
        (
            {"service.name": "payments"},
            [
                LogRecord(
                    time_unix_nano=1_700_000_000_000_000_000,
                    event_name="OrderPlaced",
                    attributes=kvs(SECRET_ATTRS),
                )
            ],
        )
    )
    event = {
        "specversion": "1.0",
        "id": uuid.uuid4().hex,
        "source": "/shop",
        "type": "OrderPlaced",
        "orderid": ORDER,
        "data": {"user.email": EMAIL, "card": {"number": CARD, "cvv": CVV}},
    }
    broken = {**event, "id": "", "time": "not a time"}
    pb = {"content-type": "application/x-protobuf"}
    js = {"content-type": "application/json"}
    ce = {"content-type": "application/cloudevents+json"}
    batch = {"content-type": "application/cloudevents-batch+json"}
    binary = {
        "ce-id": uuid.uuid4().hex,
        "ce-source": "/b",
        "ce-type": "OrderPlaced",
        "ce-orderid": ORDER,
        "ce-specversion": "0.3",
    }
    as_ingest = {"authorization": f"Bearer {ingest}"}
    return [
        ("POST", "/v1/traces", good.SerializeToString(), {**pb, **as_ingest}),
        ("POST", "/v1/traces", bad_id.SerializeToString(), {**pb, **as_ingest}),
        ("POST", "/v1/traces", json.dumps(bad_json).encode(), {**js, **as_ingest}),
        ("POST", "/v1/traces", CARD.encode() + b"\xff" + EMAIL.encode(), {**pb, **as_ingest}),
        ("POST", "/v1/logs", logs.SerializeToString(), {**pb, **as_ingest}),
        ("POST", "/v1/logs", to_otlp_json(logs), {**js, "authorization": f"Bearer {READ}"}),
        ("POST", "/api/v1/events", json.dumps(event).encode(), {**ce, **as_ingest}),
        ("POST", "/api/v1/events", json.dumps([event, broken]).encode(), {**batch, **as_ingest}),
        (
            "POST",
            "/api/v1/events",
            json.dumps(event["data"]).encode(),
            {**js, **binary, **as_ingest},
        ),
        ("POST", "/api/v1/events", b"{}", {**ce, "authorization": f"Bearer {WRONG}"}),
        ("POST", "/api/v1/events", b"{}", {**ce, "authorization": f"Basic {WRONG}"}),
        ("GET", f"/api/v1/correlations/{ORDER}", b"", {"authorization": f"Bearer {ingest}"}),
        ("GET", "/api/v1/audit", b"", {"authorization": f"Bearer {READ}"}),
        ("GET", "/api/v1/audit?limit=x", b"", {"authorization": f"Bearer {ADMIN}"}),
        ("GET", "/api/v1/audit", b"", {"authorization": f"Bearer {ADMIN}"}),
        ("GET", "/metrics", b"", {"authorization": f"Bearer {READ}"}),
    ]


def _secrets(ingest: str) -> dict[str, str]:
    return {
        "the ingest key": ingest,
        "the admin key": ADMIN,
        "the read key": READ,
        "a wrong key": WRONG,
        "a bearer header": "Bearer fsk_",
        "an e-mail address": EMAIL,
        "a card number": CARD,
        "a card code": CVV,
    }


def _leaks(text: str, secrets: dict[str, str]) -> list[str]:
    return [name for name, value in secrets.items() if value in text]


def test_no_secret_reaches_the_log_or_any_answer(keyed: tuple[Server, str]) -> None:
    server, ingest = keyed
    answers: list[str] = []
    statuses: list[int] = []
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for method, path, body, headers in _requests(ingest):
            response = client.request(method, path, content=body, headers=headers)
            statuses.append(response.status_code)
            answers.append(f"{response.headers}\n{response.content.decode('latin-1')}")
        assert _items(client, ORDER) == 3  # the span, the log event and the CloudEvent
    assert {200, 400, 401, 403}.issubset(set(statuses)), statuses
    answers.extend(_cli_runs(server, ingest))
    secrets = _secrets(ingest)
    for answer in answers:
        assert _leaks(answer, secrets) == [], answer[:2000]
    log = server.log.read_text()
    assert "injected fault" in log  # the writer's failure path did log
    assert _leaks(log, secrets) == []


def _items(client: httpx.Client, cid: str) -> int:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        response = client.get(
            f"/api/v1/correlations/{cid}", headers={"authorization": f"Bearer {READ}"}
        )
        if response.status_code == 200 and len(response.json()["items"]) >= 3:
            return len(response.json()["items"])
        time.sleep(0.1)
    raise AssertionError(f"{cid} did not arrive")


def _cli_runs(server: Server, ingest: str) -> list[str]:
    """Output of ``flowscope trace`` refused for a wrong key and for a wrong scope."""
    out = []
    for key in (WRONG, ingest):
        run = subprocess.run(
            [sys.executable, "-m", "flowscope", "trace", ORDER, "--url", server.url],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "FLOWSCOPE_API_KEY": key},
        )
        assert run.returncode == 1 and "refused the request" in run.stderr
        out.append(run.stdout + run.stderr)
    return out
