"""The flow-time histogram and one run's place in it, on the real engine, against counts worked
out by hand.

The busy flow: 100 runs that took 1, 2, ..., 100 s and one that took 1000 s, all succeeding in
the last 30 days; p99 of the 101 values is position 0.99 x 100 = 100 of the sorted values, so
100 s. Buckets of 5 s from 0 (99 s over 30 buckets is 3.3 s): exactly, [0, 5) would hold 1-4 s,
each of the next 19 buckets five runs, [100, 105) the 100 s run, the overflow the 1000 s run.
The rollups keep flow times in log buckets (within 0.99 %), so a run lying on an edge (every
multiple of 5 s here) may be drawn in the bucket before: the counts are those of the runs'
log buckets (:func:`slo.sketch.place`), and differ from the exact ones only at edges.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from slo import sketch
from slo.flow_time_histogram import RunFlowTime, flow_time_histogram, run_flow_time
from slo.histogram import Buckets
from tests.slo.conftest import AT, Recorder, catalog_flow, flow_name
from warehouse.port import Warehouse

S, H, D = timedelta(seconds=1), timedelta(hours=1), timedelta(days=1)
NS = 1_000_000_000
MONTH = (AT - 30 * D, AT)


@pytest.fixture(scope="module")
def busy(migrated: Warehouse) -> Recorder:
    runs = Recorder(migrated, flow_name())
    with runs.batch():
        for i, seconds in enumerate([*range(1, 101), 1000]):
            start = AT - (i + 2) * H
            runs.start(f"F{seconds}", start)
            runs.success(f"F{seconds}", start + seconds * S)
        runs.start("old", AT - 40 * D)
        runs.success("old", AT - 40 * D + 50 * S)  # before the range: not in the histogram
        runs.start("failed", AT - 3 * H)
        runs.failure("failed", AT - 3 * H + 5 * S)
        runs.start("in-flight", AT - 2 * H)
        runs.success("no-start", AT - H)
        runs.start("replayed", AT - 5 * H)
        runs.event("replayed", "OrderDeadLettered", AT - 5 * H + S, service="erp-sync")
        runs.success("replayed", AT - 4 * H)  # the dead letter failed it first
    return runs


def test_the_histogram_caps_at_the_p99_and_overflows_the_rest(busy: Recorder) -> None:
    found = flow_time_histogram(busy.wh, catalog_flow(busy.flow), *MONTH)
    assert found.runs == 101
    assert found.buckets == Buckets(0, 5 * NS, 21)
    logs: dict[int, int] = {}
    for seconds in [*range(1, 101), 1000]:
        logs[sketch.bucket(seconds * NS)] = logs.get(sketch.bucket(seconds * NS), 0) + 1
    assert (found.counts, found.overflow) == sketch.place(logs, 0, 5 * NS, 21)
    exact = (4, *[5] * 19, 1)
    moved = [i for i, (a, b) in enumerate(zip(found.counts, exact, strict=True)) if a != b]
    # only runs on an edge move, one bucket down: at most one run per edge
    assert all(abs(found.counts[i] - exact[i]) <= 1 for i in moved)
    assert sum(found.counts) + found.overflow == 101 and found.overflow == 1
    assert (found.start, found.end) == MONTH
    assert found.run is None and found.faster is None


@pytest.mark.parametrize(("cid", "run", "faster"), [
    pytest.param("F42", RunFlowTime("F42", "succeeded", 42 * NS), 41,
                 id="a 42 s run is slower than the 41 runs of 1-41 s"),
    pytest.param("F1000", RunFlowTime("F1000", "succeeded", 1000 * NS), 100,
                 id="the slowest run is slower than every other"),
    pytest.param("old", RunFlowTime("old", "succeeded", 50 * NS), 49,
                 id="a run from before the range is still ranked against it"),
    pytest.param("failed", RunFlowTime("failed", "failed", None), None,
                 id="a failed run has no flow time"),
    pytest.param("replayed", RunFlowTime("replayed", "failed", None), None,
                 id="a dead letter fails the run before its replayed success"),
    pytest.param("in-flight", RunFlowTime("in-flight", "in flight", None), None,
                 id="a run without an end is in flight"),
    pytest.param("no-start", RunFlowTime("no-start", "succeeded", None), None,
                 id="a success without a start has no flow time"),
    pytest.param("nobody", None, None, id="an id that is no run of the flow"),
])
def test_one_run_is_placed_in_the_histogram(busy: Recorder, cid: str, run: RunFlowTime | None,
                                            faster: int | None) -> None:
    flow = catalog_flow(busy.flow)
    assert run_flow_time(busy.wh, flow, cid) == run
    found = flow_time_histogram(busy.wh, flow, *MONTH, correlation_id=cid)
    assert (found.run, found.faster, found.runs) == (run, faster, 101)


def test_a_few_runs_show_their_maximum_without_overflow(runs: Recorder) -> None:
    with runs.batch():
        for seconds in (10, 20, 30):
            runs.start(f"R{seconds}", AT - H)
            runs.success(f"R{seconds}", AT - H + seconds * S)
    found = flow_time_histogram(runs.wh, catalog_flow(runs.flow), *MONTH, correlation_id="R20")
    # 20 s over 30 buckets is 0.67 s: buckets of 1 s from the minimum (10 s, read back within
    # 0.99 %: from 9 s or 10 s) to the maximum, which the last bucket holds.
    assert found.buckets is not None and found.buckets.width_ns == NS
    assert found.buckets.first_ns in (9 * NS, 10 * NS)
    assert found.buckets.end_ns in (30 * NS, 31 * NS)
    logs = {sketch.bucket(s * NS): 1 for s in (10, 20, 30)}
    assert (found.counts, 0) == sketch.place(logs, found.buckets.first_ns, NS,
                                             found.buckets.count)
    assert sum(found.counts) == 3
    assert (found.overflow, found.faster) == (0, 1)


def test_a_flow_without_successes_has_no_buckets(runs: Recorder) -> None:
    runs.start("lost", AT - H)
    runs.failure("lost", AT - H + S)
    found = flow_time_histogram(runs.wh, catalog_flow(runs.flow), *MONTH, correlation_id="lost")
    assert (found.runs, found.buckets, found.counts, found.overflow) == (0, None, (), 0)
    assert found.run == RunFlowTime("lost", "failed", None) and found.faster is None


def test_a_reversed_range_is_refused(runs: Recorder) -> None:
    with pytest.raises(ValueError, match="must end after it starts"):
        flow_time_histogram(runs.wh, catalog_flow(runs.flow), AT, AT - H)
