"""With the embedded engine, spans another writer put into ``otel_traces`` while the server was
down are found once it is back, with no manual step, and counted once across restarts."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx

from tests.flowscope.conftest import Server
from tests.flowscope.exporter_schema import CURRENT, ExporterSpan, insert_spans
from tests.flowscope.orders import lookup
from warehouse.port import Warehouse


def _exported(order: str) -> list[ExporterSpan]:
    trace = uuid.uuid4().hex
    return [
        ExporterSpan("2026-03-04 10:00:00", trace, "e1" * 8, "storefront", "checkout",
                     attributes={"order.id": order}),
        ExporterSpan("2026-03-04 10:00:01", trace, "e2" * 8, "payments", "charge card",
                     kind="Client", status="Error", status_message="card declined",
                     parent_span_id="e1" * 8, resource={"order.id": order}),
    ]


def _engine(data_dir: Path) -> Warehouse:
    return Warehouse.connect(f"chdb://{(data_dir / 'clickhouse').resolve()}")


def test_spans_written_while_the_server_was_down_are_found_after_it_starts(
        tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = Server(data).start()  # migrates and publishes the catalog's rules
    server.stop()
    order = f"X-{uuid.uuid4().hex[:8]}"
    with _engine(data) as wh:
        insert_spans(wh, _exported(order), CURRENT)
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            body = lookup(client, order, expect=2)
        assert body["flow"] == "order-to-cash"
        assert [(i["service"], i["name"], i["status"]) for i in body["items"]] == [
            ("storefront", "checkout", "unset"), ("payments", "charge card", "error")]
    finally:
        server.stop()
    server.start()  # a restart reprocesses nothing
    server.stop()
    with _engine(data) as wh:
        counted = wh.query("SELECT count(), countIf(Status = 'error') "
                           "FROM correlation_items FINAL WHERE CorrelationId = {o:String}",
                           {"o": order})
        assert counted == [(2, 1)]
        changed = wh.query("SELECT uniqExact(Flow, CorrelationId) FROM run_changes "
                           "WHERE CorrelationId = {o:String}", {"o": order})
        assert changed == [(1,)]  # the follower sees the run
