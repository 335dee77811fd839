"""Counts for the alert evaluator, from the aggregates (numbers worked out by hand)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from catalog.model import Catalog
from slo.signals import WarehouseSignals
from slo.sli import Counts, RunCounts
from tests.slo.conftest import AT, Recorder, catalog_flow, flow_name
from warehouse.errors import WarehouseUnavailable
from warehouse.port import Warehouse

M = timedelta(minutes=1)


@pytest.fixture(scope="module")
def stored(migrated: Warehouse) -> Recorder:
    runs = Recorder(migrated, flow_name())
    with runs.batch():
        runs.start("ok", AT - 10 * M)
        runs.success("ok", AT - 9 * M)           # good at -9m for both SLOs
        runs.start("slow", AT - 30 * M)
        runs.success("slow", AT - 20 * M)        # rate good at -20m; latency bad at -28m
        runs.start("ko", AT - 50 * M)
        runs.failure("ko", AT - 49 * M)          # bad at -49m
        runs.start("open", AT - 5 * M)           # latency bad at -3m
        runs.start("dl", AT - 40 * M)
        runs.event("dl", "OrderDeadLettered", AT - 39 * M, service="erp-sync")
        runs.start("replayed", AT - 60 * M)
        runs.event("replayed", "OrderDeadLettered", AT - 58 * M, service="erp-sync")
        runs.success("replayed", AT - 45 * M)
    return runs


@pytest.fixture()
def signals(stored: Recorder) -> WarehouseSignals:
    return WarehouseSignals(Catalog(flows=(catalog_flow(stored.flow),)), lambda: stored.wh)


@pytest.mark.parametrize(
    ("slo", "window", "expected"),
    [
        pytest.param("success-rate", 30 * M, Counts(2, 2), id="30m, a ring of the flow"),
        pytest.param("success-rate", 60 * M, Counts(2, 5),
                     id="1h: the dead letters and the failure are bad"),
        pytest.param("posted-in-2m", 30 * M, Counts(1, 3), id="30m of the latency SLO"),
        pytest.param("posted-in-2m", 17 * M, Counts(1, 2), id="a window that is not a ring"),
    ],
)
def test_slo_counts(signals: WarehouseSignals, stored: Recorder, slo: str, window: timedelta,
                    expected: Counts) -> None:
    assert signals.slo_counts(stored.flow, slo, AT - window, AT) == expected


def test_run_counts(signals: WarehouseSignals, stored: Recorder) -> None:
    # starts in the last 45 minutes: ok, slow, open, dl; determinate: ok and slow succeeded,
    # dl failed at its dead letter (-39m); ko (-49m) and replayed (-58m) are older.
    assert signals.run_counts(stored.flow, AT - 45 * M, AT) == RunCounts(4, 2, 1)


@pytest.mark.parametrize(
    ("minutes_ago", "expected"),
    [
        pytest.param(0, AT - 39 * M, id="the replayed run no longer waits"),
        pytest.param(50, None, id="a dead letter replayed since waits no more, even before"),
        pytest.param(70, None, id="nothing dead-lettered yet"),
    ],
)
def test_oldest_dead_letter(signals: WarehouseSignals, stored: Recorder, minutes_ago: int,
                            expected: object) -> None:
    assert signals.oldest_dead_letter(stored.flow, AT - minutes_ago * M) == expected


def test_unknown_names_and_an_unready_warehouse(signals: WarehouseSignals,
                                                stored: Recorder) -> None:
    with pytest.raises(KeyError, match="no flow named"):
        signals.run_counts("nope", AT - M, AT)
    with pytest.raises(KeyError, match="no SLO named"):
        signals.slo_counts(stored.flow, "nope", AT - M, AT)
    starting = WarehouseSignals(Catalog(flows=(catalog_flow(stored.flow),)), lambda: None)
    with pytest.raises(WarehouseUnavailable):
        starting.oldest_dead_letter(stored.flow, AT)
