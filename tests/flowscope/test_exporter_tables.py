"""Tables an OpenTelemetry Collector created and fills: adopted, deduplicated, and its spans
counted in order lookup, SLOs and costs with no manual step.

Each exporter generation (:mod:`tests.flowscope.exporter_schema`) creates its tables with its
own DDL; ``flowscope migrate``'s steps run on top; the exporter then inserts spans the way it
does (its column list, its spelling of kinds and statuses, no flowscope tags).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from catalog.spec import parse_catalog
from collector.correlation_rules import publish_rules
from cost.queries import flow_usage
from cost.usage import DateRange
from slo.evaluation import evaluate_flow
from tests.flowscope.exporter_schema import (
    GENERATIONS,
    ExporterSpan,
    Generation,
    insert_spans,
)
from tests.warehouse.rows import Span, ns, spans_table
from warehouse.adoption import adopt_tables
from warehouse.correlations import lookup_correlation
from warehouse.migrations import apply_migrations, verify_schema
from warehouse.port import Warehouse

CATALOG = parse_catalog(textwrap.dedent("""\
    apiVersion: flowscope/v1
    flows:
      - name: order-to-cash
        correlation_key: order.id
        start: {service: storefront, span: checkout}
        success: {service: erp-sync, span: invoice.post}
        failure: {dead_letter: true}
        steps:
          - {name: checkout, service: storefront}
          - {name: payment, service: payments, partner: stripe}
          - {name: erp-sync, service: erp-sync, partner: netsuite}
        slos:
          - {name: success-rate, objective: 99, period: 30d}
        cost:
          currency: USD
          per_call:
            - {partner: stripe, price: "0.30"}
    """))
FLOW = CATALOG.flows[0]
DAY = date(2026, 3, 4)
AT = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)

SPANS = [
    # A-1 succeeds, after a failed payment attempt and its retry
    ExporterSpan("2026-03-04 10:00:00", "a1" * 16, "a100000000000001", "storefront", "checkout",
                 attributes={"order.id": "A-1"}),
    ExporterSpan("2026-03-04 10:00:01", "a1" * 16, "a100000000000002", "payments",
                 "stripe.charges.create", kind="Client", status="Error",
                 status_message="card declined", attributes={"order.id": "A-1"}),
    ExporterSpan("2026-03-04 10:00:05", "a1" * 16, "a100000000000003", "payments",
                 "stripe.charges.create", kind="Client", status="Ok",
                 resource={"order.id": "A-1"}),
    ExporterSpan("2026-03-04 10:01:00", "a1" * 16, "a100000000000004", "erp-sync",
                 "invoice.post", attributes={"order.id": "A-1"}),
    # A-2 fails: its payment is dead-lettered
    ExporterSpan("2026-03-04 10:02:00", "a2" * 16, "a200000000000001", "storefront", "checkout",
                 attributes={"order.id": "A-2"}),
    ExporterSpan("2026-03-04 10:02:01", "a2" * 16, "a200000000000002", "payments",
                 "payment dead-letter", kind="Internal", status="Error",
                 attributes={"baggage.order.id": "A-2"}),
    # no correlation key: stored, never indexed
    ExporterSpan("2026-03-04 10:03:00", "a3" * 16, "a300000000000001", "storefront",
                 "healthcheck"),
]


@pytest.fixture(params=GENERATIONS, ids=[g.name for g in GENERATIONS])
def adopted(request: pytest.FixtureRequest, chdb_dsn: str,
            fresh_database: str) -> Iterator[tuple[Warehouse, Generation]]:
    """A database whose span tables the exporter created, with flowscope's migrations on top,
    the tables adopted and the catalog's rules published (what ``flowscope serve`` does)."""
    generation: Generation = request.param
    with Warehouse.connect(chdb_dsn, database=fresh_database) as wh:
        generation.create(wh)
        apply_migrations(wh)
        assert adopt_tables(wh) == ["otel_traces", "otel_traces_trace_id_ts"]
        publish_rules(wh, CATALOG, clock_ns=time.time_ns)
        yield wh, generation


def test_the_exporter_tables_are_adopted_and_then_left_alone(
        adopted: tuple[Warehouse, Generation]) -> None:
    wh, _ = adopted
    verify_schema(wh)
    assert adopt_tables(wh) == []
    [(ddl,)] = wh.query(f"SHOW CREATE TABLE {wh.database}.otel_traces")
    assert "non_replicated_deduplication_window = 10000" in ddl


