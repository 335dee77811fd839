"""Search keys indexed by the warehouse views as rows are stored, and over older data when a flow
gains keys: tagged spans, spans written by others (with the catalog's redaction), events."""

from __future__ import annotations

import json
import textwrap
import time
from collections.abc import Callable, Iterator

import pytest

from catalog.model import Catalog
from catalog.spec import parse_catalog
from collector.redaction import hash_value
from collector.search_backfill import SearchBackfill
from collector.search_rules import publish_search_rules, rules_row
from warehouse.migrations import apply_migrations
from warehouse.port import Warehouse

CATALOG = textwrap.dedent("""\
    apiVersion: flowscope/v1
    redaction:
      - {key: "customer.email", action: hash}
    flows:
      - name: order-to-cash
        correlation_key: order.id
        search_keys: [customer.id, customer.email, invoice.number]
      - name: lead-to-demo
        correlation_key: lead.id
    """)


def catalog(*keys: str) -> Catalog:
    text = CATALOG if not keys else CATALOG.replace(
        "[customer.id, customer.email, invoice.number]", f"[{', '.join(keys)}]")
    return parse_catalog(text)


@pytest.fixture()
def wh(chdb_dsn: str, fresh_database: str) -> Iterator[Warehouse]:
    with Warehouse.connect(chdb_dsn, database=fresh_database) as warehouse:
        apply_migrations(warehouse)
        yield warehouse


def span(wh: Warehouse, attrs: dict[str, str], resource: dict[str, str] | None = None,
         day: str = "2026-03-04") -> None:
    def mapping(values: dict[str, str]) -> str:
        return "map(" + ", ".join(f"'{k}', '{v}'" for k, v in values.items()) + ")"

    wh.command(
        f"INSERT INTO {wh.database}.otel_traces (Timestamp, TraceId, SpanId, ServiceName, "
        f"SpanName, SpanAttributes, ResourceAttributes) VALUES ('{day} 10:00:00', 't', "
        f"'{time.time_ns()}', 'svc', 'op', {mapping(attrs)}, {mapping(resource or {})})")


def event(wh: Warehouse, run: str, attrs: dict[str, str], data: object, day: str = "2026-03-04"
          ) -> None:
    pairs = ", ".join(f"'{k}', '{v}'" for k, v in attrs.items())
    wh.command(
        f"INSERT INTO {wh.database}.business_events (EventId, Source, Type, Time, Flow, "
        "CorrelationId, Attributes, Data) VALUES ({id:String}, '/t', 'T', "
        f"'{day} 10:00:00', 'order-to-cash', {{run:String}}, map({pairs}), {{data:String}})",
        {"id": str(time.time_ns()), "run": run, "data": json.dumps(data)})


def indexed(wh: Warehouse) -> set[tuple[str, str, str, str]]:
    rows = wh.query(f"SELECT Key, Value, Flow, CorrelationId FROM {wh.database}.search_items")
    keys = wh.query(f"SELECT Key, Value, Flow, CorrelationId FROM {wh.database}.run_keys")
    found = {(str(k), str(v), str(f), str(c)) for k, v, f, c in rows}
    assert found == {(str(k), str(v), str(f), str(c)) for k, v, f, c in keys}  # both orders
    return found


def test_the_rules_row_lists_the_flows_with_keys_their_extensions_and_redaction() -> None:
    assert rules_row(catalog()) == {
        "Flows": ["order-to-cash"],
        "Keys": [["customer.id", "customer.email", "invoice.number"]],
        "Extensions": [["customerid", "customeremail", "invoicenumber"]],
        "KeyActions": [[0, 1, 0]],
        "CorrelationKeys": ["order.id"],
        "CorrelationActions": [0],
        "BaggageActions": [0],
    }


def test_publishing_the_same_rules_twice_writes_one_row(wh: Warehouse) -> None:
    assert publish_search_rules(wh, catalog(), clock_ns=time.time_ns)
    assert not publish_search_rules(wh, catalog(), clock_ns=time.time_ns)
    assert wh.query(f"SELECT count() FROM {wh.database}.search_rules") == [(1,)]


