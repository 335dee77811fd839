"""End to end: runs sent through the real ingest API (OTLP/HTTP JSON spans, CloudEvents), spend
imported with ``flowscope costs import`` (twice), and cost, ROI and ``flowscope cost`` checked
against numbers worked out by hand.

Day D (three days ago, UTC): four orders, each OrderPlaced (storefront) and one 2 s ``charge``
span (payments, partner stripe); three end with InvoicePosted, one with PaymentFailed
(payments). Prices: stripe 0.30 a call, 0.001 a CPU-second. So:

    calls      checkout 4 (events), payment 5 (4 spans + PaymentFailed) -> stripe 5 x 0.30 = 1.50
    compute    payment 8 s x 0.001 = 0.008
    imported   2.00 (licence line of the CSV)
    total      3.508 -> "3.51"; per success 3.508 / 3 -> "1.17"
    failure    the failed order: 2 stripe calls 0.60 + 2 s 0.002 = 0.602 -> "0.60"
    marginal   (1.50 + 0.008) / 4 runs = 0.377 -> "0.38"
    ROI        baseline 5 x 3 = 15, savings 11.492 -> "11.49", net 11.492 - 3 build -> "8.49",
               payback on D (the investment starts on D)
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from flowscope.cli import app
from tests.flowscope.conftest import Server

D = (datetime.now(UTC) - timedelta(days=3)).date()
WINDOW = {"from": D.isoformat(), "to": (D + timedelta(days=1)).isoformat()}

CATALOG = f"""\
apiVersion: flowscope/v1
flows:
  - name: order-to-cash
    correlation_key: order.id
    start:   {{event: OrderPlaced}}
    success: {{event: InvoicePosted}}
    failure: {{events: [PaymentFailed], dead_letter: true}}
    steps:
      - {{name: checkout, service: storefront}}
      - {{name: payment,  service: payments, partner: stripe}}
    cost:
      currency: USD
      per_call: [{{partner: stripe, price: "0.30"}}]
      compute: {{per_cpu_second: "0.001"}}
      people: {{hourly_rate: "60", minutes_per_intervention: 10}}
    baseline: {{cost_per_run: "5"}}
    investment: {{build: "3", since: "{D.isoformat()}"}}
  - name: lead-to-demo
    correlation_key: lead.id
    start:   {{event: LeadCaptured}}
    success: {{event: DemoBooked}}
