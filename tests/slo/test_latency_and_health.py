"""Latency percentiles and flow health from the aggregates, against numbers worked out by hand.

Percentiles interpolate like quantileExactInclusive: position p x (n - 1) in the sorted
values, linearly. For [10, 20, 30, 40, 100] s: p50 = 30, p95 = 40 + 0.8 x 60 = 88,
p99 = 40 + 0.96 x 60 = 97.6. The rollups keep durations in log buckets, so a percentile is
within :data:`slo.sketch.RELATIVE_ERROR` (0.99 %) of the exact one (and 0 below 1 µs); counts
are exact.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import pytest

from slo.health_query import dead_letter_series, flow_health
from slo.latency_query import LatencySummary, flow_latency
from slo.sketch import RELATIVE_ERROR
from tests.slo.conftest import AT, Recorder, catalog_flow, flow_name
from tests.slo.health_runs import store_health_runs
from warehouse.port import Warehouse

S, M, H = timedelta(seconds=1), timedelta(minutes=1), timedelta(hours=1)


def ago(minutes: float) -> datetime:
    return AT - timedelta(minutes=minutes)


def summary(count: int, p50: float, p95: float, p99: float) -> LatencySummary:
    return LatencySummary(count, p50 * 1000, p95 * 1000, p99 * 1000)


def check(found: LatencySummary, expected: LatencySummary) -> None:
    assert found.count == expected.count
    assert (found.p50_ms, found.p95_ms, found.p99_ms) == pytest.approx(
        (expected.p50_ms, expected.p95_ms, expected.p99_ms), rel=RELATIVE_ERROR, abs=0.001)


def store_latency_runs(runs: Recorder) -> None:
    flow_times = (10, 20, 30, 40, 100)
    with runs.batch():
        for i, seconds in enumerate(flow_times):
            start = ago(50 - 5 * i)
            runs.start(f"R{i}", start)
            runs.success(f"R{i}", start + seconds * S)
        # not counted in flow time; no service, so they reach no step
        runs.event("failed", "OrderPlaced", ago(20), outcome="start")
        runs.event("failed", "PaymentFailed", ago(19), outcome="failure")
        runs.event("no-start", "InvoicePosted", ago(10), outcome="success")
    for i in range(5):
        start = ago(50 - 5 * i)
        runs.span(f"R{i}", "storefront", "checkout", start, duration=(i + 1) * S)
        runs.span(f"R{i}", "payments", "charge", start + 5 * S, duration=2 * S)


@pytest.fixture(scope="module")
def latency_runs(migrated: Warehouse) -> Recorder:
    runs = Recorder(migrated, flow_name())
    store_latency_runs(runs)
    return runs


@pytest.fixture(scope="module")
def health_runs(migrated: Warehouse) -> Recorder:
    runs = Recorder(migrated, flow_name())
    store_health_runs(runs)
    return runs


def test_flow_time_percentiles(latency_runs: Recorder) -> None:
    runs = latency_runs
    result = flow_latency(runs.wh, catalog_flow(runs.flow), AT - H, AT)
    check(result.flow_time, summary(5, 30, 88, 97.6))


def test_step_times_and_waits(latency_runs: Recorder) -> None:
    runs = latency_runs
    steps = {s.step: s for s in flow_latency(runs.wh, catalog_flow(runs.flow), AT - H, AT).steps}
    # checkout: the start event and a span of 1..5 s from the same instant.
    check(steps["checkout"].time, summary(5, 3, 4.8, 4.96))
    assert steps["checkout"].wait.count == 0
    # payment: 2 s each, starting 5 s after the start: waits 4, 3, 2, 1, 0 s.
    check(steps["payment"].time, summary(5, 2, 2, 2))
    check(steps["payment"].wait, summary(5, 2, 3.8, 3.96))
    # erp-sync: the success event alone (time 0), waiting flow time - 7 s after the payment.
    check(steps["erp-sync"].time, summary(5, 0, 0, 0))
    check(steps["erp-sync"].wait, summary(5, 23, 81, 90.6))


def test_a_series_buckets_flow_time_by_success_time(latency_runs: Recorder) -> None:
    runs = latency_runs
    result = flow_latency(runs.wh, catalog_flow(runs.flow), AT - H, AT, step=20 * M)
    # successes at -49:50, -44:40 | -39:30, -34:20, -28:20 | none.
    assert [b.flow_time.count for b in result.series] == [2, 3, 0]
    assert result.series[0].start == AT - H and result.series[-1].end == AT
    check(result.series[1].flow_time, summary(3, 40, 94, 98.8))


@pytest.mark.parametrize(
    ("start", "end", "step", "message"),
    [
        pytest.param(AT, AT - H, None, "must end after it starts", id="a reversed range"),
        pytest.param(AT - 30 * 24 * H, AT, M, "at most 1000 buckets", id="too many buckets"),
    ],
)
def test_bad_latency_ranges_are_refused(runs: Recorder, start: datetime, end: datetime,
                                        step: timedelta | None, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        flow_latency(runs.wh, catalog_flow(runs.flow), start, end, step=step)


def test_flow_health(health_runs: Recorder) -> None:
    runs = health_runs
    health = flow_health(runs.wh, catalog_flow(runs.flow), AT - H, AT)
    assert (health.runs, health.succeeded, health.failed, health.in_flight) == (5, 2, 2, 1)
    assert health.first_pass_yield == pytest.approx(1 / 5)
    assert health.exceptions_per_1000_runs == pytest.approx(400)  # R3: error span + failure
    assert health.dead_letter_inflow == 1  # R4; R7 and R8 were dead-lettered before the range
    assert health.oldest_dead_letter_age_seconds == pytest.approx(5400)  # R8; R7 was replayed


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        # name: (in, out, waiting, lag s, retried runs, retries, dead letters, items, errors)
        pytest.param("checkout", (5, 4, 1, 1800.0, 0, 0, 0, 10, 0),
                     id="checkout: R5 waits there since its start 30 minutes ago"),
        pytest.param("payment", (4, 3, 0, None, 1, 1, 0, 6, 2),
                     id="payment: R2 retried, R3 failed there"),
        pytest.param("erp-sync", (3, 2, 0, None, 0, 0, 1, 4, 0),
                     id="erp-sync: R4 dead-lettered there"),
    ],
)
def test_step_health(health_runs: Recorder, step: str, expected: tuple[object, ...]) -> None:
    runs = health_runs
    health = flow_health(runs.wh, catalog_flow(runs.flow), AT - H, AT)
    found = next(s for s in health.steps if s.step == step)
    assert (found.entered, found.left, found.waiting, found.lag_seconds, found.retried_runs,
            found.retries, found.dead_letters, found.items, found.errors) == expected


@pytest.mark.parametrize(
    ("start", "step", "expected"),
    [
        pytest.param(AT - 4 * H, H, [0, 1, 1, 1],
                     id="hourly: R7 at -3 h opens the second bucket, R8 at -1.5 h, R4 at -20 min"),
        pytest.param(AT - 150 * M, H, [0, 1, 1],
                     id="the last bucket is cut at the end: R8 opens the second, R4 in the last"),
        pytest.param(AT - H, 30 * M, [0, 1],
                     id="the hour of flow_health holds only R4, as its dead_letter_inflow"),
    ],
)
def test_dead_letter_inflow_per_bucket(health_runs: Recorder, start: datetime, step: timedelta,
                                       expected: list[int]) -> None:
    runs = health_runs
    series = dead_letter_series(runs.wh, catalog_flow(runs.flow), start, AT, step)
    assert [b.runs for b in series] == expected
    assert series[0].start == start and series[-1].end == AT
    assert all(a.end == b.start for a, b in itertools.pairwise(series))


def test_a_run_dead_lettered_twice_counts_once_at_its_first_dead_letter(runs: Recorder) -> None:
    runs.start("D1", ago(50))
    runs.event("D1", "OrderDeadLettered", ago(40), service="erp-sync")
    runs.span("D1", "erp-sync", "erp-sync.dlq", ago(10))
    series = dead_letter_series(runs.wh, catalog_flow(runs.flow), AT - H, AT, 20 * M)
    assert [b.runs for b in series] == [0, 1, 0]
    health = flow_health(runs.wh, catalog_flow(runs.flow), AT - H, AT)
    assert health.dead_letter_inflow == 1


@pytest.mark.parametrize(
    ("start", "step", "message"),
    [
        pytest.param(AT, H, "must end after it starts", id="an empty range"),
        pytest.param(AT - 30 * 24 * H, M, "at most 1000 buckets", id="too many buckets"),
        pytest.param(AT - H, timedelta(0), "must be positive", id="a zero step"),
    ],
)
def test_bad_dead_letter_series_are_refused(runs: Recorder, start: datetime, step: timedelta,
                                            message: str) -> None:
    with pytest.raises(ValueError, match=message):
        dead_letter_series(runs.wh, catalog_flow(runs.flow), start, AT, step)
