"""The writer moves spooled rows into the real engine exactly once, even across a crash."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from catalog.model import Catalog, Flow
from collector.ingest import IngestService
from collector.metrics import CollectorMetrics
from collector.spool import Spool
from collector.writer import TABLES, BatchWriter, insert_due, read_payloads
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


@pytest.mark.parametrize(
    ("rows", "age", "expected"),
    [
        (0, 0.0, None),
        (0, 9.0, None),
        (10, 0.0, 0.5),
        (10, 0.2, 0.3),
        (10, 0.5, 0.0),
        (10, 7.0, 0.0),
        (50_000, 0.0, 0.0),
        (80_000, 0.0, 0.0),
    ],
    ids=[
        "nothing pending waits for new rows",
        "an old age without rows still waits for new rows",
        "a fresh small batch waits the whole age",
        "a younger batch waits for the rest of the age",
        "rows that waited the age are due",
        "rows left over from before a restart are due at once",
        "a full batch is due at once",
        "more than a full batch is due at once",
    ],
)
def test_an_insert_is_due_at_the_row_cap_or_the_age_cap(
    rows: int, age: float, expected: float | None
) -> None:
    due = insert_due(rows, age, max_rows=50_000, max_age_s=0.5)
    assert due == (None if expected is None else pytest.approx(expected))


def inserts(metrics: CollectorMetrics, kind: str) -> int:
    """Inserts the writer made for ``kind`` (the count of its batch-size histogram)."""
    for family in metrics.batch_rows.collect():
        for sample in family.samples:
            if sample.name.endswith("_count") and sample.labels["signal"] == kind:
                return int(sample.value)
    return 0


def run_writer(
    tmp_path: Path, dsn: str, database: str, *, requests: int, max_rows: int, max_age_s: float
) -> tuple[int, int, int, float]:
    """Ingest ``requests`` 3-span requests with a running writer; returns the spans stored,
    the spans stored right after the last ack, the inserts made, and the seconds from the
    first ack until the spool was empty."""
    ingest, spool, metrics = service(tmp_path)
    with Warehouse.connect(dsn, database=database) as wh:
        apply_migrations(wh)
        writer = BatchWriter(spool, wh, metrics, max_rows=max_rows, max_age_s=max_age_s)
        writer.start()
        try:
            acked = time.monotonic()
            for n in range(requests):
                ingest.traces(traces_request(spans=3, order_id=f"A-{n}"), "protobuf")
                writer.notify()
            early = count(wh, "otel_traces")
            deadline = time.monotonic() + 30
            while spool.pending("spans").rows and time.monotonic() < deadline:
                time.sleep(0.01)
            waited = time.monotonic() - acked
        finally:
            writer.stop()
        stored = count(wh, "otel_traces")
    return stored, early, inserts(metrics, "spans"), waited


def test_requests_acknowledged_within_the_age_share_one_insert(
    tmp_path: Path, chdb_dsn: str, fresh_database: str
) -> None:
    stored, early, made, waited = run_writer(
        tmp_path, chdb_dsn, fresh_database, requests=5, max_rows=50_000, max_age_s=2.0
    )
    assert (stored, early, made) == (15, 0, 1)
    assert 1.9 <= waited < 20


def test_a_full_batch_is_inserted_without_waiting_for_the_age(
    tmp_path: Path, chdb_dsn: str, fresh_database: str
) -> None:
    stored, _, made, waited = run_writer(
        tmp_path, chdb_dsn, fresh_database, requests=4, max_rows=6, max_age_s=3600.0
    )
    assert (stored, made) == (12, 2)
    assert waited < 60
