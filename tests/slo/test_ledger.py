"""The run ledger and its rollups on the real engine: exact counts, late events, rebuilds.

Every read here goes through :func:`slo.ledger.ensure_current`, as the routes do, so what was
stored before a read is counted by it.
"""

from __future__ import annotations

import logging
import math
import random
import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from catalog.model import LatencySpec, SLOSpec
from slo.errors import RollupsNotReady
from slo.evaluation import evaluate_flow
from slo.latency_query import flow_latency
from slo.ledger import RunLedger, ensure_current
from slo.ledger_rules import LedgerRules
from slo.rings import to_ns
from slo.rollup_read import read_window
from slo.sketch import RELATIVE_ERROR
from tests.slo.conftest import AT, Recorder, catalog_flow, flow_name
from warehouse.port import Warehouse

S, M, H = timedelta(seconds=1), timedelta(minutes=1), timedelta(hours=1)
US = timedelta(microseconds=1)


def counts(runs: Recorder, start: datetime, end: datetime, mode: int = 0) -> tuple[int, int]:
    """(good, valid) of ``mode`` for runs determinate in ``[start, end)``."""
    flow = catalog_flow(runs.flow)
    ensure_current(runs.wh, [flow])
    rollup = read_window(runs.wh, flow.name, to_ns(start), to_ns(end), ["Valid", "GoodRuns"])
    return rollup.good_in(mode), rollup.valid_in(mode)


def test_a_span_sent_again_in_another_request_is_counted_once(runs: Recorder) -> None:
    runs.start("A", AT - 10 * M)
    first = runs.span("A", "payments", "charge", AT - 9 * M, duration=2 * S)
    trace = runs.wh.query("SELECT TraceId FROM otel_traces WHERE SpanId = {s:String}",
                          {"s": first})[0][0]
    runs.span("A", "payments", "charge", AT - 9 * M, duration=2 * S, span_id=first,
              trace_id=str(trace))  # the same span, another insert
    runs.success("A", AT - 8 * M)
    assert runs.wh.query("SELECT count() FROM otel_traces WHERE SpanId = {s:String}",
                         {"s": first}) == [(2,)]
    flow = catalog_flow(runs.flow)
    ensure_current(runs.wh, [flow])
    rollup = read_window(runs.wh, flow.name, to_ns(AT - H), to_ns(AT),
                         ["Items", "Calls", "Spans", "CpuNs", "StepRetries"])
    assert rollup.items == 3  # start, charge and success: the charge once
    assert rollup.calls[1] == 1 and rollup.spans[1] == 1
    assert rollup.cpu_ns[1] == 2 * 10**9
    assert sum(rollup.step_retries) == 0  # a duplicate is not a retry
    assert counts(runs, AT - H, AT) == (1, 1)


def test_window_edges_are_exact_to_the_microsecond(runs: Recorder) -> None:
    edge = AT - 17 * M + 23 * S + 5 * US
    runs.start("A", edge - 30 * S)
    runs.success("A", edge)
    assert counts(runs, edge, AT) == (1, 1)
    assert counts(runs, edge + US, AT) == (0, 0)
    assert counts(runs, AT - H, edge) == (0, 0)
    assert counts(runs, AT - H, edge + US) == (1, 1)


def test_a_minute_left_empty_by_a_late_event_counts_nothing(runs: Recorder) -> None:
    runs.start("A", AT - 30 * M)
    # in flight: bad for the 2-minute SLO at start + 2 minutes
    assert counts(runs, AT - 28 * M, AT - 27 * M, mode=1) == (0, 1)
    runs.success("A", AT - 29 * M)  # in time after all
    assert counts(runs, AT - 28 * M, AT - 27 * M, mode=1) == (0, 0)
    assert counts(runs, AT - 29 * M, AT - 28 * M, mode=1) == (1, 1)
    assert counts(runs, AT - 2 * H, AT, mode=1) == (1, 1)


