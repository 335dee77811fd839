"""The cost routes in process over a real engine: body shapes, exact money, spend import."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI

from catalog.model import Catalog, CostModel, PerCallPrice, Release, Step
from cost.routes import cost_router
from flowscope.csv_export import CsvExport
from flowscope.http_errors import install_error_handlers
from tests.asgi import InProcessClient
from tests.cost import scenario
from tests.cost.conftest import Recorder
from warehouse.port import Warehouse

ORDERS = replace(scenario.contract_flow(), releases=(
    Release("2.0", scenario.DAY2, "batch posting"), Release("3.0", date(2026, 6, 1))))
REFUNDS = replace(ORDERS, name="refund-to-ledger", baseline=None, investment=None,
                  steps=(Step("refund", service="payments", partner="stripe"),),
                  cost=CostModel(currency="USD", per_call=(PerCallPrice(Decimal("0.10"),
                                                                        partner="stripe"),)))
LEADS = replace(ORDERS, name="lead-to-demo", cost=None, baseline=None, investment=None,
                releases=(Release("1.4", scenario.DAY2),))
CATALOG = Catalog(flows=(ORDERS, REFUNDS, LEADS))
NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def app_client(wh: Warehouse | None) -> InProcessClient:
    """The cost routes over ``wh``, with the composition root's CSV export around them."""
    app = FastAPI()
    app.add_middleware(CsvExport)
    install_error_handlers(app)
    app.include_router(cost_router(CATALOG, lambda: wh, clock=lambda: NOW))
    return InProcessClient(app)


@pytest.fixture(scope="module")
def client(module_wh: Warehouse) -> InProcessClient:
    scenario.record(Recorder(module_wh, ORDERS.name))
    return app_client(module_wh)


def _sum(amounts: list[str]) -> Decimal:
    return sum((Decimal(a) for a in amounts), Decimal(0))


def test_the_cost_of_two_days_is_counted_to_the_cent(client: InProcessClient) -> None:
    body = client.get(f"/api/v1/flows/{ORDERS.name}/cost",
                      params={"from": "2026-03-10", "to": "2026-03-12"}).json()
    # 1.20 stripe + 0.006 erp-sync + 0.0002375 cpu + 2 x 1200/31 licence + 2 x 9.00 people;
    # unit costs exact: the licence's day is 38.709677419354838710 (18 places), the variable
    # cost 19.2062375 over 4 runs, the failed runs' 18.9040625 (shown 18.90) over 2
    assert {k: body[k] for k in ("flow", "from", "to", "currency", "runs_started", "successes",
                                 "failures", "total_cost", "cost_per_success", "failure_cost",
                                 "failure_cost_per_run", "marginal_cost_per_run")} == {
        "flow": "order-to-cash", "from": "2026-03-10", "to": "2026-03-12", "currency": "USD",
        "runs_started": 4, "successes": 1, "failures": 2, "total_cost": "96.63",
        "cost_per_success": "96.62559233870967742", "failure_cost": "18.90",
        "failure_cost_per_run": "9.45203125", "marginal_cost_per_run": "4.801559375"}
    assert body["by_category"] == {"per_call": "1.21", "compute": "0.00", "fixed": "77.42",
                                   "people": "18.00", "imported": "0.00"}
    assert body["interventions"] == {"dead_letters": 1, "replays": 1}


@pytest.mark.parametrize("parts", ["breakdown", "failure_breakdown", "by_category"],
                         ids=["breakdown lines add up to the shown total",
                              "failure lines add up to the shown failure cost",
                              "categories add up to the shown total"])
def test_displayed_parts_add_up(client: InProcessClient, parts: str) -> None:
    body = client.get(f"/api/v1/flows/{ORDERS.name}/cost",
                      params={"from": "2026-03-10", "to": "2026-03-12"}).json()
    found = body[parts]
    amounts = list(found.values()) if isinstance(found, dict) else [p["amount"] for p in found]
    total = body["failure_cost" if parts == "failure_breakdown" else "total_cost"]
    assert _sum(amounts) == Decimal(total)


