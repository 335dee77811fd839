"""The demo's traffic: planned runs fit the example catalog, the backfill's batches are accepted by
a real server and its runs reach the SLO API, live runs go through the OpenTelemetry SDK."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from catalog.spec import load_catalog
from flowscope.demo.backfill import (
    BackfillReport,
    backfill,
    plan_history,
    read_marker,
    write_marker,
)
from flowscope.demo.flows import plan_lead, plan_order, plan_refund
from flowscope.demo.launcher import EXAMPLE_CATALOG, banner, outages_around
from flowscope.demo.plan import NS, Run, Volume, hour_weight
from flowscope.demo.releases import release_instant_ns
from flowscope.demo.traffic import LiveTraffic
from flowscope.demo.wire import otlp_body
from tests.flowscope.conftest import Server

CATALOG = load_catalog(EXAMPLE_CATALOG)
FLOWS = {flow.name: flow for flow in CATALOG.flows}
START = int(datetime(2026, 3, 4, 9, tzinfo=UTC).timestamp()) * NS  # a Wednesday morning
HOUR = 3600 * NS
Planner = Callable[[random.Random, int, bool], Run]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("demo"), catalog=EXAMPLE_CATALOG).start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.mark.parametrize(
    "planner",
    [plan_order, plan_lead, plan_refund],
    ids=["orders", "leads", "refunds"],
)
def test_every_event_a_run_emits_is_named_by_its_flow(planner: Planner) -> None:
    rnd = random.Random(1)
    runs = [planner(rnd, START, i % 2 == 0) for i in range(400)]
    flow = FLOWS[runs[0].flow]
    assert {e.type for r in runs for e in r.events} <= flow.event_types()
    assert all(e.key == flow.correlation_key for r in runs for e in r.events)
    services = {s.service for s in flow.steps}
    assert {s.service for r in runs for s in r.spans} <= services
    assert all(s.end_ns > s.start_ns for r in runs for s in r.spans)


@pytest.mark.parametrize(
    ("outage", "low", "high"),
    [(False, 0.0, 0.01), (True, 0.2, 0.4)],
    ids=["without an outage almost every order succeeds", "a Stripe outage fails ~30 %"],
)
def test_outage_failure_share(outage: bool, low: float, high: float) -> None:
    rnd = random.Random(2)
    runs = [plan_order(rnd, START, outage) for _ in range(2000)]
    share = sum(r.outcome == "failure" for r in runs) / len(runs)
    assert low <= share <= high


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (datetime(2026, 3, 4, 14, tzinfo=UTC), datetime(2026, 3, 4, 3, tzinfo=UTC)),
        (datetime(2026, 3, 4, 14, tzinfo=UTC), datetime(2026, 3, 7, 14, tzinfo=UTC)),
    ],
    ids=["afternoons are busier than nights", "weekdays are busier than Saturdays"],
)
def test_traffic_curve(a: datetime, b: datetime) -> None:
    assert hour_weight(int(a.timestamp()) * NS) > hour_weight(int(b.timestamp()) * NS)


@pytest.mark.parametrize(
    ("content", "expected"),
    [(None, 123), ("not json", None), ('{"until_ns": "x"}', None)],
    ids=["a written marker reads back", "a broken marker is ignored", "a wrong type is ignored"],
)
def test_marker(tmp_path: Path, content: str | None, expected: int | None) -> None:
    if content is None:
        write_marker(tmp_path, 123, BackfillReport(1, 2, 3, 4, 5, 0.1))
    else:
        (tmp_path / "demo-history.json").write_text(content)
    assert read_marker(tmp_path) == expected


def test_an_otlp_body_holds_one_resource_per_service() -> None:
    run = plan_order(random.Random(3), START, False)
    request = ExportTraceServiceRequest.FromString(otlp_body(run.spans))
    assert sum(len(ss.spans) for rs in request.resource_spans for ss in rs.scope_spans) == len(
        run.spans
    )
    names = [rs.resource.attributes[0].value.string_value for rs in request.resource_spans]
    assert sorted(names) == sorted({s.service for s in run.spans})


def test_the_banner_names_the_dashboards_and_the_order_to_trace() -> None:
    text = banner("http://127.0.0.1:4318", "A-12345678")
    assert "flowscope trace A-12345678" in text
    assert "/dashboards/trace?id=A-12345678" in text
    for page in ("executive", "oncall", "trace"):
        assert f"http://127.0.0.1:4318/dashboards/{page}" in text
    assert "/api/v1/flows/order-to-cash/slos" in text


def test_the_banner_names_both_otlp_endpoints() -> None:
    text = banner("http://127.0.0.1:4318", "A-1", "127.0.0.1:4317")
    assert "OTLP/HTTP http://127.0.0.1:4318/v1/traces, OTLP/gRPC 127.0.0.1:4317" in text
    assert "gRPC" not in banner("http://127.0.0.1:4318", "A-1")


def test_the_current_outage_spans_the_start() -> None:
    now = START
    assert any(lo < now < hi for lo, hi in outages_around(now))


def _expected_order_counts(runs: list[Run], at_ns: int) -> tuple[int, int]:
    """(good, bad) of order-to-cash's success-rate SLO at ``at_ns``, by the semantics."""
    good = bad = 0
    for run in runs:
        if run.flow != "order-to-cash":
            continue
        ends = [
            (e.time_ns, e.type == "InvoicePosted") for e in run.events if e.type != "OrderPlaced"
        ]
        ends += [(s.start_ns, False) for s in run.spans if "dead-letter" in s.name]
        first = min(ends, key=lambda end: (end[0], end[1]))
        if first[0] < at_ns:
            good += first[1]
            bad += not first[1]
    return good, bad


