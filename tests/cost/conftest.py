"""Cost query fixtures: a migrated database per test and a recorder of spans and events."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from collector.model import BusinessEvent, events_to_arrow
from slo.rings import to_ns
from warehouse.migrations import apply_migrations
from warehouse.port import Warehouse


@pytest.fixture()
def wh(chdb_dsn: str, fresh_database: str) -> Iterator[Warehouse]:
    """A Warehouse on this test's fresh database, every migration applied."""
    with Warehouse.connect(chdb_dsn, database=fresh_database) as warehouse:
        apply_migrations(warehouse)
        yield warehouse


@pytest.fixture(scope="module")
def module_wh(chdb_dsn: str) -> Iterator[Warehouse]:
    """A Warehouse on a database of this module's own, every migration applied (migrating
    takes a while, so read-only tests share it)."""
    name = f"cost_{uuid.uuid4().hex[:12]}"
    with Warehouse.connect(chdb_dsn, database=name) as warehouse:
        apply_migrations(warehouse)
        yield warehouse
        warehouse.command(f"DROP DATABASE IF EXISTS {name} SYNC")


@dataclass
class Recorder:
    """Inserts business events and tagged spans of ``flow`` the way ingest stores them."""

    wh: Warehouse
    flow: str

    def event(self, cid: str, type_: str, at: datetime, *, outcome: str = "",
              service: str = "") -> None:
        """One business event of run ``cid``."""
        event = BusinessEvent(event_id=uuid.uuid4().hex, source="/test", type=type_,
                              time_ns=to_ns(at), flow=self.flow, correlation_id=cid,
                              outcome=outcome, service=service)
        self.wh.insert_arrow("business_events", events_to_arrow([event], to_ns(at) // 10**6),
                             dedup_token=uuid.uuid4().hex)

    def span(self, cid: str, service: str, name: str, at: datetime,
             duration: timedelta) -> None:
        """One span of run ``cid`` tagged with the flow, lasting ``duration``."""
        self.wh.command(
            "INSERT INTO otel_traces (Timestamp, TraceId, SpanId, ServiceName, SpanName, "
            "SpanKind, SpanAttributes, Duration, StatusCode) SELECT "
            "fromUnixTimestamp64Nano({ts:Int64}), {trace:String}, {span:String}, "
            "{service:String}, {name:String}, 'Server', "
            "map('flowscope.flow', {flow:String}, 'flowscope.correlation_id', {cid:String}), "
            "{duration:UInt64}, 'Unset'",
            {"ts": to_ns(at), "trace": uuid.uuid4().hex, "span": uuid.uuid4().hex[:16],
             "service": service, "name": name, "flow": self.flow, "cid": cid,
             "duration": duration // timedelta(microseconds=1) * 1000})