def test_a_breakdown_line_names_its_step_partner_and_quantity(client: InProcessClient) -> None:
    body = client.get(f"/api/v1/flows/{ORDERS.name}/cost",
                      params={"from": "2026-03-10", "to": "2026-03-12"}).json()
    stripe = next(line for line in body["breakdown"] if line["label"] == "partner:stripe")
    assert stripe == {"category": "per_call", "label": "partner:stripe", "step": "payment",
                      "partner": "stripe", "quantity": "4", "unit": "call",
                      "unit_price": "0.30", "amount": "1.20"}


def test_roi_against_the_manual_baseline(client: InProcessClient) -> None:
    body = client.get("/api/v1/roi", params={"from": "2026-03-10", "to": "2026-03-12"}).json()
    orders = next(f for f in body["flows"] if f["flow"] == ORDERS.name)
    # baseline 9 min x 38/h = 5.70 per run; the series runs from 2026-01-01 (January and
    # February licence 2400, March 1-11 licence 425.806..., usage 19.2062375) minus 40000 build
    assert orders == {
        "flow": "order-to-cash", "currency": "USD", "successes": 1, "baseline_cost": "5.70",
        "actual_cost": "96.63", "savings": "-90.93", "baseline_cost_per_run": "5.70",
        "cost_per_success": "96.62559233870967742", "investment": "40000.00",
        "net_return": "-42839.31",
        "payback_date": None}
    refunds = next(f for f in body["flows"] if f["flow"] == REFUNDS.name)
    assert (refunds["baseline_cost"], refunds["net_return"]) == (None, None)
    assert body["total"] == {"currency": "USD", "baseline_cost": "5.70",
                             "actual_cost": "96.63", "savings": "-90.93",
                             "net_return": "-42839.31", "payback_date": None}


def test_each_release_is_compared_on_equal_stretches_of_days(client: InProcessClient) -> None:
    body = client.get(f"/api/v1/flows/{ORDERS.name}/releases", params={"to": "2026-03-12"}
                      ).json()
    assert (body["flow"], body["currency"], body["to"]) == ("order-to-cash", "USD", "2026-03-12")
    first, later = body["releases"]
    assert (first["version"], first["date"], first["note"]) == ("2.0", "2026-03-11",
                                                                "batch posting")
    # one complete day after 2.0 (2026-03-11), so one day before it: on 03-10 A succeeded and
    # B and C failed; it cost 4 stripe calls 1.20 (3 charges and B's PaymentFailed) + 2
    # erp-sync calls 0.004 (C's dead letter and A's InvoicePosted) + 4.75 CPU-s 0.0002375 +
    # the licence's day 1200/31 + C's intervention 9.00 = 48.9139149193548387...
    comparison = first["comparison"]
    assert comparison["days_each_side"] == 1
    assert comparison["before"] == {
        "from": "2026-03-10", "to": "2026-03-11", "days_with_data": 1, "successes": 1,
        "failures": 2, "success_rate": pytest.approx(1 / 3), "cost": "48.91",
        "cost_per_success": "48.91391491935483871"}
    # on 03-11 nothing succeeded (C's replay does not undo its failure) and nothing failed
    after = comparison["after"]
    assert (after["from"], after["to"], after["successes"], after["failures"],
            after["success_rate"], after["cost_per_success"]) == (
        "2026-03-11", "2026-03-12", 0, 0, None, None)
    assert comparison["cost_per_success_change"] is None
    assert comparison["cost_per_success_ratio"] is None
    assert later == {"version": "3.0", "date": "2026-06-01", "note": None, "comparison": None}


