"""The read model's on-call health and flow-time views on the real engine, against numbers
worked out by hand (the runs of tests/slo/test_latency_and_health.py's health fixture)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from catalog.model import EMPTY_CATALOG, Catalog
from dashboards.facade import ReadModel
from tests.conftest import migrated_warehouse
from tests.slo.conftest import AT, Recorder, catalog_flow, flow_name
from tests.slo.health_runs import store_health_runs
from warehouse.correlations import Timeline
from warehouse.port import Warehouse

S, H = timedelta(seconds=1), timedelta(hours=1)


@pytest.fixture(scope="module")
def warehouse(chdb_dsn: str) -> Iterator[Warehouse]:
    with migrated_warehouse(chdb_dsn, "dash") as wh:
        yield wh


def _model(wh: Warehouse | None, *flows: str, slos: bool = True) -> ReadModel:
    catalog = Catalog(flows=tuple(catalog_flow(f) if slos else catalog_flow(f, slos=())
                                  for f in flows))
    return ReadModel(catalog, lambda: wh, clock=lambda: AT)


@pytest.mark.parametrize("slos", [True, False],
                         ids=["next to the burn rates", "for a flow without SLOs too"])
def test_oncall_reads_each_flow_health_over_the_last_day(warehouse: Warehouse,
                                                         slos: bool) -> None:
    runs = Recorder(warehouse, flow_name())
    store_health_runs(runs)
    view = _model(warehouse, runs.flow, slos=slos).oncall()
    (card,) = view.health
    assert (card.flow, card.start, card.end) == (runs.flow, AT - 24 * H, AT)
    assert card.runs == 8  # R1-R8 all entered in the last day
    # dead letters: R7 at -3 h, R8 at -1.5 h, R4 at -20 min, each in its own hour
    assert card.dead_letter_inflow == 3
    assert [b.runs for b in card.inflow] == [0] * 21 + [1, 1, 1]
    assert card.inflow[0].start == AT - 24 * H and card.inflow[-1].end == AT
    assert card.oldest_dead_letter_seconds == pytest.approx(5400)  # R8; R7 was replayed
    steps = {s.step: s for s in card.steps}
    assert list(steps) == ["checkout", "payment", "erp-sync"]
    assert (steps["checkout"].waiting, steps["checkout"].lag_seconds) == (1, 1800.0)  # R5
    assert (steps["payment"].retried_runs, steps["payment"].retries) == (1, 1)  # R2
    assert steps["erp-sync"].dead_letters == 3  # R4, R7, R8
    assert bool(view.tiers) is slos


def test_an_unreadable_health_is_a_warning_not_a_failed_page(chdb_dsn: str,
                                                             fresh_database: str) -> None:
    with Warehouse.connect(chdb_dsn, database=fresh_database) as empty:  # no tables
        view = _model(empty, "order-to-cash", slos=False).oncall()
    assert view.health == ()
    (warning,) = view.warnings
    assert warning.startswith("the flow health could not be read")


def test_an_empty_catalog_needs_no_warehouse() -> None:
    view = ReadModel(EMPTY_CATALOG, lambda: None, clock=lambda: AT).oncall()
    assert (view.tiers, view.health) == ((), ())


@pytest.fixture(scope="module")
def timed(warehouse: Warehouse) -> Recorder:
    runs = Recorder(warehouse, flow_name())
    with runs.batch():
        for seconds in (10, 20, 30, 40):
            runs.start(f"R{seconds}", AT - H)
            runs.success(f"R{seconds}", AT - H + seconds * S)
        runs.start("failed", AT - H)
        runs.failure("failed", AT - H + S)
    return runs


def test_the_trace_page_places_a_run_among_its_flow_times(timed: Recorder) -> None:
    view = _model(timed.wh, timed.flow).flow_time(Timeline("R20", timed.flow, ()))
    assert view is not None
    # 10-40 s over 30 buckets is 1 s each, from 10 s to the bucket holding 40 s; the rollups
    # read flow times back within 0.99 %, so the edges may start a second early
    assert view.runs == 4 and view.bars[0].end_s - view.bars[0].start_s == 1
    assert view.bars[0].start_s in (9, 10) and view.bars[-1].start_s in (39, 40)
    assert [b.runs for b in view.bars if b.runs] == [1, 1, 1, 1]
    assert (view.outcome, view.run_seconds, view.slower_than) == ("succeeded", 20.0, 0.25)
    assert view.thresholds == (("posted-in-2m", 120.0),)
    assert (view.start, view.end) == (AT - timedelta(days=30), AT)


def test_a_failed_run_is_shown_without_a_flow_time(timed: Recorder) -> None:
    view = _model(timed.wh, timed.flow).flow_time(Timeline("failed", timed.flow, ()))
    assert view is not None
    assert (view.outcome, view.run_seconds, view.slower_than, view.runs) == (
        "failed", None, None, 4)


@pytest.mark.parametrize("flow", ["", "not-in-the-catalog"],
                         ids=["items without a flow", "a flow the catalog does not describe"])
def test_no_histogram_without_a_catalog_flow(timed: Recorder, flow: str) -> None:
    assert _model(timed.wh, timed.flow).flow_time(Timeline("R20", flow, ())) is None


def test_a_scorecard_is_reused_while_younger_than_its_max_age(warehouse: Warehouse) -> None:
    runs = Recorder(warehouse, flow_name())
    runs.start("R1", AT - H)
    runs.success("R1", AT - H + S)
    now = [AT]
    reads = []

    def ready() -> Warehouse:
        reads.append(now[0])
        return warehouse

    model = ReadModel(Catalog(flows=(catalog_flow(runs.flow),)), ready, clock=lambda: now[0],
                      scorecard_max_age=timedelta(seconds=30))
    first = model.scorecard("30d")
    (card,) = first.flows
    assert card.slos[0].runs == 1 and first.at == AT
    now[0] = AT + 29 * S  # younger than 30 s: the same read, as of AT, no warehouse read
    assert model.scorecard("30d") is first and reads == [AT]
    assert model.scorecard("7d") is not first and reads == [AT, AT + 29 * S]  # another period
    runs.start("R2", AT)
    runs.success("R2", AT + S)
    now[0] = AT + 30 * S  # as old as the max age: read again, with the new run
    again = model.scorecard("30d")
    assert again.at == AT + 30 * S and again.flows[0].slos[0].runs == 2


def test_without_a_max_age_every_scorecard_is_read(warehouse: Warehouse) -> None:
    reads = []
    model = ReadModel(Catalog(flows=(catalog_flow(flow_name()),)),
                      lambda: reads.append(1) or warehouse, clock=lambda: AT)
    assert model.scorecard("30d") is not model.scorecard("30d")
    assert len(reads) == 2