def test_backfill_is_accepted_and_the_slo_api_counts_its_runs(server: Server) -> None:
    volume = Volume(orders=1500, leads=300, refunds=100)
    outages = ((START + HOUR, START + 2 * HOUR),)
    end = START + 3 * HOUR
    report = backfill(server.url, start_ns=START, end_ns=end, volume=volume, outages=outages)
    runs = [r for hour in plan_history(START, end, volume, outages) for r in hour]
    assert report.runs == len(runs) > 100
    assert report.sample.startswith("A-")
    server.wait_drained()
    at_ns = end + 6 * HOUR
    at = datetime.fromtimestamp(at_ns / NS, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = httpx.get(f"{server.url}/api/v1/flows/order-to-cash/slos", params={"at": at}).json()
    rate = next(s for s in body["slos"] if s["name"] == "success-rate")
    good, bad = _expected_order_counts(runs, at_ns)
    assert (rate["good"], rate["bad"]) == (good, bad)
    assert bad > 0
    trace = httpx.get(f"{server.url}/api/v1/correlations/{report.sample}").json()
    assert trace["flow"] == "order-to-cash"


def test_live_runs_go_through_the_sdk_with_their_planned_ids(server: Server) -> None:
    traffic = LiveTraffic(server.url, seed=5)
    now = time.time_ns()
    run = traffic.start_run(now - HOUR)
    while run.flow != "order-to-cash":
        run = traffic.start_run(now - HOUR)
    traffic.send_due(now)
    traffic.stop()
    assert not traffic.queue
    server.wait_drained()
    trace = httpx.get(f"{server.url}/api/v1/correlations/{run.correlation_id}").json()
    spans = {(i["span_id"], i["parent_span_id"]) for i in trace["items"] if i["kind"] == "span"}
    assert spans == {(s.span_id.hex(), s.parent_id.hex()) for s in run.spans}
    assert sum(i["kind"] == "event" for i in trace["items"]) == len(run.events)


def _order_cost(server: Server, day: date) -> tuple[float, Decimal]:
    """(Stripe calls per run started, cost per success) of order-to-cash on ``day``."""
    window = {"from": day.isoformat(), "to": date.fromordinal(day.toordinal() + 1).isoformat()}
    body = httpx.get(
        f"{server.url}/api/v1/flows/order-to-cash/cost", params=window, timeout=60
    ).json()
    stripe = next(line for line in body["breakdown"] if line["label"] == "partner:stripe")
    return float(stripe["quantity"]) / body["runs_started"], Decimal(body["cost_per_success"])


def test_the_release_in_the_history_shows_in_the_cost_api(server: Server) -> None:
    # Tuesday before the release, Wednesday after it. Per order: 1.242 Stripe calls before
    # (0.238 of charges polled), 1.004 after; cost per success about 0.30 x calls + 0.004
    # erp-sync + 1450/28 / 1500 fixed = 0.411 before, 0.340 after (ratio 0.83).
    before, after = date(2026, 2, 10), date(2026, 2, 11)
    release = release_instant_ns(after)
    backfill(
        server.url,
        start_ns=release - 24 * HOUR,
        end_ns=release + 24 * HOUR,
        volume=Volume(orders=1500, leads=300, refunds=0),
        release_ns=release,
    )
    server.wait_drained()
    calls_before, cost_before = _order_cost(server, before)
    calls_after, cost_after = _order_cost(server, after)
    assert 1.20 <= calls_before <= 1.29
    assert 0.99 <= calls_after <= 1.02
    assert Decimal("0.78") <= cost_after / cost_before <= Decimal("0.88")
