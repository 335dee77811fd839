"""Realistic pre-encoded OTLP requests for the benchmarks (1,000 spans each by default)."""

from __future__ import annotations

import random
from typing import Any

from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

SERVICES = ("storefront", "payments", "erp-sync", "warehouse")
ROUTES = ("/checkout", "/cart", "/pay", "/invoice", "/reserve")


def _kv(target, key: str, value: object) -> None:  # type: ignore[no-untyped-def]
    kv = target.add()
    kv.key = key
    if isinstance(value, bool):
        kv.value.bool_value = value
    elif isinstance(value, int):
        kv.value.int_value = value
    else:
        kv.value.string_value = str(value)


def make_request(seed: int, spans: int = 1000, orders_per_request: int = 100) -> bytes:
    """One ExportTraceServiceRequest: ``spans`` spans over ``orders_per_request`` order ids,
    each span with ten attributes (order.id among them), grouped by service."""
    rnd = random.Random(seed)
    req = trace_service_pb2.ExportTraceServiceRequest()
    base_ns = 1_790_000_000_000_000_000 + seed * 1_000_000_000
    per_service = spans // len(SERVICES)
    for si, service in enumerate(SERVICES):
        rs = req.resource_spans.add()
        _kv(rs.resource.attributes, "service.name", service)
        _kv(rs.resource.attributes, "service.version", "1.4.2")
        _kv(rs.resource.attributes, "deployment.environment", "production")
        _kv(rs.resource.attributes, "host.name", f"{service}-7d9f-{si}")
        ss = rs.scope_spans.add()
        ss.scope.name = "opentelemetry.instrumentation.fastapi"
        ss.scope.version = "0.48b0"
        n = per_service if si < len(SERVICES) - 1 else spans - per_service * (len(SERVICES) - 1)
        for i in range(n):
            order = f"A-{seed:06d}-{rnd.randrange(orders_per_request):04d}"
            s = ss.spans.add()
            s.trace_id = rnd.randbytes(16)
            s.span_id = rnd.randbytes(8)
            s.parent_span_id = rnd.randbytes(8) if i % 3 else b""
            s.name = f"{service} {ROUTES[i % len(ROUTES)]}"
            s.kind = 2
            start = base_ns + rnd.randrange(1_000_000_000)
            s.start_time_unix_nano = start
            s.end_time_unix_nano = start + rnd.randrange(1_000_000, 300_000_000)
            _kv(s.attributes, "order.id", order)
            _kv(s.attributes, "http.request.method", "POST")
            _kv(s.attributes, "http.route", ROUTES[i % len(ROUTES)])
            _kv(s.attributes, "http.response.status_code", 200 if rnd.random() > 0.02 else 502)
            _kv(s.attributes, "server.address", f"{service}.internal")
            _kv(s.attributes, "customer.id", f"C-{rnd.randrange(100000):06d}")
            _kv(s.attributes, "partner", ("stripe", "netsuite", "none")[i % 3])
            _kv(s.attributes, "region", ("eu-west-1", "us-east-1")[i % 2])
            _kv(s.attributes, "retry", i % 7 == 0)
            _kv(s.attributes, "user_agent.original", "Mozilla/5.0 (X11; Linux x86_64)")
            if rnd.random() < 0.02:
                s.status.code = 2
                s.status.message = "upstream timeout"
    return req.SerializeToString()


def make_run_request(run: int, now_ns: int, *, key: str = "order.id",
                     steps: tuple[tuple[str, str], ...] = ()) -> bytes:
    """One ExportTraceServiceRequest holding one whole flow run: a span per ``(service, span
    name)`` of ``steps`` (one trace, 20 ms apart, ending at ``now_ns``), each carrying the run's
    correlation id ``L-<run>`` under ``key``; one resource per service, as SDK exporters send."""
    rnd = random.Random(run)
    req = trace_service_pb2.ExportTraceServiceRequest()
    trace_id = rnd.randbytes(16)
    parent = rnd.randbytes(8)
    by_service: dict[str, Any] = {}
    start = now_ns - 20_000_000 * len(steps)
    for i, (service, name) in enumerate(steps):
        scope = by_service.get(service)
        if scope is None:
            rs = req.resource_spans.add()
            _kv(rs.resource.attributes, "service.name", service)
            scope = by_service[service] = rs.scope_spans.add()
            scope.scope.name = "bench.light"
        s = scope.spans.add()
        s.trace_id = trace_id
        s.span_id = parent if i == 0 else rnd.randbytes(8)
        if i:
            s.parent_span_id = parent
        s.name = name
        s.kind = 2 if i == 0 else 3
        s.start_time_unix_nano = start + i * 20_000_000
        s.end_time_unix_nano = s.start_time_unix_nano + 15_000_000
        _kv(s.attributes, key, f"L-{run}")
        _kv(s.attributes, "http.response.status_code", 200)
    return req.SerializeToString()
