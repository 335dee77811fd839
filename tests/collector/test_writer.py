"""The writer moves spooled rows into the real engine exactly once, even across a crash."""

from __future__ import annotations

import time
from pathlib import Path

from prometheus_client import CollectorRegistry

from catalog.model import Catalog, Flow
from collector.ingest import IngestService
from collector.metrics import CollectorMetrics
from collector.spool import Spool
from collector.writer import TABLES, BatchWriter, read_payloads
from tests.collector.otlp_builders import span, trace_request
from warehouse.migrations import apply_migrations
from warehouse.port import Warehouse

CATALOG = Catalog(flows=(Flow(name="order-to-cash", correlation_key="order.id"),))


def traces_request(*, spans: int, order_id: str) -> bytes:
    built = [span(i + 1, attrs={"order.id": order_id}) for i in range(spans)]
    return trace_request(({"service.name": "storefront"}, built)).SerializeToString()


def service(tmp_path: Path) -> tuple[IngestService, Spool, CollectorMetrics]:
    spool = Spool(tmp_path / "spool.sqlite", clock=time.time)
    metrics = CollectorMetrics(CollectorRegistry())
    return IngestService(spool, metrics, catalog=CATALOG, clock_ns=time.time_ns), spool, metrics


def count(wh: Warehouse, table: str) -> int:
    return int(wh.query(f"SELECT count() FROM {table}")[0][0])


def test_spooled_spans_and_events_reach_the_tables(
    tmp_path: Path, chdb_dsn: str, fresh_database: str
) -> None:
    ingest, spool, metrics = service(tmp_path)
    ingest.traces(traces_request(spans=5, order_id="A-1"), "protobuf")
    ingest.cloudevents(
        "structured",
        b'{"specversion":"1.0","id":"e1","source":"/t","type":"OrderPlaced","orderid":"A-1"}',
    )
    with Warehouse.connect(chdb_dsn, database=fresh_database) as wh:
        apply_migrations(wh)
        delivered = BatchWriter(spool, wh, metrics).drain_once()
        assert delivered == 6
        assert (count(wh, "otel_traces"), count(wh, "business_events")) == (5, 1)
        assert count(wh, "correlation_items FINAL") == 6
    assert spool.stats().entries == 0


def test_a_batch_inserted_before_a_crash_is_not_stored_twice_on_replay(
    tmp_path: Path, chdb_dsn: str, fresh_database: str
) -> None:
    ingest, spool, metrics = service(tmp_path)
    ingest.traces(traces_request(spans=4, order_id="A-2"), "protobuf")
    with Warehouse.connect(chdb_dsn, database=fresh_database) as wh:
        apply_migrations(wh)
        batch = spool.claim("spans", max_rows=1000)
        assert batch is not None
        # the insert lands, then the process dies before the spool forgets the batch
        wh.insert_arrow(
            TABLES["spans"], read_payloads(spool.payloads(batch)), dedup_token=batch.token
        )
        spool.close()
        reopened = Spool(tmp_path / "spool.sqlite", clock=time.time)
        assert BatchWriter(reopened, wh, metrics).drain_once() == 4
        assert count(wh, "otel_traces") == 4
        assert count(wh, "correlation_items") == 4
