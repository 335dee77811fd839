"""Orders as the end-to-end tests send them to a server, and read back through the lookup."""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2


def lookup(client: httpx.Client, cid: str, *, expect: int, timeout: float = 20.0) -> dict[str, Any]:
    """Poll the lookup until it shows ``expect`` items (ingest is asynchronous past the spool)."""
    deadline = time.monotonic() + timeout
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        resp = client.get(f"/api/v1/correlations/{cid}")
        if resp.status_code == 200:
            body = resp.json()
            if len(body["items"]) >= expect:
                return body
        time.sleep(0.1)
    raise AssertionError(f"{cid}: expected {expect} items, last answer {body}")


def otlp_request(order_id: str, spans: int = 1, *, trace_id: bytes | None = None) -> bytes:
    """An OTLP/HTTP protobuf trace request: ``spans`` spans of ``storefront`` (``step-0``,
    ``step-1``...), 5 ms each, in one trace, each carrying ``order.id = order_id``."""
    req = trace_service_pb2.ExportTraceServiceRequest()
    rs = req.resource_spans.add()
    kv = rs.resource.attributes.add()
    kv.key, kv.value.string_value = "service.name", "storefront"
    ss = rs.scope_spans.add()
    tid = trace_id or uuid.uuid4().bytes
    for i in range(spans):
        s = ss.spans.add()
        s.trace_id = tid
        s.span_id = hashlib.sha256(tid + bytes([i])).digest()[:8]
        s.name = f"step-{i}"
        s.start_time_unix_nano = 1_700_000_000_000_000_000 + i * 1_000_000
        s.end_time_unix_nano = s.start_time_unix_nano + 5_000_000
        a = s.attributes.add()
        a.key, a.value.string_value = "order.id", order_id
    return req.SerializeToString()


def count(client: httpx.Client, cid: str) -> int:
    """Items the lookup holds for ``cid`` now (0 for an unknown id)."""
    resp = client.get(f"/api/v1/correlations/{cid}")
    if resp.status_code == 404:
        return 0
    assert resp.status_code == 200, resp.text
    return len(resp.json()["items"])


def eventually(read: Callable[[], Any], accept: Callable[[Any], bool],
               timeout: float = 15.0) -> Any:
    """Poll ``read`` until ``accept`` takes its value; fail with the last value otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if accept(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not accepted after {timeout}s: {value!r}"[:3000])
        time.sleep(0.2)


def rfc3339(moment: datetime) -> str:
    """``moment`` (aware) as the tests write event times: ``2026-03-10T12:00:00Z``."""
    return moment.isoformat().replace("+00:00", "Z")


def order_event(order: str, type_: str, at: datetime, *, source: str) -> dict[str, Any]:
    """A structured CloudEvent of type ``type_`` for ``order`` (extension ``orderid``) at
    ``at``, from ``source``, with a fresh id."""
    return {"specversion": "1.0", "id": uuid.uuid4().hex, "source": source,
            "type": type_, "time": rfc3339(at), "orderid": order}
