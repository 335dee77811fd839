"""``flowscope serve --catalog FOLDER``: SLOs from OpenSLO files are evaluated, exposed and
alerted on exactly like the same SLOs written in the flowscope catalog."""

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

CATALOG = """\
apiVersion: flowscope/v1
flows:
  - name: order-to-cash
    correlation_key: order.id
    start:   {event: OrderPlaced}
    success: {event: InvoicePosted}
    failure: {events: [PaymentFailed]}
    slos:
      - {name: success-rate, objective: 99, period: 30d}
      - {name: posted-in-2m, objective: 95, period: 30d, latency: {threshold: 2m}}
    alerting: {windows: google-30d}
"""
SOURCE = "{type: flowscope, spec: {flow: order-to-cash, %s}}"
OPENSLO = f"""\
apiVersion: openslo/v1
kind: SLO
metadata: {{name: openslo-success-rate}}
spec:
  budgetingMethod: Occurrences
  timeWindow: [{{duration: 30d, isRolling: true}}]
  objectives: [{{target: 0.99}}]
  alertPolicies:
  indicator:
    spec:
      ratioMetric:
        good: {{metricSource: {SOURCE % "runs: success"}}}
        total: {{metricSource: {SOURCE % "runs: all"}}}
---
apiVersion: openslo/v1
kind: SLI
metadata: {{name: flow-time}}
spec:
  thresholdMetric: {{metricSource: {SOURCE % "metric: flow_time, unit: s"}}}
---
apiVersion: openslo/v1
kind: SLO
metadata: {{name: openslo-posted-in-2m}}
spec:
  budgetingMethod: Occurrences
  timeWindow: [{{duration: 30d, isRolling: true}}]
  objectives: [{{op: lte, value: 120, targetPercent: 95}}]
  indicatorRef: flow-time
"""
M = timedelta(minutes=1)
T = (datetime.now(UTC) - M).replace(second=0, microsecond=0)
RUNS = [(-30 * M, -29 * M, True)] * 6 + [(-20 * M, -16 * M, True)] * 3 + [
    (-10 * M, -9 * M, False)] * 2  # (start, end, succeeded) relative to T


def _event(order: str, type_: str, at: datetime) -> dict[str, Any]:
    return {"specversion": "1.0", "id": uuid.uuid4().hex, "source": "/e2e", "type": type_,
            "time": at.isoformat().replace("+00:00", "Z"), "orderid": order}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("openslo") / "catalog"
    root.mkdir()
    (root / "flows.yaml").write_text(CATALOG)
    (root / "slos.yaml").write_text(OPENSLO)
    return root


@pytest.fixture(scope="module")
def served(folder: Path) -> Iterator[Server]:
    srv = Server(folder.parent / "data", catalog=folder).start()
    try:
        batch = []
        for i, (start, end, succeeded) in enumerate(RUNS):
            order = f"R{i}-{uuid.uuid4().hex[:6]}"
            batch += [_event(order, "OrderPlaced", T + start),
                      _event(order, "InvoicePosted" if succeeded else "PaymentFailed", T + end)]
        with httpx.Client(base_url=srv.url, timeout=30) as client:
            resp = client.post("/api/v1/events", content=json.dumps(batch),
                               headers={"content-type": "application/cloudevents-batch+json"})
            assert resp.status_code == 200 and resp.json()["accepted"] == len(batch)
        srv.wait_drained()
        yield srv
    finally:
        srv.stop()


@pytest.mark.parametrize("native", ["success-rate", "posted-in-2m"])
def test_an_imported_slo_is_evaluated_like_its_native_twin(served: Server, native: str) -> None:
    resp = httpx.get(f"{served.url}/api/v1/flows/order-to-cash/slos",
                     params={"at": T.isoformat().replace("+00:00", "Z")}, timeout=30)
    assert resp.status_code == 200, resp.text
    slos = {s["name"]: s for s in resp.json()["slos"]}
    assert list(slos) == ["success-rate", "posted-in-2m", "openslo-success-rate",
                          "openslo-posted-in-2m"]
    twin = dict(slos[f"openslo-{native}"], name=native)
    assert twin == slos[native]
    assert slos[native]["sli"] is not None


def test_imported_slos_are_exposed_as_metrics(served: Server) -> None:
    text = httpx.get(f"{served.url}/metrics", timeout=30).text
    for name in ("openslo-success-rate", "openslo-posted-in-2m"):
        assert f'flowscope_slo_objective_ratio{{flow="order-to-cash",slo="{name}"}}' in text


def test_prometheus_rules_alert_on_imported_slos(folder: Path) -> None:
    result = CliRunner().invoke(app, ["rules", "prometheus", "--catalog", str(folder)])
    assert result.exit_code == 0, result.output
    for name in ("success-rate", "openslo-success-rate", "openslo-posted-in-2m"):
        assert f'slo: {name}' in result.output


def test_check_accepts_the_folder_and_lists_the_imports(folder: Path) -> None:
    result = CliRunner().invoke(app, ["check", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["format"], report["slos"]) == ("mixed", 4)
    assert [(i["name"], i["latency_threshold"]) for i in report["imported"]] == [
        ("openslo-success-rate", None), ("openslo-posted-in-2m", "2m")]