def test_a_replayed_insert_is_stored_once_on_an_adopted_table(
        adopted: tuple[Warehouse, Generation]) -> None:
    wh, _ = adopted
    batch = spans_table([Span(start_ns=ns(AT), span_id=f"{i:016x}") for i in range(5)])
    wh.insert_arrow("otel_traces", batch, dedup_token="batch-1")
    wh.insert_arrow("otel_traces", batch, dedup_token="batch-1")
    assert wh.query(f"SELECT count() FROM {wh.database}.otel_traces")[0][0] == 5


def test_without_adoption_the_same_replay_is_stored_twice(
        chdb_dsn: str, fresh_database: str) -> None:
    with Warehouse.connect(chdb_dsn, database=fresh_database) as wh:
        GENERATIONS[0].create(wh)
        batch = spans_table([Span(start_ns=ns(AT))])
        wh.insert_arrow("otel_traces", batch, dedup_token="batch-1")
        wh.insert_arrow("otel_traces", batch, dedup_token="batch-1")
        assert wh.query(f"SELECT count() FROM {wh.database}.otel_traces")[0][0] == 2


def test_exporter_spans_are_found_by_order_id_with_their_failed_hop(
        adopted: tuple[Warehouse, Generation]) -> None:
    wh, generation = adopted
    insert_spans(wh, SPANS, generation)
    order = lookup_correlation(wh, "A-1")
    assert order is not None and order.flow == "order-to-cash"
    assert [(i.service, i.name, i.status) for i in order.items] == [
        ("storefront", "checkout", "unset"),
        ("payments", "stripe.charges.create", "error"),
        ("payments", "stripe.charges.create", "ok"),
        ("erp-sync", "invoice.post", "unset"),
    ]
    failed = lookup_correlation(wh, "A-2")
    assert failed is not None
    assert [(i.name, i.status) for i in failed.items] == [
        ("checkout", "unset"), ("payment dead-letter", "error")]


def test_exporter_spans_count_in_slos_and_costs_once(
        adopted: tuple[Warehouse, Generation]) -> None:
    wh, generation = adopted
    insert_spans(wh, SPANS, generation)
    [slo] = evaluate_flow(wh, FLOW, AT).slos
    assert (slo.counts.good, slo.counts.bad) == (1, 1)
    [usage] = flow_usage(wh, [FLOW], DateRange(DAY, DAY))[FLOW.name].days
    assert (usage.runs_started, usage.successes, usage.failures) == (2, 1, 1)
    assert dict(usage.activity.calls_by_partner) == {"stripe": 3, "netsuite": 1}
    assert wh.query(
        f"SELECT sum(Items), sum(ItemErrors) FROM {wh.database}.flow_rollup_hours FINAL"
    )[0] == (6, 2)


def test_spans_flowscope_tagged_are_not_indexed_a_second_time(
        adopted: tuple[Warehouse, Generation]) -> None:
    wh, _ = adopted
    tagged = Span(start_ns=ns(AT), attributes={
        "order.id": "A-9", "flowscope.flow": "order-to-cash", "flowscope.correlation_id": "A-9"})
    wh.insert_arrow("otel_traces", spans_table([tagged]), dedup_token="tagged")
    order = lookup_correlation(wh, "A-9")
    assert order is not None and len(order.items) == 1
    assert wh.query(
        f"SELECT count() FROM {wh.database}.correlation_items WHERE CorrelationId = 'A-9'"
    )[0][0] == 1


def test_migrate_says_which_adopted_tables_got_the_window(tmp_path: Path) -> None:
    # chDB opens one data directory per process: the exporter's DDL and migrate run in their own
    create = (
        "import sys; from warehouse.port import Warehouse; "
        "from tests.flowscope.exporter_schema import BLOOM; "
        f"wh = Warehouse.connect('chdb://{tmp_path / 'clickhouse'}'); BLOOM.create(wh); wh.close()"
    )
    subprocess.run([sys.executable, "-c", create], check=True, timeout=120)
    first, second = (
        subprocess.run([sys.executable, "-m", "flowscope", "migrate", "--data-dir",
                        str(tmp_path)], capture_output=True, text=True, timeout=120, check=True)
        for _ in range(2))
    assert "set non_replicated_deduplication_window = 10000 on otel_traces:" in first.stdout
    assert "on otel_traces_trace_id_ts:" in first.stdout
    assert second.stdout.strip() == "schema is up to date"