def test_tables_come_as_csv_when_asked(client: InProcessClient) -> None:
    window = {"from": "2026-03-10", "to": "2026-03-12"}
    cost = client.get(f"/api/v1/flows/{ORDERS.name}/cost", params={**window, "format": "csv"})
    assert cost.headers["content-type"] == "text/csv; charset=utf-8"
    lines = cost.text.splitlines()
    assert lines[0] == ("flow,from,to,currency,category,label,step,partner,quantity,unit,"
                        "unit_price,amount")
    assert ("order-to-cash,2026-03-10,2026-03-12,USD,per_call,partner:stripe,payment,stripe,4,"
            "call,0.30,1.20") in lines
    roi = client.get("/api/v1/roi", params=window, headers={"accept": "text/csv"})
    header, *rows = roi.text.splitlines()
    assert header.startswith("flow,currency,successes,baseline_cost,actual_cost,savings,")
    assert [r.split(",")[0] for r in rows] == ["order-to-cash", "refund-to-ledger"]
    assert client.get("/api/v1/roi", params=window).headers["content-type"] == (
        "application/json")
    releases = client.get(f"/api/v1/flows/{ORDERS.name}/releases",
                          params={"to": "2026-03-12", "format": "csv"}).text.splitlines()
    assert releases[0].startswith("flow,currency,version,date,note,days_each_side,before_from")
    assert ",48.91391491935483871," in releases[1]
    # an error stays JSON; a route without a table says which have one
    missing = client.get("/api/v1/flows/nope/cost", params={"format": "csv"})
    assert missing.status_code == 404 and "no flow named" in missing.json()["detail"]
    refused = client.get("/api/v1/nothing", params={"format": "csv"})
    assert refused.status_code == 406 and "/api/v1/roi" in refused.json()["detail"]


def test_a_flow_without_cost_model_compares_its_success_rate_only(client: InProcessClient) -> None:
    body = client.get(f"/api/v1/flows/{LEADS.name}/releases", params={"to": "2026-03-12"}
                      ).json()
    assert body["currency"] is None
    before = body["releases"][0]["comparison"]["before"]
    assert (before["successes"], before["cost"], before["cost_per_success"]) == (0, None, None)


@pytest.mark.parametrize(("path", "params", "status", "words"), [
    ("/api/v1/flows/nope/cost", {}, 404, "no flow named 'nope'"),
    ("/api/v1/flows/nope/releases", {}, 404, "no flow named 'nope'"),
    ("/api/v1/flows/order-to-cash/releases", {"to": "soon"}, 400, "to must be a day"),
    ("/api/v1/flows/lead-to-demo/cost", {}, 404, "declares no cost model"),
    ("/api/v1/flows/order-to-cash/cost", {"from": "yesterday"}, 400, "from must be a day"),
    ("/api/v1/flows/order-to-cash/cost", {"from": "2026-03-02", "to": "2026-03-01"}, 400,
     "must be after from"),
    ("/api/v1/roi", {"to": "2026-03-01T10:00:00Z"}, 400, "midnight UTC"),
    ("/api/v1/costs", {"from": "2000-01-01", "to": "2026-01-01"}, 400, "at most 3660 days"),
], ids=["an unknown flow is 404", "an unknown flow has no releases",
        "a malformed release day is 400", "a flow without cost model is 404",
        "a malformed day is 400", "a backwards range is 400",
        "an instant off midnight is 400", "a range of decades is 400"])
def test_bad_requests_are_refused(client: InProcessClient, path: str, params: dict[str, str],
                                  status: int, words: str) -> None:
    resp = client.get(path, params=params)
    assert resp.status_code == status
    assert words in resp.json()["detail"]


def test_a_warehouse_not_ready_is_503() -> None:
    resp = app_client(None).get("/api/v1/roi")
    assert resp.status_code == 503
    assert resp.headers["retry-after"] == "5"


def _line(**changes: Any) -> dict[str, Any]:
    line = {"id": "l-1", "date": "2026-05-01", "flow": "order-to-cash", "category": "licence",
            "amount": "12.50", "currency": "USD", "source": "erp"}
    line.update(changes)
    return {k: v for k, v in line.items() if v is not None}


