"""End to end: runs with known outcomes and times sent as CloudEvents to a real server; every
window's counts, burn rates and tier states checked against numbers worked out by hand.

The evaluation instant T is a whole minute just before the test starts; every event is stamped
before T and the SLOs are read ``?at=T``. Terminal events are sent first and starts after, so
the server sees most runs out of order. Runs, by group (start -> end, relative to T):

    A   3 runs  -3m  -> failure -2m
    B  10 runs  -21m -> success -20m   (flow time 1m)
    C  20 runs  -51m -> success -50m
    D   5 runs  -91m -> failure -90m
    E  30 runs  -183m -> success -180m (flow time 3m: over the 2m threshold)
    F 100 runs  -10h30s -> success -10h (30 s)
    G   2 runs  -40m -> nothing        (outlive 2m at -38m)
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
from tests.flowscope.orders import order_event, rfc3339

CATALOG = """\
apiVersion: flowscope/v1
flows:
  - name: order-to-cash
    owner: payments-team
    correlation_key: order.id
    start:   {event: OrderPlaced}
    success: {event: InvoicePosted}
    failure: {events: [PaymentFailed], dead_letter: true}
    steps:
      - {name: checkout, service: storefront}
    slos:
      - {name: success-rate, objective: 99, period: 30d}
      - {name: posted-in-2m, objective: 95, period: 30d, latency: {threshold: 2m}}
    alerting: {windows: google-30d}
"""

M, H = timedelta(minutes=1), timedelta(hours=1)
T = (datetime.now(UTC) - M).replace(second=0, microsecond=0)
GROUPS = {  # name: (runs, start offset, end offset or None, succeeds)
    "A": (3, -3 * M, -2 * M, False),
    "B": (10, -21 * M, -20 * M, True),
    "C": (20, -51 * M, -50 * M, True),
    "D": (5, -91 * M, -90 * M, False),
    "E": (30, -183 * M, -180 * M, True),
    "F": (100, -10 * H - timedelta(seconds=30), -10 * H, True),
    "G": (2, -40 * M, None, False),
}
WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
EXPECTED = {  # (good, bad) per window, then the period
    "success-rate": [(0, 3), (10, 3), (30, 3), (30, 8), (60, 8), (160, 8), (160, 8), (160, 8)],
    "posted-in-2m": [(0, 3), (10, 3), (30, 5), (30, 10), (30, 40), (130, 40), (130, 40),
                     (130, 40)],
}
BUDGET = {"success-rate": 0.01, "posted-in-2m": 0.05}
# tiers of google-30d in order: page 1h/5m, page 6h/30m, ticket 1d/2h, ticket 3d/6h
FIRING = {"success-rate": [False, True, True, True], "posted-in-2m": [False, False, True, True]}


def event(order: str, type_: str, at: datetime) -> dict[str, Any]:
    return order_event(order, type_, at, source="/e2e/orders")


@pytest.fixture(scope="module")
def slo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("slo-server")
    catalog = root / "catalog.yaml"
    catalog.write_text(CATALOG)
    srv = Server(root / "data", catalog=Path(catalog)).start()
    try:
        ends, starts = [], []
        for group, (count, start, end, succeeds) in GROUPS.items():
            for i in range(count):
                order = f"{group}-{i}-{uuid.uuid4().hex[:6]}"
                starts.append(event(order, "OrderPlaced", T + start))
                if end is not None:
                    kind = "InvoicePosted" if succeeds else "PaymentFailed"
                    ends.append(event(order, kind, T + end))
        headers = {"content-type": "application/cloudevents-batch+json"}
        with httpx.Client(base_url=srv.url, timeout=30) as c:
            for batch in (ends, starts):  # terminal events first: out of order
                resp = c.post("/api/v1/events", content=json.dumps(batch), headers=headers)
                assert resp.status_code == 200 and resp.json()["accepted"] == len(batch)
        srv.wait_drained()
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def slos(slo_server: Server) -> dict[str, dict[str, Any]]:
    resp = httpx.get(f"{slo_server.url}/api/v1/flows/order-to-cash/slos",
                     params={"at": rfc3339(T)}, timeout=30)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["at"] == rfc3339(T)
    return {s["name"]: s for s in body["slos"]}


@pytest.mark.parametrize("slo", ["success-rate", "posted-in-2m"])
def test_every_window_counts_runs_where_they_became_determinate(
        slos: dict[str, dict[str, Any]], slo: str) -> None:
    body = slos[slo]
    found = [(body["windows"][w]["good"], body["windows"][w]["bad"]) for w in WINDOWS]
    assert [*found, (body["good"], body["bad"])] == EXPECTED[slo]


@pytest.mark.parametrize("slo", ["success-rate", "posted-in-2m"])
def test_error_ratios_and_burn_rates(slos: dict[str, dict[str, Any]], slo: str) -> None:
    for window, (good, bad) in zip(WINDOWS, EXPECTED[slo], strict=False):
        result = slos[slo]["windows"][window]
        assert result["error_ratio"] == pytest.approx(bad / (good + bad)), window
        assert result["burn_rate"] == pytest.approx(bad / (good + bad) / BUDGET[slo]), window


@pytest.mark.parametrize("slo", ["success-rate", "posted-in-2m"])
def test_tier_states(slos: dict[str, dict[str, Any]], slo: str) -> None:
    alerts = slos[slo]["alerts"]
    assert [(a["severity"], a["long_window"], a["short_window"]) for a in alerts] == [
        ("page", "1h", "5m"), ("page", "6h", "30m"), ("ticket", "1d", "2h"),
        ("ticket", "3d", "6h")]
    assert [a["factor"] for a in alerts] == pytest.approx([14.4, 6, 3, 1])
    assert [a["firing"] for a in alerts] == FIRING[slo]


@pytest.mark.parametrize("slo", ["success-rate", "posted-in-2m"])
def test_budget_and_exhaustion(slos: dict[str, dict[str, Any]], slo: str) -> None:
    good, bad = EXPECTED[slo][-1]
    body = slos[slo]
    assert body["sli"] == pytest.approx(good / (good + bad))
    assert body["budget_remaining"] == pytest.approx(1 - bad / (good + bad) / BUDGET[slo])
    assert body["exhaustion"] == {"in_seconds": 0.0, "at": rfc3339(T)}  # already overspent


def test_the_flow_list_shows_the_most_urgent_firing_severity(slo_server: Server) -> None:
    resp = httpx.get(f"{slo_server.url}/api/v1/flows", params={"at": rfc3339(T)}, timeout=30)
    (flow,) = resp.json()["flows"]
    assert flow["status"]["severity"] == "page"
    assert [s["severity"] for s in flow["status"]["slos"]] == ["page", "ticket"]


def test_slo_status_command(slo_server: Server) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["slo", "status", "--url", slo_server.url, "--at", rfc3339(T),
                                 "--json"])
    assert result.exit_code == 0, result.output
    (body,) = json.loads(result.stdout)["flows"]
    assert [s["good"] for s in body["slos"]] == [160, 130]
    table = runner.invoke(app, ["slo", "status", "--url", slo_server.url, "--at", rfc3339(T)])
    assert table.exit_code == 0
    assert "SLO status" in table.stdout and "now" in table.stdout  # budgets already exhausted
    missing = runner.invoke(app, ["slo", "status", "--url", slo_server.url, "--flow", "nope"])
    assert missing.exit_code == 1
    assert "no flow named 'nope'" in missing.stderr