def test_changing_a_latency_threshold_rebuilds_and_an_objective_does_not(
        runs: Recorder) -> None:
    runs.start("A", AT - 30 * M)
    runs.success("A", AT - 27 * M)  # 3 minutes
    flow = catalog_flow(runs.flow)
    status = evaluate_flow(runs.wh, flow, AT)
    slow = next(s for s in status.slos if s.name == "posted-in-2m")
    assert (slow.counts.good, slow.counts.valid) == (0, 1)
    ledger = RunLedger.of(runs.wh)
    stricter = replace(flow, slos=tuple(replace(s, objective=Decimal("50")) for s in flow.slos))
    assert ledger.knows_built([stricter])  # same rules: nothing to rebuild
    looser = replace(flow, slos=(flow.slos[0], SLOSpec(
        "posted-in-2m", Decimal("90"), timedelta(days=30),
        latency=LatencySpec(timedelta(minutes=5)))))
    assert not ledger.knows_built([looser])
    rebuilt = next(s for s in evaluate_flow(runs.wh, looser, AT).slos if s.name == "posted-in-2m")
    assert (rebuilt.counts.good, rebuilt.counts.valid) == (1, 1)


def test_a_rebuild_interrupted_after_a_chunk_resumes_at_the_next(
        migrated: Warehouse, caplog: pytest.LogCaptureFixture) -> None:
    runs = Recorder(migrated, flow_name())
    with runs.batch():
        for i in range(40):
            runs.start(f"R{i:02d}", AT - (50 - i) * M)
            runs.success(f"R{i:02d}", AT - (50 - i) * M + 30 * S)
    flow = catalog_flow(runs.flow)
    with caplog.at_level(logging.INFO, logger="flowscope.ledger"):
        RunLedger(migrated, chunk_items=20).rebuild([flow])  # 80 items: four chunks
    progress = [r.getMessage() for r in caplog.records if "chunks" in r.getMessage()]
    assert [m.split(": ")[1].split(" ")[0] for m in progress] == ["1/4", "2/4", "3/4", "4/4"]
    whole = read_window(migrated, flow.name, to_ns(AT - H), to_ns(AT), ["Valid", "Entered"])
    assert (whole.valid_in(0), whole.entered) == (40, 40)
    # what a process that died after the first chunk leaves: 1 of 5 steps done (4 chunks and
    # the rollups), written after everything else
    migrated.command(
        "INSERT INTO ledger_state (Key, Version, Text, Done, Total) SELECT {key:String}, "
        "max(Version) + 1, {fp:String}, 1, 5 FROM ledger_state",
        {"key": f"flow:{flow.name}", "fp": LedgerRules.of(flow).fingerprint})
    resumed = RunLedger(migrated, chunk_items=20)
    assert not resumed.knows_built([flow])
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="flowscope.ledger"):
        resumed.sync([flow])
    progress = [r.getMessage() for r in caplog.records if "chunks" in r.getMessage()]
    assert [m.split(": ")[1].split(" ")[0] for m in progress] == ["2/4", "3/4", "4/4"]
    assert resumed.knows_built([flow])
    again = read_window(migrated, flow.name, to_ns(AT - H), to_ns(AT), ["Valid", "Entered"])
    assert again == whole


def test_a_flow_too_large_to_build_in_a_read_answers_not_ready(migrated: Warehouse) -> None:
    runs = Recorder(migrated, flow_name())
    runs.start("A", AT - M)
    flow = catalog_flow(runs.flow)
    ledger = RunLedger(migrated, small_items=0)  # every build is too large for a read
    migrated.attachments["run_ledger"] = ledger
    try:
        with pytest.raises(RollupsNotReady, match="being built"):
            ensure_current(migrated, [flow])
        assert ledger.status().building[0].flow == flow.name
        ledger.sync([flow])  # the follower's own sync builds it whatever its size
        assert ensure_current(migrated, [flow]).current
    finally:
        migrated.attachments.pop("run_ledger")