def test_importing_twice_stores_each_line_once(client: InProcessClient) -> None:
    lines = [_line(source="twice"), _line(id="l-2", source="twice", amount="0.000001")]
    first = client.post("/api/v1/costs", json={"lines": lines}).json()
    again = client.post("/api/v1/costs", json={"lines": lines}).json()
    assert first == {"received": 2, "new": 2, "already_stored": 0}
    assert again == {"received": 2, "new": 0, "already_stored": 2}
    listed = client.get("/api/v1/costs", params={"from": "2026-05-01", "to": "2026-05-02"})
    stored = [line for line in listed.json()["lines"] if line["source"] == "twice"]
    assert [(line["id"], line["amount"]) for line in stored] == [("l-1", "12.50"),
                                                                 ("l-2", "0.000001")]


@pytest.mark.parametrize(("lines", "words"), [
    ([_line(), _line(id="l-2", amount=12.5)], "line 1, field 'amount'"),
    ([_line(amount="1e3")], "line 0, field 'amount'"),
    ([_line(date="2026-02-30")], "line 0, field 'date'"),
    ([_line(flow=None)], "line 0, field 'flow': give a flow or a partner"),
    ([_line(flow="nope")], "line 0, field 'flow'"),
    ([_line(flow=None, partner="dhl")], "line 0, field 'partner'"),
    ([_line(currency="EUR")], "line 0, field 'currency'"),
    ([_line(currency="usd")], "line 0, field 'currency'"),
    ([_line(), _line(category="")], "line 1, field 'category': is required"),
    ([_line(), _line()], "line 1, field 'id': repeats line 0"),
    ([_line(colour="red")], "line 0, field 'colour'"),
    (["text"], "line 0, field 'line'"),
], ids=["a float amount is refused", "an exponent amount is refused",
        "an impossible day is refused", "a line for nobody is refused",
        "an unknown flow is refused", "a partner no flow uses is refused",
        "another currency than the flow's is refused", "a lowercase currency is refused",
        "an empty category is refused", "a repeated line id is refused",
        "an unknown field is refused", "a line that is no object is refused"])
def test_bad_lines_are_refused_with_index_and_field(client: InProcessClient,
                                                    lines: list[Any], words: str) -> None:
    resp = client.post("/api/v1/costs", json={"lines": lines})
    assert resp.status_code == 400
    assert words in resp.json()["detail"]


def test_partner_spend_is_split_by_calls_and_adds_to_the_flow(
        client: InProcessClient, module_wh: Warehouse) -> None:
    at = datetime(2026, 4, 2, 9, tzinfo=UTC)
    for _ in range(3):
        Recorder(module_wh, ORDERS.name).span("P", "payments", "charge", at, timedelta(seconds=1))
    Recorder(module_wh, REFUNDS.name).span("R", "payments", "refund", at, timedelta(seconds=1))
    lines = [_line(id="inv", date="2026-04-02", flow=None, partner="stripe", amount="100.00",
                   source="stripe"),
             _line(id="lic", date="2026-04-02", amount="10.00", source="split")]
    assert client.post("/api/v1/costs", json={"lines": lines}).status_code == 200
    window = {"from": "2026-04-02", "to": "2026-04-03"}
    orders = client.get(f"/api/v1/flows/{ORDERS.name}/cost", params=window).json()
    refunds = client.get(f"/api/v1/flows/{REFUNDS.name}/cost", params=window).json()
    # stripe calls 3 : 1 -> 75.00 + 25.00; orders also 10.00 licence, 0.90 calls,
    # 0.00015 cpu, 1200/30 fixed
    assert orders["by_category"]["imported"] == "85.00"
    assert orders["total_cost"] == "125.90"
    assert (refunds["by_category"]["imported"], refunds["total_cost"]) == ("25.00", "25.10")
