"""Operations surface: /metrics names, health and readiness, and the `flowscope trace` command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.flowscope.conftest import Server
from tests.flowscope.orders import lookup, otlp_request


@pytest.mark.parametrize(
    "name",
    [
        'flowscope_items_received_total{signal="spans"}',
        'flowscope_items_accepted_total{signal="spans"}',
        'flowscope_items_rejected_total{reason="decode",signal="spans"}',
        "flowscope_spool_entries",
        "flowscope_spool_oldest_age_seconds",
        'flowscope_warehouse_insert_seconds_count{signal="spans"}',
        'flowscope_warehouse_batch_rows_sum{signal="spans"}',
    ],
    ids=[
        "received items are counted",
        "accepted items are counted",
        "rejected items are counted by reason",
        "the spool depth is exposed",
        "the oldest spooled item's age is exposed",
        "insert latency is a histogram",
        "batch size is a histogram",
    ],
)
def test_metrics_expose_ingest_and_spool_figures(client: httpx.Client, name: str) -> None:
    order_id = f"M-{uuid.uuid4().hex[:8]}"
    client.post(
        "/v1/traces",
        content=otlp_request(order_id, 2),
        headers={"content-type": "application/x-protobuf"},
    )
    client.post(
        "/v1/traces", content=b"\x0a\xff", headers={"content-type": "application/x-protobuf"}
    )
    lookup(client, order_id, expect=2)
    text = client.get("/metrics").text
    values = {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }
    assert name in values
    if not name.startswith("flowscope_spool"):
        assert values[name] >= 1


def test_health_and_readiness_answer(client: httpx.Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    deadline = time.monotonic() + 60
    while not (rollups := client.get("/readyz").json()["rollups"])["current"]:
        assert time.monotonic() < deadline, rollups  # the follower builds, then says so
        time.sleep(0.5)
    assert rollups["building"] == [] and rollups["detail"] == ""


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "160"}
    return subprocess.run(
        [sys.executable, "-m", "flowscope", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def test_the_trace_command_prints_every_hop_as_a_timeline(
    server: Server, client: httpx.Client
) -> None:
    order_id = f"T-{uuid.uuid4().hex[:8]}"
    client.post(
        "/v1/traces",
        content=otlp_request(order_id, 3),
        headers={"content-type": "application/x-protobuf"},
    )
    lookup(client, order_id, expect=3)
    table = run_cli("trace", order_id, "--url", server.url)
    assert table.returncode == 0, table.stderr
    assert order_id in table.stdout
    assert [n for n in ("step-0", "step-1", "step-2") if n in table.stdout] == [
        "step-0",
        "step-1",
        "step-2",
    ]
    assert table.stdout.index("step-0") < table.stdout.index("step-2")
    as_json = run_cli("trace", order_id, "--url", server.url, "--json")
    body = json.loads(as_json.stdout)
    assert [i["name"] for i in body["items"]] == ["step-0", "step-1", "step-2"]


def test_the_trace_command_says_when_an_id_is_unknown(server: Server) -> None:
    result = run_cli("trace", "nobody-has-this", "--url", server.url)
    assert result.returncode == 2
    assert "nobody-has-this" in result.stderr


def test_the_trace_command_says_when_the_server_is_down() -> None:
    result = run_cli("trace", "A-1", "--url", "http://127.0.0.1:9")
    assert result.returncode == 1
    assert "cannot reach flowscope" in result.stderr


OPENSLO = """apiVersion: openslo/v1
kind: SLO
metadata: {name: refunds-ok}
spec:
  budgetingMethod: Occurrences
  objectives: [{target: 0.99}]
  timeWindow: [{duration: 30d, isRolling: true}]
  indicator:
    metadata: {name: refund-success}
    spec:
      ratioMetric:
        good: {metricSource: {type: flowscope, spec: {flow: FLOW, runs: success}}}
        total: {metricSource: {type: flowscope, spec: {flow: FLOW, runs: all}}}
"""


@pytest.mark.parametrize(
    ("flow", "code", "fragment"),
    [
        ("refund-to-ledger", 0, "refund-to-ledger/refunds-ok"),
        ("nope", 1, "unknown flow 'nope'"),
    ],
    ids=[
        "an OpenSLO file naming a catalog flow checks out",
        "an OpenSLO file naming an unknown flow is refused with its line",
    ],
)
def test_check_validates_an_openslo_file_against_a_catalog(
    tmp_path: Path, flow: str, code: int, fragment: str
) -> None:
    doc = tmp_path / "slo.yaml"
    doc.write_text(OPENSLO.replace("FLOW", flow))
    result = run_cli("check", str(doc), "--catalog", "examples/catalog.yaml")
    assert result.returncode == code
    assert fragment in result.stdout + result.stderr
