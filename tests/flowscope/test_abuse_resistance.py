"""A real ``flowscope serve`` over HTTP holds against abuse a hostile or careless client tries.

Each test does what such a client would (a backtracking regex silence, a huge Dash value, a
hot order id, nested secrets, a revoked key, a keys file moved away, a flood of refused
requests, a planted event id, out-of-range parameters, a look at file modes, a cross-site
login, trickled headers) and checks what a user may rely on. The server runs with keys of every
scope, a catalog with an alert rule that fires on one failed run, alert evaluation every half
second, a 1 s header deadline and a cap of 40 connections.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from flowscope.access import digest, new_key
from tests.collector.otlp_builders import span, trace_request
from tests.flowscope.conftest import Server
from tests.flowscope.orders import eventually, rfc3339

CATALOG = """\
apiVersion: flowscope/v1
redaction:
  - {key: "user.email", action: hash}
  - {key: "card.*", action: drop}
flows:
  - name: order-to-cash
    owner: payments-team
    correlation_key: order.id
    start:   {event: OrderPlaced}
    success: {event: InvoicePosted}
    failure: {events: [PaymentFailed]}
    steps:
      - {name: checkout, service: storefront}
    cost:
      currency: USD
      per_call: [{step: checkout, price: "0.30"}]
    slos:
      - {name: success-rate, objective: 99.9, period: 30d}
    alerting:
      windows: google-30d
      rules:
        - name: invoices-failing
          failure_ratio: {above: 3, window: 1h, min_runs: 1}
          severity: page
