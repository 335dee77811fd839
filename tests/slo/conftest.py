"""SLO query fixtures: one migrated database per test module, and a recorder of runs.

Migrating takes a few hundred milliseconds, so the SQL tests share one database per module and
isolate themselves by flow name (every test uses a fresh one, see :func:`flow_name`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from catalog.model import FailureMatcher, Flow, LatencySpec, Matcher, SLOSpec, Step
from collector.model import BusinessEvent, events_to_arrow
from slo.rings import to_ns
from tests.conftest import migrated_warehouse
from warehouse.port import Warehouse

AT = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
"""The instant most SQL tests evaluate at (a Tuesday)."""


def flow_name() -> str:
    """A flow name no other test uses."""
    return f"flow-{uuid.uuid4().hex[:10]}"


def catalog_flow(name: str, **changes: Any) -> Flow:
    """An order-to-cash flow called ``name``: starts at OrderPlaced, succeeds at InvoicePosted,
    fails at PaymentFailed or a dead letter; SLOs success-rate (99 %, 30d) and posted-in-2m
    (90 %, 30d, latency 2m); google-30d windows. ``changes`` replace fields."""
    flow = Flow(
        name=name,
        correlation_key="order.id",
        start=Matcher(events=("OrderPlaced",)),
        success=Matcher(events=("InvoicePosted",)),
        failure=FailureMatcher(events=("PaymentFailed",), dead_letter=True),
        steps=(Step("checkout", service="storefront"), Step("payment", service="payments"),
               Step("erp-sync", service="erp-sync")),
        slos=(SLOSpec("success-rate", Decimal("99"), timedelta(days=30)),
              SLOSpec("posted-in-2m", Decimal("90"), timedelta(days=30),
                      latency=LatencySpec(timedelta(minutes=2)))),
        alerting_windows="google-30d",
    )
    return replace(flow, **changes)


@pytest.fixture(scope="module")
def migrated(chdb_dsn: str) -> Iterator[Warehouse]:
    """A Warehouse on a fresh database of the session engine, every migration applied."""
    with migrated_warehouse(chdb_dsn, "slo") as wh:
        yield wh


@dataclass
class Recorder:
    """Inserts business events and tagged spans the way ingest stores them, one insert per
    call (so each call is a separate block and a separate partial state of its run), or one
    insert for all the events of a :meth:`batch`."""

    wh: Warehouse
    flow: str
    pending: list[BusinessEvent] | None = None

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Events recorded inside are inserted together on exit (one block)."""
        self.pending = []
        try:
            yield
            events, self.pending = self.pending, None
            if events:
                self.wh.insert_arrow("business_events", events_to_arrow(events, 0),
                                     dedup_token=uuid.uuid4().hex)
        finally:
            self.pending = None

    def event(self, cid: str, type_: str, at: datetime, *, outcome: str = "",
              service: str = "", event_id: str | None = None, source: str = "/test") -> str:
        """One business event; returns its id (pass it again to insert a duplicate)."""
        eid = event_id or uuid.uuid4().hex
        event = BusinessEvent(event_id=eid, source=source, type=type_, time_ns=to_ns(at),
                              flow=self.flow, correlation_id=cid, outcome=outcome,
                              service=service)
        if self.pending is not None:
            self.pending.append(event)
            return eid
        self.wh.insert_arrow("business_events", events_to_arrow([event], to_ns(at) // 10**6),
                             dedup_token=uuid.uuid4().hex)
        return eid

    def start(self, cid: str, at: datetime) -> None:
        self.event(cid, "OrderPlaced", at, outcome="start", service="storefront")

    def success(self, cid: str, at: datetime) -> None:
        self.event(cid, "InvoicePosted", at, outcome="success", service="erp-sync")

    def failure(self, cid: str, at: datetime) -> None:
        self.event(cid, "PaymentFailed", at, outcome="failure", service="payments")

    def span(self, cid: str, service: str, name: str, at: datetime, *,
             duration: timedelta = timedelta(milliseconds=10), error: bool = False,
             span_id: str | None = None, trace_id: str | None = None) -> str:
        """One span tagged with this flow and ``cid``; returns its span id."""
        sid = span_id or uuid.uuid4().hex[:16]
        self.wh.command(
            "INSERT INTO otel_traces (Timestamp, TraceId, SpanId, ServiceName, SpanName, "
            "SpanKind, SpanAttributes, Duration, StatusCode) SELECT "
            "fromUnixTimestamp64Nano({ts:Int64}), {trace:String}, {span:String}, "
            "{service:String}, {name:String}, 'Server', "
            "map('flowscope.flow', {flow:String}, 'flowscope.correlation_id', {cid:String}), "
            "{duration:UInt64}, {status:String}",
            {"ts": to_ns(at), "trace": trace_id or uuid.uuid4().hex, "span": sid,
             "service": service, "name": name, "flow": self.flow, "cid": cid,
             "duration": duration // timedelta(microseconds=1) * 1000,
             "status": "Error" if error else "Unset"})
        return sid


@pytest.fixture()
def runs(migrated: Warehouse) -> Recorder:
    """A recorder for a flow name of this test's own."""
    return Recorder(migrated, flow_name())
