"""SLI counts from the flow rollups, against numbers worked out by hand.

Each case stores the items of one flow's runs (one insert per item, in the order listed, so
out-of-order arrival is real) and evaluates at AT. Expected counts are (good, bad) per window
for the success-rate SLO (99 %, no threshold) and the posted-in-2m SLO (latency 2m).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from catalog.model import MaintenanceWindow, Matcher, SLOSpec
from slo.declared_maintenance import DeclaredWindow, MaintenanceBook
from slo.evaluation import evaluate_flow
from slo.sli import Counts
from slo.status import FlowStatus
from tests.slo.conftest import AT, Recorder, catalog_flow
from warehouse.port import Warehouse

M, H, D = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)
WINDOWS = (5 * M, 30 * M, H, 6 * H, 3 * D)


def ago(minutes: float) -> datetime:
    return AT - timedelta(minutes=minutes)


def table(status: FlowStatus, slo: str) -> tuple[tuple[int, int], ...]:
    """(good, bad) per window of WINDOWS, then the period."""
    chosen = next(s for s in status.slos if s.name == slo)
    rows = []
    for window in WINDOWS:
        result = chosen.window(window)
        assert result is not None
        rows.append((result.counts.good, result.counts.bad))
    rows.append((chosen.counts.good, chosen.counts.bad))
    return tuple(rows)


def evaluate(runs: Recorder, **changes: object) -> FlowStatus:
    return evaluate_flow(runs.wh, catalog_flow(runs.flow, **changes), AT)


NONE = ((0, 0),) * 6


def store_late_start(r: Recorder) -> None:
    r.success("A", ago(20))
    r.start("A", ago(300))


def store_duplicates(r: Recorder) -> None:
    r.start("A", ago(10))
    eid = r.event("A", "InvoicePosted", ago(9), outcome="success", service="erp-sync")
    r.event("A", "InvoicePosted", ago(9), outcome="success", service="erp-sync", event_id=eid)
    r.start("A", ago(10))


Case = Callable[[Recorder], None]

CASES = [
    pytest.param(
        lambda r: (r.success("A", ago(10)), r.start("A", ago(12))),
        ((0, 0), (1, 0), (1, 0), (1, 0), (1, 0), (1, 0)),
        ((0, 0), (1, 0), (1, 0), (1, 0), (1, 0), (1, 0)),
        id="a success stored before its start counts once at the success"),
    pytest.param(
        store_late_start,
        ((0, 0), (1, 0), (1, 0), (1, 0), (1, 0), (1, 0)),
        ((0, 0), (0, 0), (0, 0), (0, 1), (0, 1), (0, 1)),
        id="a start arriving hours late moves the latency verdict to start plus threshold"),
    pytest.param(
        lambda r: (r.start("A", ago(10)), r.success("A", ago(11))),
        ((0, 0), (1, 0), (1, 0), (1, 0), (1, 0), (1, 0)),
        ((0, 0), (1, 0), (1, 0), (1, 0), (1, 0), (1, 0)),
        id="a success stamped before its start has flow time zero"),
    pytest.param(
        store_duplicates,
        ((0, 0), (1, 0), (1, 0), (1, 0), (1, 0), (1, 0)),
        ((0, 0), (1, 0), (1, 0), (1, 0), (1, 0), (1, 0)),
        id="duplicate events count once"),
    pytest.param(
        lambda r: (r.start("A", ago(10)), r.success("A", ago(4))),
        ((1, 0), (1, 0), (1, 0), (1, 0), (1, 0), (1, 0)),
        ((0, 0), (0, 1), (0, 1), (0, 1), (0, 1), (0, 1)),
        id="a run outliving its threshold counts bad at start plus threshold"),
    pytest.param(
        lambda r: r.start("A", ago(10)),
        NONE,
        ((0, 0), (0, 1), (0, 1), (0, 1), (0, 1), (0, 1)),
        id="an open run counts only once it outlives its threshold"),
    pytest.param(
        lambda r: r.start("A", ago(1)),
        NONE, NONE,
        id="an open run younger than its threshold counts nowhere"),
    pytest.param(
        lambda r: (r.start("A", ago(50)), r.failure("A", ago(40)), r.success("A", ago(20))),
        ((0, 0), (0, 0), (0, 1), (0, 1), (0, 1), (0, 1)),
        ((0, 0), (0, 0), (0, 1), (0, 1), (0, 1), (0, 1)),
        id="a failure before the success fails the run at the failure"),
    pytest.param(
        lambda r: (r.start("A", ago(10)), r.span("A", "erp-sync", "erp-sync.dlq", ago(9)),
                   r.success("A", ago(9.5))),
        ((0, 0), (1, 0), (1, 0), (1, 0), (1, 0), (1, 0)),
        ((0, 0), (1, 0), (1, 0), (1, 0), (1, 0), (1, 0)),
        id="a dead letter after the success does not undo it"),
    pytest.param(
        lambda r: (r.start("A", ago(10)), r.span("A", "erp-sync", "erp-sync.dlq", ago(9)),
                   r.success("A", ago(2))),
        ((0, 0), (0, 1), (0, 1), (0, 1), (0, 1), (0, 1)),
        ((0, 0), (0, 1), (0, 1), (0, 1), (0, 1), (0, 1)),
        id="a dead-lettered step fails the run even if it is replayed later"),
    pytest.param(
        lambda r: (r.start("A", ago(4 * 24 * 60)), r.success("A", ago(4 * 24 * 60 - 1))),
        ((0, 0), (0, 0), (0, 0), (0, 0), (0, 0), (1, 0)),
        ((0, 0), (0, 0), (0, 0), (0, 0), (0, 0), (1, 0)),
        id="a run older than every window still counts in the period"),
    pytest.param(
        lambda r: (r.start("A", ago(31 * 24 * 60)), r.success("A", ago(31 * 24 * 60 - 1))),
        NONE, NONE,
        id="a run older than the period counts nowhere"),
    pytest.param(
        lambda r: (r.start("A", ago(1)), r.success("A", AT + M)),
        NONE, NONE,
        id="a run determinate after the evaluation instant does not count yet"),
]


@pytest.mark.parametrize(("store", "rate", "latency"), CASES)
def test_sli_windows(runs: Recorder, store: Case, rate: tuple[tuple[int, int], ...],
                     latency: tuple[tuple[int, int], ...]) -> None:
    store(runs)
    status = evaluate(runs)
    assert table(status, "success-rate") == rate
    assert table(status, "posted-in-2m") == latency


def test_a_late_start_changes_the_verdict_only_once_it_arrives(runs: Recorder) -> None:
    runs.success("A", ago(20))
    before = evaluate(runs)
    assert table(before, "posted-in-2m") == NONE  # a success without its start has no flow time
    runs.start("A", ago(300))
    after = evaluate(runs)
    assert table(after, "posted-in-2m")[3:] == ((0, 1), (0, 1), (0, 1))


def test_runs_of_other_flows_do_not_count(runs: Recorder, migrated: Warehouse) -> None:
    other = Recorder(migrated, runs.flow + "-other")
    with runs.batch():
        runs.start("A", ago(10))
        runs.success("A", ago(9))
    with other.batch():
        other.start("A", ago(10))
        other.failure("A", ago(9))
    assert table(evaluate(runs), "success-rate")[1] == (1, 0)


def test_runs_becoming_determinate_in_maintenance_are_left_out(runs: Recorder) -> None:
    # Sunday 2026-03-08 02:00-04:00 UTC is maintenance; AT is Tuesday 2026-03-10 12:00 UTC.
    sunday = datetime(2026, 3, 8, 2, 30, tzinfo=AT.tzinfo)
    with runs.batch():
        for cid, offset in (("in-1", 0), ("in-2", 60), ("edge", 90), ("out", 120)):
            runs.start(cid, sunday - 10 * M + offset * M)
            runs.failure(cid, sunday + offset * M)
    maintenance = (MaintenanceWindow("FREQ=WEEKLY;BYDAY=SU;BYHOUR=2", 2 * H, "ERP"),)
    status = evaluate(runs, maintenance=maintenance)
    # failures at 02:30, 03:30 and 04:00: the window is [02:00, 04:00), so 04:00 counts.
    assert table(status, "success-rate")[4:] == ((0, 2), (0, 2))
    without = evaluate(runs)
    assert table(without, "success-rate")[4:] == ((0, 4), (0, 4))


@pytest.mark.parametrize(("ends", "expected"), [
    pytest.param(timedelta(hours=2), ((0, 2), (0, 2)), id="declared for two hours"),
    pytest.param(timedelta(minutes=60), ((0, 3), (0, 3)), id="ended early, after an hour"),
])
def test_maintenance_declared_now_is_left_out_like_the_catalogs(
        runs: Recorder, ends: timedelta, expected: tuple[tuple[int, int], ...]) -> None:
    sunday = datetime(2026, 3, 8, 2, 30, tzinfo=AT.tzinfo)
    with runs.batch():
        for cid, offset in (("in-1", 0), ("in-2", 60), ("edge", 90), ("out", 120)):
            runs.start(cid, sunday - 10 * M + offset * M)
            runs.failure(cid, sunday + offset * M)
    start = datetime(2026, 3, 8, 2, 0, tzinfo=AT.tzinfo)
    book = MaintenanceBook.of(runs.wh)
    book.save(DeclaredWindow(uuid.uuid4().hex, runs.flow, start, start + 2 * H, "ERP down",
                             "oncall", start))
    if ends != 2 * H:  # ended early: the end moves, the time spent stays left out
        found = book.of_flow(runs.flow)[0]
        book.update(found.id, ends_at=start + ends, ended_by="oncall")
    assert table(evaluate(runs), "success-rate")[4:] == expected


@pytest.mark.parametrize(("matcher", "posted_in_2m"), [
    pytest.param(Matcher(service="support-desk", span="refund.approve"), (1, 0),
                 id="service and span: A starts at the span, B never starts"),
    pytest.param(Matcher(span="refund.approve"), (1, 0),
                 id="the span alone: A starts at the span, B never starts"),
    pytest.param(Matcher(service="support-desk"), (1, 1),
                 id="the service alone: B starts too and takes 9 minutes"),
])
def test_a_span_start_matcher_starts_the_run(runs: Recorder, matcher: Matcher,
                                             posted_in_2m: tuple[int, int]) -> None:
    runs.span("A", "support-desk", "refund.approve", ago(10), duration=30 * M)
    runs.event("A", "refund.approve", ago(30), service="support-desk")  # an event is no span
    runs.success("A", ago(9))
    runs.span("B", "support-desk", "refund.list", ago(10))
    runs.success("B", ago(1))
    status = evaluate(runs, start=matcher)
    # A: start at -10m (the span), success at -9m: good at -9m. B: without a start no flow
    # time; started at -10m (refund.list), success at -1m: bad at -8m (start + 2m).
    assert table(status, "posted-in-2m")[1] == posted_in_2m
    assert table(status, "success-rate")[1] == (2, 0)


def test_a_span_success_matcher_ends_the_run(runs: Recorder) -> None:
    runs.start("A", ago(10))
    runs.span("A", "erp-sync", "invoice.post", ago(7))
    status = evaluate(runs, success=Matcher(service="erp-sync", span="invoice.post"))
    assert table(status, "success-rate")[1] == (1, 0)
    assert table(status, "posted-in-2m")[1] == (0, 1)  # 3 minutes: bad, at start + 2m


def test_many_runs_add_up_per_window(runs: Recorder) -> None:
    # 6 runs succeed in 1 minute, 2 fail, 1 takes 5 minutes, at 3, 20, 50 and 200 minutes ago.
    with runs.batch():
        for i, minutes in enumerate((3, 20, 50, 200, 3, 20)):
            runs.start(f"ok-{i}", ago(minutes + 1))
            runs.success(f"ok-{i}", ago(minutes))
        runs.start("ko-1", ago(25))
        runs.failure("ko-1", ago(24))
        runs.start("ko-2", ago(100))
        runs.failure("ko-2", ago(99))
        runs.start("slow", ago(15))
        runs.success("slow", ago(10))
    status = evaluate(runs)
    assert table(status, "success-rate") == ((2, 0), (5, 1), (6, 1), (7, 2), (7, 2), (7, 2))
    # slow: bad at -13m (start -15m + 2m); ko-1 bad at -24m; ko-2 bad at -99m.
    assert table(status, "posted-in-2m") == ((2, 0), (4, 2), (5, 2), (6, 3), (6, 3), (6, 3))
    rate = next(s for s in status.slos if s.name == "success-rate")
    hour = rate.window(H)
    assert hour is not None and hour.counts == Counts(6, 7)
    assert hour.burn_rate == pytest.approx((1 / 7) / 0.01)


def test_a_run_stored_in_separate_inserts_counts_once_as_one_run(runs: Recorder) -> None:
    runs.success("A", ago(20))  # separate inserts: separate parts until the engine merges
    runs.start("A", ago(21))
    runs.failure("B", ago(3))
    runs.start("B", ago(4))
    status = evaluate_flow(runs.wh, catalog_flow(runs.flow), AT)
    assert table(status, "success-rate")[2] == (1, 1)


def test_a_late_event_moves_a_run_instead_of_counting_it_twice(runs: Recorder) -> None:
    runs.start("A", ago(30))
    first = evaluate_flow(runs.wh, catalog_flow(runs.flow), AT)
    # without a terminal item it counts in the latency SLO only, bad, at start + 2 minutes
    assert table(first, "posted-in-2m")[2] == (0, 1)
    assert table(first, "success-rate")[2] == (0, 0)
    runs.success("A", ago(29))  # arrives late, stamped a minute after the start
    second = evaluate_flow(runs.wh, catalog_flow(runs.flow), AT)
    # the bad determination at start + 2 minutes is replaced by a good one at the success
    assert table(second, "posted-in-2m")[2] == (1, 0)
    assert table(second, "success-rate")[2] == (1, 0)


def test_timeslice_budgeting_counts_good_slices(runs: Recorder) -> None:
    # 5-minute slices aligned on the period start (AT - 30 days): [-15m, -10m) holds 1 good
    # run (good slice), [-10m, -5m) 2 good and 1 bad (67 % < 80 %: bad), [-5m, AT) 1 bad.
    with runs.batch():
        for cid, end, good in (("a", 6, True), ("b", 7, True), ("c", 8, False),
                               ("d", 12, True), ("e", 2, False)):
            runs.start(cid, ago(end + 0.5))
            (runs.success if good else runs.failure)(cid, ago(end))
    spec = SLOSpec("slices", Decimal("90"), 30 * D, budgeting="timeslices", timeslice=5 * M,
                   timeslice_target=Decimal("0.8"))
    status = evaluate(runs, slos=(spec,))
    (result,) = status.slos
    assert result.slices is not None
    assert (result.slices.slices_with_data, result.slices.good_slices) == (3, 1)
    assert result.sli == pytest.approx(1 / 3)
    assert result.counts == Counts(3, 5)  # occurrences still reported
