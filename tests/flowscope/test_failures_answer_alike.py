"""One failure, one answer, on every route: the warehouse not ready, gone, or failing queries.

The app is built as ``flowscope serve`` builds it (:func:`flowscope.app.create_app`, the example
catalog, no keys), and called in process without its lifespan, so it never connects by itself:
each test puts the warehouse in one state, then asks every route of the app once, with
parameters and a body it would accept.

- **Not ready** (starting, or the warehouse unreachable since start): 503, ``Retry-After: 5``,
  "the warehouse is not ready yet".
- **Gone** (it was ready, then its connection closed): 503, ``Retry-After: 5``, "the warehouse
  is unavailable; retry later".
- **A query failing** (a database without flowscope's tables): 500, no ``Retry-After``, "the
  warehouse could not answer (ClickHouse error 60)...", never the engine's own text.

Routes that do not need the warehouse answer as they always do, whatever its state: ingest is
acknowledged from the spool, the flow list and a flow's entry come from the catalog (status
``null``), ``/metrics`` and ``/healthz`` answer, ``/readyz`` says it is not ready. A route in
neither list fails the test: a new route must say which kind it is.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from catalog.sources import load_catalog_sources
from flowscope.app import Runtime, create_app
from flowscope.settings import Settings
from tests.asgi import InProcessClient
from tests.flowscope.orders import otlp_request
from warehouse.port import Warehouse

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "catalog.yaml"

WAREHOUSE_FREE = {
    ("GET", "/healthz"): 200,
    ("GET", "/readyz"): 503,
    ("GET", "/metrics"): 200,
    ("GET", "/api/v1/flows"): 200,
    ("GET", "/api/v1/flows/{flow}"): 200,
    ("POST", "/v1/traces"): 200,
    ("POST", "/v1/logs"): 200,
    ("POST", "/api/v1/events"): 200,
}
"""Routes that answer without the warehouse, and how."""

NEEDS_WAREHOUSE = {
    ("GET", "/api/v1/correlations/{correlation_id}"),
    ("GET", "/api/v1/flows/{flow}/slos"),
    ("GET", "/api/v1/flows/{flow}/latency"),
    ("GET", "/api/v1/flows/{flow}/health"),
    ("GET", "/api/v1/flows/{flow}/attribution"),
    ("GET", "/api/v1/flows/{flow}/cost"),
    ("GET", "/api/v1/flows/{flow}/releases"),
    ("GET", "/api/v1/roi"),
    ("GET", "/api/v1/costs"),
    ("POST", "/api/v1/costs"),
    ("GET", "/api/v1/alerts"),
    ("GET", "/api/v1/silences"),
    ("POST", "/api/v1/silences"),
    ("DELETE", "/api/v1/silences/{silence_id}"),
    ("GET", "/api/v1/audit"),
    ("GET", "/api/v1/search"),
    ("GET", "/api/v1/flows/{flow}/dead-letters"),
    ("POST", "/api/v1/flows/{flow}/runs/{run_id}/replay"),
    ("POST", "/api/v1/flows/{flow}/dead-letters/replay"),
    ("GET", "/api/v1/maintenance"),
    ("POST", "/api/v1/flows/{flow}/maintenance"),
    ("DELETE", "/api/v1/flows/{flow}/maintenance/{maintenance_id}"),
}
"""Routes that read or write the warehouse."""

PATH_VALUES = {"flow": "order-to-cash", "correlation_id": "A-1", "silence_id": "s-1",
               "run_id": "A-1", "maintenance_id": "m-1"}
EVENT = {"specversion": "1.0", "id": "e-1", "source": "/shop", "type": "OrderPlaced",
         "time": "2026-03-01T10:00:00Z", "orderid": "A-1"}
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/v1/traces"): {"content": otlp_request("A-1"),
                             "headers": {"content-type": "application/x-protobuf"}},
    ("POST", "/v1/logs"): {"content": b"", "headers": {"content-type": "application/x-protobuf"}},
    ("POST", "/api/v1/events"): {"content": json.dumps(EVENT),
                                 "headers": {"content-type": "application/cloudevents+json"}},
    ("POST", "/api/v1/silences"): {"json": {
        "matchers": [{"name": "flow", "op": "=", "value": "order-to-cash"}], "duration": "2h"}},
    ("POST", "/api/v1/costs"): {"json": {"lines": [{
        "id": "l-1", "date": "2026-03-01", "flow": "order-to-cash", "category": "fees",
        "amount": "1.00", "currency": "USD", "source": "walk"}]}},
    ("GET", "/api/v1/search"): {"params": {"key": "customer.id", "value": "C-42"}},
    ("POST", "/api/v1/flows/{flow}/runs/{run_id}/replay"): {
        "headers": {"idempotency-key": "walk-1"}},
    ("POST", "/api/v1/flows/{flow}/dead-letters/replay"): {
        "json": {"limit": 1}, "headers": {"idempotency-key": "walk-2"}},
    ("POST", "/api/v1/flows/{flow}/maintenance"): {"json": {"duration": "2h",
                                                             "reason": "ERP down"}},
}
ENGINE_TEXT = re.compile(r"DB::Exception|Code: \d+|\(version \d|Stack trace|Traceback|chdb|"
                         r"clickhouse_connect|UNKNOWN_TABLE|doesn't exist", re.IGNORECASE)

Answers = dict[tuple[str, str], httpx.Response]


def walk(app: FastAPI) -> Answers:
    """Every operation of ``app``'s OpenAPI schema asked once: ``(method, path template)`` →
    its answer."""
    client = InProcessClient(app)
    answers: Answers = {}
    for template, operations in app.openapi()["paths"].items():
        path = template
        for name, value in PATH_VALUES.items():
            path = path.replace("{" + name + "}", value)
        for method in operations:
            route = (method.upper(), template)
            answers[route] = client.request(route[0], path, **BODIES.get(route, {}))
    return answers


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[tuple[FastAPI, Runtime]]:
    """The app and its runtime, never started: the warehouse is not ready until a test says."""
    app = create_app(Settings(data_dir=tmp_path, grpc_port=0),
                     catalog=load_catalog_sources(EXAMPLES))
    runtime: Runtime = app.state.runtime
    try:
        yield app, runtime
    finally:
        runtime.shutdown()


def connected(runtime: Runtime, wh: Warehouse) -> None:
    """``runtime`` as the bootstrap leaves it once ``wh`` is connected and migrated."""
    runtime.warehouse = wh
    runtime.audit.attach(wh)
    runtime.ready.set()


def check_walk(answers: Answers, status: int, detail: Callable[[str], bool]) -> None:
    """Every route needing the warehouse answered ``status`` (with ``Retry-After: 5`` when
    503) and a ``detail`` that ``detail`` accepts; the others answered as they always do."""
    assert set(answers) == set(WAREHOUSE_FREE) | NEEDS_WAREHOUSE, (
        "classify every route: "
        f"{sorted(set(answers) ^ (set(WAREHOUSE_FREE) | NEEDS_WAREHOUSE))}")
    got = {route: (r.status_code, r.headers.get("retry-after"))
           for route, r in answers.items() if route in NEEDS_WAREHOUSE}
    expected = (status, "5" if status == 503 else None)
    assert got == dict.fromkeys(NEEDS_WAREHOUSE, expected)
    for route in sorted(NEEDS_WAREHOUSE):
        text = answers[route].json()["detail"]
        assert detail(text), f"{route}: {text}"
        assert not ENGINE_TEXT.search(answers[route].text), f"{route}: {answers[route].text}"
    assert {route: answers[route].status_code for route in WAREHOUSE_FREE} == WAREHOUSE_FREE
    flows = answers[("GET", "/api/v1/flows")].json()["flows"]
    assert [f["status"] for f in flows] == [None] * len(flows)


def test_every_route_answers_503_while_the_warehouse_is_not_ready(
        served: tuple[FastAPI, Runtime]) -> None:
    app, _ = served
    check_walk(walk(app), 503, lambda text: text == "the warehouse is not ready yet")


def test_every_route_answers_503_once_the_warehouse_is_gone(
        served: tuple[FastAPI, Runtime], chdb_dsn: str, fresh_database: str) -> None:
    app, runtime = served
    wh = Warehouse.connect(chdb_dsn, database=fresh_database)
    connected(runtime, wh)
    wh.close()
    check_walk(walk(app), 503, lambda text: "the warehouse is unavailable; retry later" in text)


def test_every_route_answers_500_when_its_query_fails(
        served: tuple[FastAPI, Runtime], chdb_dsn: str) -> None:
    app, runtime = served
    # a database without flowscope's tables: every read and write is refused by the engine
    empty = f"empty_{uuid.uuid4().hex[:12]}"
    with Warehouse.connect(chdb_dsn, database=empty) as wh:
        connected(runtime, wh)
        try:
            answers = walk(app)
        finally:
            wh.command(f"DROP DATABASE IF EXISTS {empty} SYNC")
    check_walk(answers, 500, lambda text: "the warehouse could not answer (ClickHouse error"
                                          in text and "server log" in text)