def test_percentiles_stay_within_the_documented_error_of_the_exact_ones(
        migrated: Warehouse) -> None:
    runs = Recorder(migrated, flow_name())
    rng = random.Random(11)
    times = [timedelta(milliseconds=int(rng.lognormvariate(math.log(40_000), 0.7)))
             for _ in range(400)]
    with runs.batch():
        for i, took in enumerate(times):
            start = AT - 3 * H + i * 20 * S
            runs.start(f"P{i}", start)
            runs.success(f"P{i}", start + took)
    found = flow_latency(migrated, catalog_flow(runs.flow), AT - 4 * H, AT).flow_time
    ordered = sorted(t / timedelta(milliseconds=1) for t in times)
    for p, value in ((0.5, found.p50_ms), (0.95, found.p95_ms), (0.99, found.p99_ms)):
        position = p * (len(ordered) - 1)
        low = math.floor(position)
        exact = ordered[low] + (position - low) * (ordered[low + 1] - ordered[low])
        assert value == pytest.approx(exact, rel=RELATIVE_ERROR)
    assert found.count == 400


def test_runs_of_an_unknown_id_prefix_do_not_leak_between_flows(migrated: Warehouse) -> None:
    a, b = Recorder(migrated, flow_name()), Recorder(migrated, flow_name())
    cid = uuid.uuid4().hex
    a.start(cid, AT - 5 * M)
    a.success(cid, AT - 4 * M)
    b.start(cid, AT - 5 * M)
    b.failure(cid, AT - 4 * M)
    assert counts(a, AT - H, AT) == (1, 1)
    assert counts(b, AT - H, AT) == (0, 1)


@pytest.mark.parametrize("many", [10_000, 3], ids=["a few touched minutes are summed one by one",
                                                   "many touched minutes are summed by hour"])
def test_followed_changes_sum_like_a_fresh_build(migrated: Warehouse, many: int) -> None:
    runs = Recorder(migrated, flow_name())
    flow = catalog_flow(runs.flow)
    runs.start("A", AT - 3 * H)
    follower = RunLedger(migrated, many_minutes=many)
    follower.sync([flow])
    with runs.batch():
        for i in range(12):  # twelve runs, each in its own minute across two hours
            runs.start(f"R{i}", AT - 2 * H + i * 7 * M)
            (runs.failure if i % 4 == 0 else runs.success)(f"R{i}", AT - 2 * H + i * 7 * M + S)
    follower.sync([flow])
    runs.success("A", AT - 3 * H + 30 * S)  # late: A moves out of its timeout minute
    follower.sync([flow])
    window = (to_ns(AT - 4 * H), to_ns(AT))
    columns = ["Entered", "Valid", "GoodRuns", "FlowTimeHist", "Started"]
    followed = read_window(migrated, flow.name, *window, columns)
    RunLedger(migrated).rebuild([flow])
    assert read_window(migrated, flow.name, *window, columns) == followed
    assert (followed.entered, followed.valid_in(0), followed.good_in(0)) == (13, 13, 10)


def test_quiet_reads_write_nothing_and_a_late_change_is_still_followed(
        runs: Recorder, monkeypatch: pytest.MonkeyPatch) -> None:
    import slo.ledger

    runs.start("A", AT - 10 * M)
    assert counts(runs, AT - H, AT) == (0, 0)

    def marks() -> int:
        rows = runs.wh.query("SELECT count() FROM ledger_state WHERE Key = 'watermark'")
        return int(rows[0][0])

    # the watermark now follows the engine's clock between changes; storing it each time
    # would cost every read an insert
    before = marks()
    monkeypatch.setattr(slo.ledger, "LAG_S", 0.0)
    for _ in range(5):
        ensure_current(runs.wh, [catalog_flow(runs.flow)])
    assert marks() == before
    runs.success("A", AT - 9 * M)  # after the watermark moved on: still read
    assert counts(runs, AT - H, AT) == (1, 1)
