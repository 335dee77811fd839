"""End to end against a real server process: real OTel SDK client, CloudEvents, order lookup."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from tests.flowscope.conftest import Server
from tests.flowscope.orders import lookup, otlp_request

SENDER = Path(__file__).with_name("otel_sender.py")


def test_the_otel_sdk_in_another_process_sends_an_order_that_the_lookup_returns_in_order(
    server: Server, client: httpx.Client
) -> None:
    order_id = f"A-{uuid.uuid4().hex[:8]}"
    run = subprocess.run(
        [sys.executable, str(SENDER), server.url, order_id],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    sent = json.loads(run.stdout)
    body = lookup(client, order_id, expect=len(sent) + 1)
    assert body["correlation_id"] == order_id
    assert body["flow"] == "order-to-cash"
    spans = [i for i in body["items"] if i["kind"] == "span"]
    assert [(s["service"], s["name"]) for s in spans] == [(s["service"], s["name"]) for s in sent]
    assert [s["duration_ms"] for s in spans] == pytest.approx([s["duration_ms"] for s in sent])
    assert [s["status"] for s in spans] == ["unset", "error", "ok"]
    assert len({s["trace_id"] for s in spans}) == 2  # erp-sync joined by baggage, new trace
    times = [i["time"] for i in body["items"]]
    assert times == sorted(times)
    events = [i for i in body["items"] if i["kind"] == "event"]
    assert [(e["name"], e["service"], e["outcome"]) for e in events] == [
        ("InvoicePosted", "erp-sync", "success")
    ]


def test_redacted_attributes_never_reach_the_warehouse(
    server: Server, client: httpx.Client
) -> None:
    order_id = f"A-{uuid.uuid4().hex[:8]}"
    subprocess.run(
        [sys.executable, str(SENDER), server.url, order_id],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    lookup(client, order_id, expect=4)
    server_log = server.log.read_text()
    assert "a@b.c" not in server_log and "4111" not in server_log


def test_an_identical_resent_otlp_request_is_stored_once(client: httpx.Client) -> None:
    order_id = f"R-{uuid.uuid4().hex[:8]}"
    sentinel = f"R-{uuid.uuid4().hex[:8]}"
    body = otlp_request(order_id, spans=3)
    for sent in (body, body, otlp_request(sentinel)):
        resp = client.post(
            "/v1/traces", content=sent, headers={"content-type": "application/x-protobuf"}
        )
        assert resp.status_code == 200
    # the writer keeps the order of the spool: once the sentinel sent last is found, the
    # copy sent before it would be found too
    lookup(client, sentinel, expect=1)
    assert len(lookup(client, order_id, expect=3)["items"]) == 3


def test_a_gzip_protobuf_request_is_accepted(client: httpx.Client) -> None:
    order_id = f"G-{uuid.uuid4().hex[:8]}"
    resp = client.post(
        "/v1/traces",
        content=gzip.compress(otlp_request(order_id, spans=2)),
        headers={"content-type": "application/x-protobuf", "content-encoding": "gzip"},
    )
    assert resp.status_code == 200
    parsed = trace_service_pb2.ExportTraceServiceResponse.FromString(resp.content)
    assert parsed.partial_success.rejected_spans == 0
    assert len(lookup(client, order_id, expect=2)["items"]) == 2


def test_invalid_spans_are_reported_while_the_valid_ones_are_kept(client: httpx.Client) -> None:
    order_id = f"P-{uuid.uuid4().hex[:8]}"
    req = trace_service_pb2.ExportTraceServiceRequest.FromString(otlp_request(order_id, spans=3))
    req.resource_spans[0].scope_spans[0].spans[1].trace_id = b"\x01\x02"
    resp = client.post(
        "/v1/traces",
        content=req.SerializeToString(),
        headers={"content-type": "application/x-protobuf"},
    )
    assert resp.status_code == 200
    parsed = trace_service_pb2.ExportTraceServiceResponse.FromString(resp.content)
    assert parsed.partial_success.rejected_spans == 1
    assert "trace" in parsed.partial_success.error_message.lower()
    items = lookup(client, order_id, expect=2)["items"]
    assert [i["name"] for i in items] == ["step-0", "step-2"]


def test_otlp_json_is_accepted_and_answered_in_json(client: httpx.Client) -> None:
    order_id = f"J-{uuid.uuid4().hex[:8]}"
    doc = {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [{"key": "service.name", "value": {"stringValue": "crm"}}]
                },
                "scopeSpans": [
                    {
                        "spans": [
                            {
                                "traceId": uuid.uuid4().hex,
                                "spanId": uuid.uuid4().hex[:16],
                                "name": "create lead",
                                "kind": 2,
                                "startTimeUnixNano": "1700000000000000000",
                                "endTimeUnixNano": "1700000000250000000",
                                "attributes": [
                                    {"key": "order.id", "value": {"stringValue": order_id}}
                                ],
                            }
                        ]
                    }
                ],
            }
        ]
    }
    resp = client.post("/v1/traces", json=doc)
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("application/json")
    item = lookup(client, order_id, expect=1)["items"][0]
    assert (item["service"], item["name"], item["duration_ms"]) == ("crm", "create lead", 250.0)


def test_an_unknown_id_is_404(client: httpx.Client) -> None:
    resp = client.get("/api/v1/correlations/never-seen-anywhere")
    assert resp.status_code == 404
    assert "never-seen-anywhere" in resp.json()["detail"]


@pytest.mark.parametrize(
    "probe",
    ["x' OR '1'='1", "A-1'; DROP TABLE otel_traces; --", "%' OR 1=1 --"],
    ids=[
        "a quoted tautology finds nothing",
        "a stacked drop changes nothing",
        "a wildcard tautology finds nothing",
    ],
)
def test_injection_shaped_ids_look_up_nothing_and_change_nothing(
    client: httpx.Client, probe: str
) -> None:
    order_id = f"S-{uuid.uuid4().hex[:8]}"
    client.post(
        "/v1/traces",
        content=otlp_request(order_id),
        headers={"content-type": "application/x-protobuf"},
    )
    lookup(client, order_id, expect=1)
    assert client.get("/api/v1/correlations/" + quote(probe, safe="")).status_code == 404
    for name in ("from", "to", "limit"):  # the audit trail's parameters: typed, then bound
        assert client.get("/api/v1/audit", params={name: probe}).status_code == 400
    assert client.get("/api/v1/audit").status_code == 200
    assert len(lookup(client, order_id, expect=1)["items"]) == 1
