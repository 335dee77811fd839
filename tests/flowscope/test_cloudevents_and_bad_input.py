"""CloudEvents in three modes, dedup, mixed batches; bad input leaves the server healthy."""

from __future__ import annotations

import gzip
import json
import uuid
from typing import Any

import httpx
import pytest

from tests.flowscope.orders import lookup, otlp_request

STRUCTURED = {"content-type": "application/cloudevents+json"}
BATCH = {"content-type": "application/cloudevents-batch+json"}


def event(order_id: str, type_: str = "OrderPlaced", **extra: Any) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": uuid.uuid4().hex,
        "source": "/shop/orders",
        "type": type_,
        "time": "2026-11-27T10:00:00Z",
        "orderid": order_id,
        **extra,
    }


def test_a_structured_event_is_stored_and_tagged(client: httpx.Client) -> None:
    order_id = f"C-{uuid.uuid4().hex[:8]}"
    resp = client.post("/api/v1/events", content=json.dumps(event(order_id)), headers=STRUCTURED)
    assert resp.status_code == 200, resp.text
    assert resp.json()["accepted"] == 1
    item = lookup(client, order_id, expect=1)["items"][0]
    assert (item["kind"], item["name"], item["outcome"]) == ("event", "OrderPlaced", "start")
    assert item["time"].startswith("2026-11-27T10:00:00")


def test_a_binary_mode_event_is_stored(client: httpx.Client) -> None:
    order_id = f"B-{uuid.uuid4().hex[:8]}"
    headers = {
        "ce-specversion": "1.0",
        "ce-id": uuid.uuid4().hex,
        "ce-source": "/erp",
        "ce-type": "InvoicePosted",
        "ce-orderid": order_id,
        "content-type": "application/json",
    }
    resp = client.post("/api/v1/events", content=json.dumps({"amount": "12.00"}), headers=headers)
    assert resp.status_code == 200, resp.text
    item = lookup(client, order_id, expect=1)["items"][0]
    assert (item["name"], item["outcome"], item["status"]) == ("InvoicePosted", "success", "ok")


def test_a_batch_keeps_the_valid_events_and_names_the_bad_ones(client: httpx.Client) -> None:
    order_id = f"M-{uuid.uuid4().hex[:8]}"
    bad = event(order_id)
    bad["specversion"] = "0.3"
    batch = [event(order_id), bad, event(order_id, "PaymentFailed")]
    resp = client.post("/api/v1/events", content=json.dumps(batch), headers=BATCH)
    assert resp.status_code == 200
    body = resp.json()
    assert (body["accepted"], body["rejected"]) == (2, 1)
    assert body["errors"][0]["index"] == 1
    assert "specversion" in body["errors"][0]["field"]
    items = lookup(client, order_id, expect=2)["items"]
    assert sorted(i["name"] for i in items) == ["OrderPlaced", "PaymentFailed"]


def test_a_duplicate_event_id_is_stored_once(client: httpx.Client) -> None:
    order_id = f"D-{uuid.uuid4().hex[:8]}"
    ev = event(order_id)
    first = client.post("/api/v1/events", content=json.dumps(ev), headers=STRUCTURED).json()
    again = client.post("/api/v1/events", content=json.dumps([ev, ev]), headers=BATCH).json()
    assert (first["accepted"], again["accepted"], again["duplicates"]) == (1, 0, 2)
    # the writer keeps the order of the spool: once an event sent after the copies is found,
    # a copy that got through would be found too
    sentinel = f"D-{uuid.uuid4().hex[:8]}"
    after = client.post("/api/v1/events", content=json.dumps(event(sentinel)), headers=STRUCTURED)
    assert after.json()["accepted"] == 1
    lookup(client, sentinel, expect=1)
    assert len(lookup(client, order_id, expect=1)["items"]) == 1


BOMB = gzip.compress(b"\0" * (64 * 1024 * 1024))


@pytest.mark.parametrize(
    ("path", "content", "headers", "status", "fragment"),
    [
        (
            "/v1/traces",
            otlp_request("T-1")[:-7],
            {"content-type": "application/x-protobuf"},
            400,
            "",
        ),
        ("/v1/traces", b'{"resourceSpans": 7}', {"content-type": "application/json"}, 400, ""),
        ("/v1/traces", b"{not json", {"content-type": "application/json"}, 400, ""),
        (
            "/v1/traces",
            BOMB,
            {"content-type": "application/x-protobuf", "content-encoding": "gzip"},
            413,
            "limit",
        ),
        (
            "/v1/traces",
            b"x" * (9 * 1024 * 1024),
            {"content-type": "application/x-protobuf"},
            413,
            "limit",
        ),
        ("/v1/traces", b"hello", {"content-type": "text/plain"}, 415, "content type"),
        ("/v1/logs", b"\xff\xff\xff", {"content-type": "application/x-protobuf"}, 400, ""),
        ("/api/v1/events", b"[1, 2]", BATCH, 400, "events[1]"),
        ("/api/v1/events", b"{}", STRUCTURED, 400, "specversion"),
        ("/api/v1/events", b"<xml/>", {"content-type": "application/xml"}, 415, "content type"),
        (
            "/api/v1/events",
            json.dumps({**event("H-1"), "huge": "x" * (9 * 1024 * 1024)}).encode(),
            STRUCTURED,
            413,
            "limit",
        ),
    ],
    ids=[
        "a truncated protobuf is a 400",
        "OTLP JSON with wrong types is a 400",
        "malformed JSON is a 400",
        "a gzip bomb is a 413",
        "a body over 8 MiB is a 413",
        "an unknown content type is a 415",
        "garbage OTLP logs are a 400",
        "a batch of only invalid events is a 400 naming each",
        "an empty structured event names the missing field",
        "xml to the events route is a 415",
        "a huge attribute value over the limit is a 413",
    ],
)
def test_bad_input_gets_its_4xx_and_the_server_stays_healthy(
    client: httpx.Client,
    path: str,
    content: bytes,
    headers: dict[str, str],
    status: int,
    fragment: str,
) -> None:
    resp = client.post(path, content=content, headers=headers)
    assert resp.status_code == status, resp.text[:300]
    if fragment:
        assert fragment in resp.text
    assert client.get("/healthz").status_code == 200
    order_id = f"OK-{uuid.uuid4().hex[:8]}"
    assert (
        client.post(
            "/v1/traces",
            content=otlp_request(order_id),
            headers={"content-type": "application/x-protobuf"},
        ).status_code
        == 200
    )
    lookup(client, order_id, expect=1)


def test_a_huge_attribute_value_within_the_body_limit_rejects_only_its_span(
    client: httpx.Client,
) -> None:
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

    order_id = f"L-{uuid.uuid4().hex[:8]}"
    req = trace_service_pb2.ExportTraceServiceRequest.FromString(otlp_request(order_id, spans=2))
    big = req.resource_spans[0].scope_spans[0].spans[0].attributes.add()
    big.key, big.value.string_value = "payload", "y" * (1024 * 1024)
    resp = client.post(
        "/v1/traces",
        content=req.SerializeToString(),
        headers={"content-type": "application/x-protobuf"},
    )
    assert resp.status_code == 200
    parsed = trace_service_pb2.ExportTraceServiceResponse.FromString(resp.content)
    assert parsed.partial_success.rejected_spans == 1
    assert [i["name"] for i in lookup(client, order_id, expect=1)["items"]] == ["step-1"]