"""

ADMIN, READ, INGEST = new_key("admin"), new_key("read"), new_key("ingest")
EMAIL, CARD = "ann.probe@example.com", "4111111111111111"
HOT_ITEMS = 30_000


def cli(data: Path, *args: str, env: dict[str, str] | None = None) -> str:
    run = subprocess.run([sys.executable, "-m", "flowscope", *args, "--data-dir", str(data)],
                         capture_output=True, text=True, timeout=60,
                         env={**os.environ, **(env or {})})
    assert run.returncode == 0, run.stderr
    return run.stdout.strip()


@dataclass
class Probed:
    server: Server
    viewer: str  # a read key in the keys file (revoked by one test)

    @property
    def url(self) -> str:
        return self.server.url

    def call(self, method: str, path: str, key: str | None = ADMIN, **kwargs: Any
             ) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if key:
            headers["authorization"] = f"Bearer {key}"
        kwargs.setdefault("timeout", 30)
        return httpx.request(method, f"{self.url}{path}", headers=headers, **kwargs)


@pytest.fixture(scope="module")
def probed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Probed]:
    root = tmp_path_factory.mktemp("probe")
    catalog = root / "catalog.yaml"
    catalog.write_text(CATALOG)
    data = root / "data"
    data.mkdir(mode=0o755)
    (data / "leftover.txt").write_text("written before the fix")
    os.chmod(data / "leftover.txt", 0o644)
    viewer = cli(data, "keys", "create", "--scope", "read", "--name", "viewer")
    env = {
        "FLOWSCOPE_API_KEYS": ",".join([f"boss=admin:{digest(ADMIN)}",
                                        f"reader=read:{digest(READ)}",
                                        f"feeder=ingest:{digest(INGEST)}"]),
        "FLOWSCOPE_EVAL_INTERVAL": "0.5",
        "FLOWSCOPE_HEADER_TIMEOUT": "1",
        "FLOWSCOPE_MAX_CONNECTIONS": "40",
    }
    server = Server(data, catalog=catalog, env=env).start()
    try:
        yield Probed(server, viewer)
    finally:
        server.stop()


def event(order: str, type_: str, source: str = "/shop", **extra: Any) -> dict[str, Any]:
    return {"specversion": "1.0", "id": extra.pop("id", uuid.uuid4().hex), "source": source,
            "type": type_, "time": rfc3339(datetime.now(UTC) - timedelta(minutes=2)),
            "orderid": order, **extra}


def post_events(probed: Probed, events: list[dict[str, Any]], key: str) -> httpx.Response:
    return probed.call("POST", "/api/v1/events", key, content=json.dumps(events),
                       headers={"content-type": "application/cloudevents-batch+json"})


def evaluations(probed: Probed) -> float:
    text = probed.call("GET", "/metrics", READ, timeout=5).text
    return sum(float(line.split()[-1]) for line in text.splitlines()
               if line.startswith("flowscope_alert_evaluations_total{"))


# 1 -----------------------------------------------------------------------------------------

def test_a_backtracking_silence_neither_freezes_the_server_nor_the_evaluator(
        probed: Probed) -> None:
    order = f"F-{uuid.uuid4().hex[:6]}"
    sent = post_events(probed, [event(order, "OrderPlaced"), event(order, "PaymentFailed")],
                       INGEST)
    assert sent.status_code == 200, sent.text
    eventually(lambda: probed.call("GET", "/api/v1/alerts", READ).json()["active"], bool)
    silence = {"matchers": [{"name": "flow", "op": "=~", "value": "(.*.*.*)*z"}],
               "duration": "1h", "created_by": "probe"}
    assert probed.call("POST", "/api/v1/silences", json=silence).status_code == 201
    before = evaluations(probed)
    for _ in range(6):
        started = time.monotonic()
        assert httpx.get(f"{probed.url}/healthz", timeout=5).status_code == 200
        assert time.monotonic() - started < 2
        time.sleep(0.5)
    assert evaluations(probed) >= before + 3


# 2 -----------------------------------------------------------------------------------------

def dash_trace(probed: Probed, value: Any, **kwargs: Any) -> httpx.Response:
    body = {"output": "trace-body.children",
            "outputs": {"id": "trace-body", "property": "children"},
            "inputs": [{"id": "trace-go", "property": "n_clicks", "value": 1},
                       {"id": "trace-id", "property": "value", "value": value},
                       {"id": "trace-key", "property": "value", "value": ""}],
            "changedPropIds": ["trace-id.value"], "state": []}
    return probed.call("POST", "/dashboards/_dash-update-component", READ, json=body, **kwargs)


def test_a_huge_dash_value_is_refused_before_any_work_and_never_echoed(probed: Probed) -> None:
    marker = "Q" * 5_000_000
    started = time.monotonic()
    huge = dash_trace(probed, marker)
    assert huge.status_code == 413 and len(huge.content) < 1000
    assert time.monotonic() - started < 10
    long_id = "L" * 600
    answer = dash_trace(probed, long_id)
    assert answer.status_code == 200 and "at most 512 characters" in answer.text
    assert long_id not in answer.text


# 3 -----------------------------------------------------------------------------------------

def hot_request(order: str, first: int, count: int) -> bytes:
    request = trace_service_pb2.ExportTraceServiceRequest()
    rs = request.resource_spans.add()
    kv = rs.resource.attributes.add()
    kv.key, kv.value.string_value = "service.name", "storefront"
    scope = rs.scope_spans.add()
    for i in range(first, first + count):
        s = scope.spans.add()
        s.trace_id = (i // 1000 + 1).to_bytes(16, "big")
        s.span_id = (i + 1).to_bytes(8, "big")
        s.name = "checkout"
        s.start_time_unix_nano = 1_800_000_000_000_000_000 + i * 1_000_000
        s.end_time_unix_nano = s.start_time_unix_nano + 1_000
        a = s.attributes.add()
        a.key, a.value.string_value = "order.id", order
    return request.SerializeToString()


def test_a_hot_order_id_is_served_in_bounded_pages(probed: Probed) -> None:
    order = f"HOT-{uuid.uuid4().hex[:6]}"
    for first in range(0, HOT_ITEMS, 10_000):
        sent = probed.call("POST", "/v1/traces", INGEST, content=hot_request(order, first, 10_000),
                           headers={"content-type": "application/x-protobuf"})
        assert sent.status_code == 200
    path = f"/api/v1/correlations/{order}"
    first_page = eventually(lambda: probed.call("GET", path, READ).json(),
                            lambda b: b.get("total") == HOT_ITEMS, timeout=120)
    assert len(first_page["items"]) == 10_000 and first_page["next_cursor"]
    seen, cursor, bodies = len(first_page["items"]), first_page["next_cursor"], []
    while cursor:
        page = probed.call("GET", path, READ, params={"cursor": cursor})
        bodies.append(len(page.content))
        seen += len(page.json()["items"])
        cursor = page.json()["next_cursor"]
    assert seen == HOT_ITEMS and max(bodies) < 8_000_000
    small = probed.call("GET", path, READ, params={"limit": "5"}).json()
    assert [i["span_id"] for i in small["items"]] == [f"{n:016x}" for n in range(1, 6)]
    page = dash_trace(probed, order)
    assert page.status_code == 200 and f"{HOT_ITEMS:,} spans and events" in page.text
    assert len(page.content) < 5_000_000
    traced = subprocess.run(
        [sys.executable, "-m", "flowscope", "trace", order, "--url", probed.url, "--json",
         "--max-items", "25000"], capture_output=True, text=True, timeout=120,
        env={**os.environ, "FLOWSCOPE_API_KEY": READ})
    assert traced.returncode == 0, traced.stderr
    assert len(json.loads(traced.stdout)["items"]) == 25_000
    assert f"showed the first 25,000 of {HOT_ITEMS:,} items" in traced.stderr


# 4 -----------------------------------------------------------------------------------------

def test_nested_and_baggage_secrets_never_reach_the_tables(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    root = tmp_path_factory.mktemp("nested")
    catalog = root / "catalog.yaml"
    catalog.write_text(CATALOG)
    server = Server(root / "data", catalog=catalog).start()
    nested = {"user": {"email": EMAIL}, "card": {"number": CARD}, "baggage.user.email": EMAIL,
              "baggage.card.number": CARD, "order.id": "N-1"}
    request = trace_request(({"service.name": "storefront", **nested},
                             [span(1, attrs=nested, events=[(1_800_000_000_000_000_000, "e",
                                                              nested)])]))
    try:
        sent = httpx.post(f"{server.url}/v1/traces", content=request.SerializeToString(),
                          headers={"content-type": "application/x-protobuf"}, timeout=30)
        assert sent.status_code == 200
        server.wait_drained()
    finally:
        server.stop()
    query = ("import clickhouse_connect, sys\n"
             "c = clickhouse_connect.get_client(interface='chdb', path=sys.argv[1])\n"
             "print(c.query('SELECT ResourceAttributes, SpanAttributes, Events.Attributes "
             "FROM otel_traces').result_rows)\n")
    run = subprocess.run([sys.executable, "-c", query, str(root / "data" / "clickhouse")],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    stored = run.stdout
    assert "sha256:" in stored and "N-1" in stored
    assert EMAIL not in stored and CARD not in stored


# 5 -----------------------------------------------------------------------------------------

def login(probed: Probed, key: str, **headers: str) -> httpx.Response:
    sent = {"origin": probed.url, **headers}
    return httpx.post(f"{probed.url}/dashboards/login", data={"key": key}, headers=sent,
                      timeout=30)


def test_a_dashboard_session_ends_with_its_key_and_at_logout(probed: Probed) -> None:
    cookies = {"flowscope_session": login(probed, probed.viewer).cookies["flowscope_session"]}
    page = httpx.get(f"{probed.url}/dashboards/executive", cookies=cookies, timeout=30)
    assert page.status_code == 200
    keys = probed.server.data_dir / "keys.yaml"  # the key removed by hand
    doc = yaml.safe_load(keys.read_text())
    doc["keys"] = [k for k in doc["keys"] if k["name"] != "viewer"]
    keys.write_text(yaml.safe_dump(doc))
    after = httpx.get(f"{probed.url}/dashboards/executive", cookies=cookies, timeout=30)
    assert after.status_code == 303
    other = {"flowscope_session": login(probed, READ).cookies["flowscope_session"]}
    out = httpx.post(f"{probed.url}/dashboards/logout", cookies=other,
                     headers={"origin": probed.url}, timeout=30)
    assert out.status_code == 303
    assert httpx.get(f"{probed.url}/dashboards/executive", cookies=other,
                     timeout=30).status_code == 303


def test_keys_are_listed_and_revoked_by_name_or_id_and_the_revocation_audited(
        probed: Probed) -> None:
    data = probed.server.data_dir
    temp = cli(data, "keys", "create", "--scope", "read", "--name", "temp")
    env = {"FLOWSCOPE_API_KEYS": probed.server.env["FLOWSCOPE_API_KEYS"]}
    listed = json.loads(cli(data, "keys", "list", "--json", env=env))["keys"]
    entry = next(k for k in listed if k["name"] == "temp")
    assert entry["scope"] == "read" and entry["id"] == digest(temp)[7:19]
    assert {"boss", "reader", "feeder"} <= {k["name"] for k in listed if k["from"] == "env"}
    assert temp not in json.dumps(listed) and digest(temp) not in json.dumps(listed)
    assert probed.call("GET", "/api/v1/flows", temp).status_code == 200
    assert "revoked temp (read, id" in cli(data, "keys", "revoke", entry["id"][:8])
    assert probed.call("GET", "/api/v1/flows", temp).status_code == 401
    audit = probed.call("GET", "/api/v1/audit", params={"limit": "1000"}).json()["items"]
    assert any(i["action"] == "key.revoke" and i["target"] == "temp" for i in audit)


# 7 -----------------------------------------------------------------------------------------

def test_a_flood_of_refused_requests_is_a_few_short_audit_records(probed: Probed) -> None:
    long_path = "/api/v1/flood/" + "p" * 8000
    with httpx.Client(base_url=probed.url, timeout=30) as client:
        for _ in range(300):
            assert client.post(long_path).status_code == 401
        client.get("/api/v1/flows", headers={"authorization": "Bearer fsk_read_wrong"})
    assert login(probed, "fsk_read_not-a-key").status_code == 401
    items = probed.call("GET", "/api/v1/audit", params={"limit": "10000"}).json()["items"]
    denied = [i for i in items if i["action"] == "api.denied"]
    flood = [i for i in denied if i["target"].startswith("POST /api/v1/flood/")]
    assert 1 <= len(flood) <= 2 and sum(i["detail"]["count"] for i in flood) == 300
    assert all(len(i["target"]) <= 210 for i in denied)
    reasons = {i["detail"]["reason"] for i in denied}
    assert {"no key", "invalid key", "login failed"} <= reasons


# 8 -----------------------------------------------------------------------------------------

def test_a_key_limited_to_its_sources_cannot_plant_another_sources_event(
        probed: Probed) -> None:
    data = probed.server.data_dir
    erp = cli(data, "keys", "create", "--scope", "ingest", "--name", "erp", "--source", "/erp")
    shop = cli(data, "keys", "create", "--scope", "ingest", "--name", "shop", "--source", "/shop")
    order, planted_id = f"P-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex
    plant = event(order, "PaymentFailed", source="/erp", id=planted_id)
    refused = post_events(probed, [plant], shop)
    assert refused.status_code == 403 and "/erp" in refused.text
    mixed = post_events(probed, [event(order, "OrderPlaced"), plant], shop)
    assert mixed.status_code == 200 and mixed.json()["accepted"] == 1
    assert mixed.json()["errors"][0]["field"] == "events[1].source"
    real = post_events(probed, [event(order, "InvoicePosted", source="/erp", id=planted_id)],
                       erp)
    assert real.status_code == 200
    assert (real.json()["accepted"], real.json()["duplicates"]) == (1, 0)


# 9 -----------------------------------------------------------------------------------------

YEAR_ONE = "0001-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("method", "path", "params", "body", "parameter"),
    [
        ("GET", "/api/v1/flows", {"at": YEAR_ONE}, None, "at"),
        ("GET", "/api/v1/flows/order-to-cash", {"at": YEAR_ONE}, None, "at"),
        ("GET", "/api/v1/flows/order-to-cash/slos", {"at": YEAR_ONE}, None, "at"),
        ("GET", "/api/v1/flows/order-to-cash/latency", {"to": YEAR_ONE}, None, "to"),
        ("GET", "/api/v1/flows/order-to-cash/health", {"from": YEAR_ONE}, None, "from"),
        ("GET", "/api/v1/flows/order-to-cash/slos", {"at": "9999-12-31T00:00:00Z"}, None, "at"),
        ("GET", "/api/v1/roi", {"to": YEAR_ONE}, None, "to"),
        ("GET", "/api/v1/flows/order-to-cash/cost", {"from": "0001-01-01"}, None, "from"),
        ("GET", "/api/v1/costs", {"from": "9999-12-31"}, None, "from"),
        ("GET", "/api/v1/flows/order-to-cash/latency", {"step": "99999999999d"}, None, "step"),
        ("POST", "/api/v1/silences", None,
         {"matchers": [{"name": "flow", "op": "=", "value": "x"}], "duration": "99999999999d"},
         "duration"),
        ("POST", "/api/v1/costs", None,
         {"lines": [{"id": "l1", "date": "9999-12-31", "flow": "order-to-cash",
                     "category": "fees", "amount": "1.00", "currency": "USD",
                     "source": "probe"}]}, "date"),
        ("GET", "/api/v1/correlations/A-1", {"limit": "many"}, None, "limit"),
    ],
    ids=["flows at year 1", "a flow at year 1", "slos at year 1", "latency to year 1",
         "health from year 1", "slos at 9999", "roi to year 1", "cost from year 1",
         "costs from 9999",
         "a step of 99999999999 days", "a silence of 99999999999 days",
         "a cost line dated 9999-12-31", "a limit that is not a number"],
)
def test_out_of_range_parameters_are_400_naming_the_parameter(
        probed: Probed, method: str, path: str, params: dict[str, str] | None,
        body: dict[str, Any] | None, parameter: str) -> None:
    resp = probed.call(method, path, params=params, json=body)
    assert resp.status_code == 400, resp.text
    assert parameter in resp.json()["detail"]
    assert "DB::Exception" not in resp.text and "/tmp" not in resp.text


def test_a_bogus_dash_period_is_a_notice_not_a_500(probed: Probed) -> None:
    body = {"output": "exec-body.children",
            "outputs": {"id": "exec-body", "property": "children"},
            "inputs": [{"id": "exec-period", "property": "value", "value": "bogus"}],
            "changedPropIds": [], "state": []}
    resp = probed.call("POST", "/dashboards/_dash-update-component", READ, json=body)
    assert resp.status_code == 200 and "unknown period" in resp.text


# 10 ----------------------------------------------------------------------------------------

def test_the_data_directory_is_private(probed: Probed) -> None:
    data = probed.server.data_dir

    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    assert mode(data) == 0o700
    assert mode(data / "clickhouse") == 0o700
    for name in ("spool/spool.sqlite", "keys.yaml", "leftover.txt", "audit-pending.lock"):
        assert mode(data / name) == 0o600, name
    def loose(path: Path) -> bool:
        try:
            return not path.is_symlink() and bool(mode(path) & 0o077)
        except FileNotFoundError:  # the engine's temporary part of an insert, gone meanwhile
            return False

    # os.walk, unlike rglob, skips a directory that vanishes while it walks
    found = [Path(top) / name for top, dirs, files in os.walk(data) for name in dirs + files]
    assert [p for p in found if loose(p)] == []
    assert "tightened the permissions" in probed.server.log.read_text()


# 11 ----------------------------------------------------------------------------------------

def test_the_login_form_resists_cross_site_posts_guessing_and_framing(probed: Probed) -> None:
    page = httpx.get(f"{probed.url}/dashboards/login", timeout=30)
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert login(probed, READ, origin="https://evil.example").status_code == 403
    spoofed = {"x-forwarded-for": "203.0.113.77"}
    statuses = [login(probed, "fsk_read_guess", **spoofed).status_code for _ in range(7)]
    throttled = statuses.index(429)  # earlier tests may have failed a login this minute
    assert 1 <= throttled <= 5 and set(statuses[:throttled]) == {401}
    assert set(statuses[throttled:]) == {429}
    items = probed.call("GET", "/api/v1/audit", params={"limit": "10000"}).json()["items"]
    assert "203.0.113.77" not in {i["remote"] for i in items}


# 12 ----------------------------------------------------------------------------------------

def test_connections_trickling_headers_are_closed_and_capped(probed: Probed) -> None:
    port = probed.server.port
    trickling = []
    for _ in range(60):
        try:
            conn = socket.create_connection(("127.0.0.1", port), timeout=5)
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            trickling.append(conn)
        except OSError:
            pass
    try:
        time.sleep(0.3)
        refused = 0
        for conn in trickling:
            conn.settimeout(0.05)
            try:
                if conn.recv(100).startswith(b"HTTP/1.1 503"):
                    refused += 1
            except (TimeoutError, OSError):
                pass
        assert refused >= 15  # beyond the cap of 40, answered at once
        deadline = time.monotonic() + 10
        open_ones = list(trickling)
        while open_ones and time.monotonic() < deadline:
            still = []
            for conn in open_ones:
                try:
                    conn.sendall(b"X")
                    conn.settimeout(0.01)
                    if conn.recv(200) == b"":
                        continue
                except (TimeoutError, BlockingIOError):
                    still.append(conn)
                    continue
                except OSError:
                    continue
            open_ones = still
            time.sleep(0.2)
        assert open_ones == [], f"{len(open_ones)} trickling connections still open"
        assert httpx.get(f"{probed.url}/healthz", timeout=5).status_code == 200
    finally:
        for conn in trickling:
            conn.close()


# 6 (last: it breaks the keys file) -----------------------------------------------------------

def test_a_keys_file_moved_away_emptied_or_broken_refuses_access(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    data = tmp_path_factory.mktemp("closed") / "data"
    admin = cli(data, "keys", "create", "--scope", "admin", "--name", "ops")
    server = Server(data).start()  # keys from the file only
    keys = data / "keys.yaml"

    def call(method: str, path: str, key: str | None = None, **kwargs: Any) -> int:
        headers = {"authorization": f"Bearer {key}"} if key else {}
        return httpx.request(method, f"{server.url}{path}", headers=headers, timeout=30,
                             **kwargs).status_code

    try:
        assert call("GET", "/api/v1/audit", admin) == 200
        keys.rename(keys.with_name("moved.yaml"))
        assert call("GET", "/api/v1/audit") == 401
        assert call("POST", "/api/v1/silences", json={}) == 401
        assert call("GET", "/api/v1/audit", admin) == 503
        keys.write_text("keys: []\n")
        assert call("GET", "/api/v1/audit") == 401
        assert call("POST", "/api/v1/silences", json={}) == 401
        keys.write_text("keys: [\n")
        assert call("GET", "/healthz") == 200
        assert call("GET", "/api/v1/flows") == 401
        assert call("GET", "/api/v1/audit", admin) == 503
    finally:
        server.stop()
    log = server.log.read_text()
    assert "is missing" in log and "cannot read the keys file" in log
