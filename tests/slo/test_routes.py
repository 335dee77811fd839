"""The flow routes: bodies, and 400 / 404 / 503 with clear messages (in-process ASGI client)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import FastAPI

from catalog.model import Catalog
from flowscope.http_errors import install_error_handlers
from slo.routes import slo_router
from slo.sketch import RELATIVE_ERROR
from tests.asgi import InProcessClient
from tests.slo.conftest import AT, Recorder, catalog_flow, flow_name
from warehouse.port import QueryLimits, Warehouse

M = timedelta(minutes=1)


def client(catalog: Catalog, wh: Warehouse | None) -> InProcessClient:
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(slo_router(catalog, lambda: wh, clock=lambda: AT))
    return InProcessClient(app)


@pytest.fixture(scope="module")
def stored(migrated: Warehouse) -> Recorder:
    runs = Recorder(migrated, flow_name())
    with runs.batch():
        for i in range(9):
            runs.start(f"ok-{i}", AT - (10 + i) * M)
            runs.success(f"ok-{i}", AT - (9 + i) * M)
        runs.start("ko", AT - 3 * M)
        runs.failure("ko", AT - 2 * M)
    return runs


@pytest.fixture()
def ready(stored: Recorder) -> InProcessClient:
    return client(Catalog(flows=(catalog_flow(stored.flow),)), stored.wh)


@pytest.fixture()
def starting() -> InProcessClient:
    return client(Catalog(flows=(catalog_flow("order-to-cash", owner="payments"),)), None)


def test_the_flow_list_answers_from_the_catalog_before_the_warehouse_is_ready(
        starting: InProcessClient) -> None:
    body = starting.get("/api/v1/flows").json()
    (flow,) = body["flows"]
    assert flow["name"] == "order-to-cash" and flow["owner"] == "payments"
    assert flow["correlation_key"] == "order.id"
    assert flow["steps"][1] == {"name": "payment", "service": "payments", "partner": None}
    assert flow["status"] is None


def test_the_flow_list_carries_each_flows_status(ready: InProcessClient, stored: Recorder) -> None:
    (flow,) = ready.get("/api/v1/flows").json()["flows"]
    status = flow["status"]
    assert status["at"] == "2026-03-10T12:00:00Z"
    rate = next(s for s in status["slos"] if s["name"] == "success-rate")
    assert rate["sli"] == pytest.approx(0.9)
    assert rate["budget_remaining"] == pytest.approx(1 - 0.1 / 0.01)
    assert status["severity"] == "page"


def test_the_slo_body(ready: InProcessClient, stored: Recorder) -> None:
    body = ready.get(f"/api/v1/flows/{stored.flow}/slos").json()
    assert body["at"] == "2026-03-10T12:00:00Z"
    rate = next(s for s in body["slos"] if s["name"] == "success-rate")
    assert (rate["objective"], rate["period"], rate["good"], rate["bad"]) == (99.0, "30d", 9, 1)
    assert set(rate["windows"]) == {"5m", "30m", "1h", "2h", "6h", "1d", "3d"}
    assert rate["windows"]["5m"] == {"good": 0, "bad": 1, "error_ratio": 1.0,
                                     "burn_rate": pytest.approx(100.0)}
    # the failure at -2m is alone in 5m; 30m and longer hold 9 good and 1 bad.
    # 1h: 0.1 is not above 14.4 x 0.01; 6h and 30m: 0.1 is above 6 x 0.01.
    tiers = [(a["severity"], a["long_window"], a["short_window"], a["factor"], a["firing"])
             for a in rate["alerts"]]
    assert tiers == [("page", "1h", "5m", pytest.approx(14.4), False),
                     ("page", "6h", "30m", pytest.approx(6.0), True),
                     ("ticket", "1d", "2h", pytest.approx(3.0), True),
                     ("ticket", "3d", "6h", pytest.approx(1.0), True)]
    assert rate["exhaustion"] == {"in_seconds": 0.0, "at": "2026-03-10T12:00:00Z"}
    assert rate["period_start"] == "2026-02-08T12:00:00Z"


def test_an_slo_body_at_an_earlier_instant(ready: InProcessClient, stored: Recorder) -> None:
    body = ready.get(f"/api/v1/flows/{stored.flow}/slos",
                     params={"at": "2026-03-10T11:55:00+00:00"}).json()
    rate = next(s for s in body["slos"] if s["name"] == "success-rate")
    assert (rate["good"], rate["bad"]) == (9, 0)  # the failure at 11:58 is after 11:55
    assert rate["exhaustion"] is None


def test_flow_detail_latency_and_health_answer(ready: InProcessClient, stored: Recorder) -> None:
    detail = ready.get(f"/api/v1/flows/{stored.flow}").json()
    assert detail["start"] == {"events": ["OrderPlaced"], "service": None, "span": None}
    assert detail["slos"][1]["latency_threshold"] == "2m"
    assert detail["status"]["severity"] == "page"
    latency = ready.get(f"/api/v1/flows/{stored.flow}/latency",
                        params={"from": "2026-03-10T11:00:00Z", "step": "30m"}).json()
    # nine runs of one minute: every percentile is 60 s, read back within 0.99 %
    assert latency["flow_time"]["count"] == 9
    assert [latency["flow_time"][p] for p in ("p50_ms", "p95_ms", "p99_ms")] == pytest.approx(
        [60000.0] * 3, rel=RELATIVE_ERROR)
    assert [b["flow_time"]["count"] for b in latency["series"]] == [0, 9]
    health = ready.get(f"/api/v1/flows/{stored.flow}/health",
                       params={"from": "2026-03-10T11:00:00Z"}).json()
    assert (health["runs"], health["succeeded"], health["failed"]) == (10, 9, 1)


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        pytest.param("/api/v1/flows/nope", 404, "no flow named 'nope'", id="an unknown flow"),
        pytest.param("/api/v1/flows/nope/slos", 404, "no flow named", id="slos of an unknown flow"),
        pytest.param("/api/v1/flows/order-to-cash/slos", 503, "not ready",
                     id="slos before the warehouse is ready"),
        pytest.param("/api/v1/flows/order-to-cash/slos?at=yesterday", 400, "RFC 3339",
                     id="an at that is not a time"),
        pytest.param("/api/v1/flows/order-to-cash/slos?at=2026-03-10T12:00:00", 400,
                     "time zone", id="an at without a time zone"),
        pytest.param("/api/v1/flows/order-to-cash/latency?step=5x", 400, "step must be",
                     id="a step that is not a duration"),
        pytest.param("/api/v1/flows/order-to-cash/health?from=2026-03-10T11:00:00Z", 503,
                     "not ready", id="health before the warehouse is ready"),
        pytest.param("/api/v1/flows/order-to-cash/health?from=2026-03-10T13:00:00Z", 400,
                     "must end after it starts", id="a backwards range, even before it is ready"),
        pytest.param("/api/v1/flows/order-to-cash/slos?at=0001-01-01T00:00:00Z", 400,
                     "at must lie between 1970-01-01 and 2200-01-01", id="an at in year 1"),
    ],
)
def test_refusals(starting: InProcessClient, path: str, status: int, message: str) -> None:
    resp = starting.get(path)
    assert resp.status_code == status
    assert message in resp.json()["detail"]
    if status == 503:
        assert resp.headers["retry-after"] == "5"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        pytest.param({"from": "2026-03-10T13:00:00Z"}, "must end after it starts",
                     id="a range that ends before it starts"),
        pytest.param({"from": "2026-01-01T00:00:00Z", "step": "1m"}, "at most 1000 buckets",
                     id="a series with too many buckets"),
    ],
)
def test_bad_ranges_are_400(ready: InProcessClient, stored: Recorder, params: dict[str, str],
                            message: str) -> None:
    resp = ready.get(f"/api/v1/flows/{stored.flow}/latency", params=params)
    assert resp.status_code == 400
    assert message in resp.json()["detail"]


def test_a_read_stopped_by_its_limits_is_503_saying_which_and_no_engine_text(
        chdb_dsn: str, stored: Recorder) -> None:
    tiny = QueryLimits(max_memory_bytes=1024)
    with Warehouse.connect(chdb_dsn, database=stored.wh.database, limits=tiny) as limited:
        resp = client(Catalog(flows=(catalog_flow(stored.flow),)), limited).get(
            f"/api/v1/flows/{stored.flow}/slos")
    assert resp.status_code == 503 and resp.headers["retry-after"] == "5"
    assert "query memory limit" in resp.json()["detail"]
    assert "DB::Exception" not in resp.text and "Code:" not in resp.text