"""

CSV = f"""id,date,flow,partner,category,amount,currency,source
lic-1,{D.isoformat()},order-to-cash,,licence,2.00,USD,erp
"""


def _ns(moment: datetime) -> str:
    return str((moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1) * 1000)


def event(order: str, type_: str, at: datetime, service: str) -> dict[str, Any]:
    return {"specversion": "1.0", "id": uuid.uuid4().hex, "source": "/e2e/cost",
            "type": type_, "time": at.isoformat().replace("+00:00", "Z"), "orderid": order,
            "servicename": service}


def span(order: str, at: datetime) -> dict[str, Any]:
    return {"traceId": uuid.uuid4().hex, "spanId": uuid.uuid4().hex[:16], "name": "charge",
            "kind": 2, "startTimeUnixNano": _ns(at),
            "endTimeUnixNano": _ns(at + timedelta(seconds=2)),
            "attributes": [{"key": "order.id", "value": {"stringValue": order}}]}


@pytest.fixture(scope="module")
def cost_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("cost-server")
    catalog = root / "catalog.yaml"
    catalog.write_text(CATALOG)
    srv = Server(root / "data", catalog=Path(catalog)).start()
    try:
        base = datetime(D.year, D.month, D.day, 10, tzinfo=UTC)
        events, spans = [], []
        for i in range(4):
            order, at = f"O-{i}-{uuid.uuid4().hex[:6]}", base + timedelta(minutes=10 * i)
            events.append(event(order, "OrderPlaced", at, "storefront"))
            spans.append(span(order, at + timedelta(minutes=1)))
            end = ("InvoicePosted", "erp-sync") if i < 3 else ("PaymentFailed", "payments")
            events.append(event(order, end[0], at + timedelta(minutes=2), end[1]))
        traces = {"resourceSpans": [{
            "resource": {"attributes": [{"key": "service.name",
                                         "value": {"stringValue": "payments"}}]},
            "scopeSpans": [{"scope": {"name": "e2e"}, "spans": spans}]}]}
        with httpx.Client(base_url=srv.url, timeout=30) as c:
            resp = c.post("/api/v1/events", content=json.dumps(events),
                          headers={"content-type": "application/cloudevents-batch+json"})
            assert resp.status_code == 200, resp.text
            resp = c.post("/v1/traces", json=traces)
            assert resp.status_code == 200, resp.text
        srv.wait_drained()
        yield srv
    finally:
        srv.stop()


def test_importing_the_csv_twice_stores_it_once(cost_server: Server, tmp_path: Path) -> None:
    path = tmp_path / "spend.csv"
    path.write_text(CSV)
    runner = CliRunner()
    first = runner.invoke(app, ["costs", "import", str(path), "--url", cost_server.url])
    again = runner.invoke(app, ["costs", "import", str(path), "--url", cost_server.url])
    assert first.exit_code == 0, first.output
    assert "1 new, 0 already stored" in first.stdout
    assert "0 new, 1 already stored" in again.stdout
    listed = httpx.get(f"{cost_server.url}/api/v1/costs", params=WINDOW, timeout=30).json()
    assert [(line["id"], line["amount"]) for line in listed["lines"]] == [("lic-1", "2.00")]


def test_a_bad_csv_row_is_named(cost_server: Server, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(CSV + f"lic-2,{D.isoformat()},order-to-cash,,licence,2.0.0,USD,erp\n")
    result = CliRunner().invoke(app, ["costs", "import", str(path), "--url", cost_server.url])
    assert result.exit_code == 1
    assert "row 3, field 'amount'" in result.stderr


@pytest.fixture(scope="module")
def imported(cost_server: Server, tmp_path_factory: pytest.TempPathFactory) -> Server:
    path = tmp_path_factory.mktemp("csv") / "spend.csv"
    path.write_text(CSV)
    result = CliRunner().invoke(app, ["costs", "import", str(path), "--url", cost_server.url])
    assert result.exit_code == 0, result.output
    return cost_server


def test_cost_per_success_over_the_day(imported: Server) -> None:
    body = httpx.get(f"{imported.url}/api/v1/flows/order-to-cash/cost", params=WINDOW,
                     timeout=30).json()
    assert {k: body[k] for k in ("from", "to", "currency", "runs_started", "successes",
                                 "failures", "total_cost", "cost_per_success",
                                 "failure_cost", "marginal_cost_per_run")} == {
        "from": WINDOW["from"], "to": WINDOW["to"], "currency": "USD", "runs_started": 4,
        "successes": 3, "failures": 1, "total_cost": "3.51",
        # unit costs exact: 3.508 over 3 successes, the variable 1.508 over 4 runs
        "cost_per_success": "1.169333333333333333", "failure_cost": "0.60",
        "marginal_cost_per_run": "0.377"}
    amounts = {line["label"]: line["amount"] for line in body["breakdown"]}
    assert amounts == {"partner:stripe": "1.50", "cpu:payment": "0.01",
                       "interventions": "0.00", "licence (erp)": "2.00"}


def test_roi_and_payback(imported: Server) -> None:
    body = httpx.get(f"{imported.url}/api/v1/roi", params=WINDOW, timeout=30).json()
    (flow,) = body["flows"]
    assert {k: flow[k] for k in ("baseline_cost", "actual_cost", "savings", "net_return",
                                 "payback_date")} == {
        "baseline_cost": "15.00", "actual_cost": "3.51", "savings": "11.49",
        "net_return": "8.49", "payback_date": D.isoformat()}
    assert body["total"]["payback_date"] == D.isoformat()


@pytest.mark.parametrize(("path", "status"), [
    ("/api/v1/flows/lead-to-demo/cost", 404), ("/api/v1/flows/nope/cost", 404),
    ("/api/v1/roi?from=tomorrow", 400)],
    ids=["a flow without cost model is 404", "an unknown flow is 404", "a bad day is 400"])
def test_refusals(cost_server: Server, path: str, status: int) -> None:
    assert httpx.get(f"{cost_server.url}{path}", timeout=30).status_code == status


def test_cost_command_prints_the_same(imported: Server) -> None:
    runner = CliRunner()
    args = ["cost", "--url", imported.url, "--from", WINDOW["from"], "--to", WINDOW["to"]]
    as_json = runner.invoke(app, [*args, "--flow", "order-to-cash", "--json"])
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout)["total_cost"] == "3.51"
    every = runner.invoke(app, [*args, "--json"])
    assert [b["flow"] for b in json.loads(every.stdout)["flows"]] == ["order-to-cash"]
    table = runner.invoke(app, [*args, "--flow", "order-to-cash"])
    assert table.exit_code == 0, table.output
    assert "Cost per successful run" in table.stdout and "3.51" in table.stdout
    assert "breakdown (USD)" in table.stdout and "1.50" in table.stdout

