"""On a cluster each rollup row lives on one shard and a read sums the shards' rows; tested on
one node with two databases as the shards and ``Merge`` tables over them standing for the
Distributed tables (which, like these, apply ``FINAL`` on each shard and merge the results).

Runs of one minute land on both shards, so the same ``(flow, minute)`` key has a row on each:
the read must add them, and its answer must equal one database holding every run.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import timedelta

import pytest

from slo.ledger import RunLedger
from slo.rings import to_ns
from slo.rollup_read import read_rollups
from slo.segments import Segment
from tests.conftest import migrated_warehouse
from tests.slo.conftest import AT, Recorder, catalog_flow, flow_name
from warehouse.port import Warehouse

M, S = timedelta(minutes=1), timedelta(seconds=1)
TABLES = ("run_ledger", "flow_rollup_minutes", "flow_rollup_hours", "flow_rollup_failed_minutes",
          "flow_rollup_failed_hours")
COLUMNS = ["Entered", "Valid", "GoodRuns", "FlowTimeHist", "StepEntered", "Calls", "DeadLetters"]


def _store(runs: Recorder, ids: range) -> None:
    """Runs ``R<i>``: each starts i minutes before AT - 1 h, most succeed 40 s later, every
    fifth fails (a payments event), every seventh also has a payments span."""
    with runs.batch():
        for i in ids:
            start = AT - 60 * M - i * M
            runs.start(f"R{i}", start)
            (runs.failure if i % 5 == 0 else runs.success)(f"R{i}", start + 40 * S)
    for i in ids:
        if i % 7 == 0:
            runs.span(f"R{i}", "payments", "charge", AT - 60 * M - i * M + 10 * S)


@pytest.fixture()
def shards(chdb_dsn: str) -> Iterator[tuple[Warehouse, Warehouse, str]]:
    """Two shards and one whole database (runs 0-39 split 0-19 / 20-39 and all of them), each
    with its rollups built, and a database of Merge tables over the shards."""
    with ExitStack() as stack:
        one, two, whole = (stack.enter_context(migrated_warehouse(chdb_dsn, p))
                           for p in ("shard1", "shard2", "whole"))
        flow = flow_name()
        for wh, ids in ((one, range(0, 40, 2)), (two, range(1, 40, 2)), (whole, range(40))):
            _store(Recorder(wh, flow), ids)
            RunLedger(wh).sync([catalog_flow(flow)])
        merged = f"cluster_{uuid.uuid4().hex[:12]}"
        with Warehouse.connect(chdb_dsn, database=merged) as over:
            pattern = f"^({one.database}|{two.database})$"
            for table in TABLES:
                over.command(f"CREATE TABLE {merged}.{table} AS {one.database}.{table} "
                             f"ENGINE = Merge(REGEXP('{pattern}'), '^{table}$')")
            try:
                yield over, whole, flow
            finally:
                over.command(f"DROP DATABASE IF EXISTS {merged} SYNC")


def test_the_shards_rollups_add_up_to_one_databases(
        shards: tuple[Warehouse, Warehouse, str]) -> None:
    over, whole, flow = shards
    # rings with edges inside minutes: whole hours, whole minutes and raw edges all take part
    edges = [to_ns(AT - 3 * 60 * M + 7 * S), to_ns(AT - 90 * M + 13 * S), to_ns(AT)]
    segments = [Segment(i + 1, edges[i], edges[i + 1]) for i in range(2)]
    split = read_rollups(over, {flow: segments}, COLUMNS)
    single = read_rollups(whole, {flow: segments}, COLUMNS)
    assert split == single
    total = split[(flow, 1)].merge(split[(flow, 2)])
    assert total.entered == 40 and total.valid_in(0) == 40
    # checkout: every start event; payment: 8 failure events and 6 charge spans, 2 runs both;
    # erp-sync: the 32 success events
    assert total.good_in(0) == 32 and total.step_entered == (40, 12, 32)