@pytest.mark.parametrize(
    ("store", "expected"),
    [
        pytest.param(lambda wh: span(wh, {"flowscope.flow": "order-to-cash",
                                          "flowscope.correlation_id": "A-1",
                                          "customer.id": "C-42"}),
                     {("customer.id", "C-42", "order-to-cash", "A-1")},
                     id="a tagged span's attribute"),
        pytest.param(lambda wh: span(wh, {"flowscope.flow": "order-to-cash",
                                          "flowscope.correlation_id": "A-1"},
                                     {"customer.id": "C-42"}),
                     {("customer.id", "C-42", "order-to-cash", "A-1")},
                     id="a tagged span's resource attribute"),
        pytest.param(lambda wh: span(wh, {"order.id": "A-2", "customer.email": "a@b.c"}),
                     {("customer.email", hash_value("a@b.c"), "order-to-cash", "A-2")},
                     id="an untagged span's value hashed as the catalog says"),
        pytest.param(lambda wh: span(wh, {"baggage.order.id": "A-3", "customer.id": "C-7"}),
                     {("customer.id", "C-7", "order-to-cash", "A-3")},
                     id="an untagged span whose run is named by baggage"),
        pytest.param(lambda wh: span(wh, {"customer.id": "C-7"}), set(),
                     id="an untagged span naming no run is not indexed"),
        pytest.param(lambda wh: span(wh, {"flowscope.flow": "lead-to-demo",
                                          "flowscope.correlation_id": "L-1",
                                          "customer.id": "C-42"}), set(),
                     id="a flow without search keys is not indexed"),
        pytest.param(lambda wh: event(wh, "A-4", {"customerid": "C-42"},
                                      {"invoice": {"number": 1234}}),
                     {("customer.id", "C-42", "order-to-cash", "A-4"),
                      ("invoice.number", "1234", "order-to-cash", "A-4")},
                     id="an event's extension and a number at a dotted path of its data"),
        pytest.param(lambda wh: event(wh, "A-5", {}, {"invoice.number": "INV-9",
                                                      "customer": {"id": "C-8"}}),
                     {("invoice.number", "INV-9", "order-to-cash", "A-5"),
                      ("customer.id", "C-8", "order-to-cash", "A-5")},
                     id="an event's data member named like the key"),
    ],
)
def test_rows_are_indexed_as_they_are_stored(wh: Warehouse, store: Callable[[Warehouse], None],
                                             expected: set[tuple[str, str, str, str]]) -> None:
    publish_search_rules(wh, catalog(), clock_ns=time.time_ns)
    store(wh)
    assert indexed(wh) == expected


def test_a_key_added_later_is_indexed_over_the_older_data_once(wh: Warehouse) -> None:
    publish_search_rules(wh, catalog("customer.id"), clock_ns=time.time_ns)
    for day in ("2026-03-01", "2026-03-02"):
        span(wh, {"flowscope.flow": "order-to-cash", "flowscope.correlation_id": f"A-{day}",
                  "customer.id": "C-1", "invoice.number": f"I-{day}"}, day=day)
        wh.command(f"INSERT INTO {wh.database}.correlation_items (CorrelationId, Flow, Timestamp,"
                   f" Kind) VALUES ('A-{day}', 'order-to-cash', '{day} 10:00:00', 'span')")
    backfill = SearchBackfill(wh)
    assert backfill.sync(catalog("customer.id")) == ("order-to-cash",)
    assert backfill.sync(catalog("customer.id")) == ()
    assert not {k for k, *_ in indexed(wh)} - {"customer.id"}
    wider = catalog("customer.id", "invoice.number")
    publish_search_rules(wh, wider, clock_ns=time.time_ns)
    assert backfill.sync(wider) == ("order-to-cash",)
    assert {(k, v) for k, v, *_ in indexed(wh)} == {
        ("customer.id", "C-1"), ("invoice.number", "I-2026-03-01"),
        ("invoice.number", "I-2026-03-02")}
    state = wh.query(f"SELECT Done, Total FROM {wh.database}.search_index_state FINAL")
    assert state == [(2, 2)]
