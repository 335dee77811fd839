"""``flowscope reindex``: rows an OpenTelemetry Collector wrote (no flowscope tags) get indexed."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from catalog.spec import load_catalog
from collector.reindex import engine_in_use
from flowscope.cli import app
from flowscope.cli.reindex import reindex_all as reindex
from flowscope.demo.launcher import EXAMPLE_CATALOG
from slo.search_query import search_runs
from tests.flowscope.conftest import Server
from warehouse.correlations import lookup_correlation
from warehouse.migrations import apply_migrations
from warehouse.port import Warehouse

DAY = date(2026, 3, 4)
TODAY = date(2026, 3, 10)


def _span(
    minute: int, service: str, name: str, span_id: str, *, attrs: str = "", resource: str = "",
    status: str = "Unset",
) -> str:
    ts = f"2026-03-04 10:{minute:02d}:00.000000000"
    return (
        f"('{ts}', 'aaaa0000000000000000000000000001', '{span_id}', '', '', '{name}', "
        f"'Server', '{service}', map('service.name', '{service}'{resource}), 'demo', '', "
        f"map('http.route', '/x'{attrs}), 1500000, '{status}', '', "
        "[], [], [], [], [], [], [])"
    )


SPANS = [
    _span(0, "storefront", "checkout", "0000000000000001",
          attrs=", 'order.id', 'A-1', 'customer.id', 'C-9'",
          status="STATUS_CODE_OK"),  # as older exporter releases spell it
    _span(
        1, "payments", "stripe.charges.create", "0000000000000002", resource=", 'order.id', 'A-1'",
        status="Error",
    ),
    _span(2, "crm", "crm.upsert-contact", "0000000000000003", attrs=", 'baggage.lead.id', 'L-9'"),
    _span(3, "storefront", "healthcheck", "0000000000000004"),
]

EVENTS = [
    ("e1", "/shop", "OrderPlaced", "10:00:00", "map('orderid', 'A-1')", ""),
    ("e2", "/erp", "InvoicePosted", "10:05:00", "map()", '{"order":{"id":"A-1"}}'),
    ("e3", "/crm", "LeadCaptured", "10:02:00", "map()", '{"lead.id":"L-9"}'),
]


@pytest.fixture()
def wh(chdb_dsn: str, fresh_database: str) -> Iterator[Warehouse]:
    with Warehouse.connect(chdb_dsn, database=fresh_database) as warehouse:
        apply_migrations(warehouse)
        db = warehouse.database
        warehouse.command(f"INSERT INTO {db}.otel_traces VALUES " + ", ".join(SPANS))
        for eid, source, kind, at, attrs, data in EVENTS:
            warehouse.command(
                f"INSERT INTO {db}.business_events (EventId, Source, Type, Time, Attributes, Data) "
                f"VALUES ('{eid}', '{source}', '{kind}', '2026-03-04 {at}', {attrs}, '{data}')"
            )
        yield warehouse


def counts(wh: Warehouse) -> tuple[int, ...]:
    db = wh.database
    return tuple(
        wh.query(sql)[0][0]
        for sql in (
            f"SELECT count() FROM {db}.correlation_items",
            f"SELECT sum(Items) FROM {db}.run_ledger FINAL",
            f"SELECT sum(ItemErrors) + sum(Items) FROM {db}.flow_rollup_minutes FINAL",
            f"SELECT sum(Entered) FROM {db}.flow_rollup_hours FINAL",
        )
    )


def test_untagged_collector_rows_become_traceable(wh: Warehouse) -> None:
    assert lookup_correlation(wh, "A-1") is None
    days = reindex(wh, load_catalog(EXAMPLE_CATALOG), today=TODAY)
    assert [(d.day, d.spans, d.events) for d in days] == [(DAY, 3, 3)]
    order = lookup_correlation(wh, "A-1")
    assert order is not None
    assert order.flow == "order-to-cash"
    assert [(i.kind, i.name, i.status) for i in order.items] == [
        ("event", "OrderPlaced", "unset"),
        ("span", "checkout", "ok"),
        ("span", "stripe.charges.create", "error"),
        ("event", "InvoicePosted", "ok"),
    ]
    lead = lookup_correlation(wh, "L-9")
    assert lead is not None and lead.flow == "lead-to-demo"
    # the run ledger was rebuilt: A-1 started at 10:00 and succeeded at 10:05
    run = wh.query(
        f"SELECT Minute, StartAt, SuccessAt FROM {wh.database}.run_ledger FINAL "
        "WHERE Flow = 'order-to-cash' AND CorrelationId = 'A-1' AND (StartAt OR SuccessAt) "
        "ORDER BY Minute")
    assert [(r[0].replace(tzinfo=UTC), r[1] > 0, r[2] > 0) for r in run] == [
        (datetime(2026, 3, 4, 10, 0, tzinfo=UTC), True, False),
        (datetime(2026, 3, 4, 10, 5, tzinfo=UTC), False, True)]
    # the catalog's search key of order-to-cash is indexed over the days reindexed
    flow = load_catalog(EXAMPLE_CATALOG).flow("order-to-cash")
    assert flow is not None
    found = search_runs(wh, [flow], "customer.id", "C-9", 0, 2**62)
    assert [(h.correlation_id, h.state.state if h.state else None) for h in found.hits] == [
        ("A-1", "succeeded")]


@pytest.mark.parametrize(
    "force",
    [False, True],
    ids=["a second run skips the finished days", "a forced second run copies nothing again"],
)
def test_reindex_twice_counts_once(wh: Warehouse, force: bool) -> None:
    catalog = load_catalog(EXAMPLE_CATALOG)
    reindex(wh, catalog, today=TODAY)
    first = counts(wh)
    again = reindex(wh, catalog, today=TODAY, force=force)
    assert counts(wh) == first
    assert [(d.spans, d.events, d.skipped) for d in again] == [(0, 0, not force)]


def test_an_unfinished_day_is_not_recorded(wh: Warehouse) -> None:
    catalog = load_catalog(EXAMPLE_CATALOG)
    reindex(wh, catalog, today=DAY)
    again = reindex(wh, catalog, today=DAY)
    assert [(d.skipped, d.spans) for d in again] == [(False, 0)]


def test_the_range_bounds_the_days(wh: Warehouse) -> None:
    days = reindex(wh, load_catalog(EXAMPLE_CATALOG), start=date(2026, 3, 5), today=TODAY)
    assert days == []
    assert lookup_correlation(wh, "A-1") is None


def test_a_running_server_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    assert not engine_in_use(tmp_path)
    server = Server(tmp_path / "data", catalog=EXAMPLE_CATALOG).start()
    try:
        assert engine_in_use(tmp_path / "data" / "clickhouse")
        result = CliRunner().invoke(
            app,
            ["reindex", "--data-dir", str(server.data_dir), "--catalog", str(EXAMPLE_CATALOG)],
        )
    finally:
        server.stop()
    assert result.exit_code == 1
    assert "in use" in result.output and "stop the server" in result.output


def test_the_command_indexes_a_data_directory(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "flowscope", "reindex", "--data-dir", str(tmp_path),
         "--catalog", str(EXAMPLE_CATALOG)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "indexed 0 spans and 0 events" in done.stdout
