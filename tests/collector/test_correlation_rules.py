"""Spans written without flowscope's collector are tagged by the warehouse view exactly as the
collector tags them (:mod:`collector.tagging`), with the catalog's redaction applied."""

from __future__ import annotations

import textwrap
import time
from collections.abc import Iterator, Mapping

import pytest

from catalog.model import Catalog
from catalog.spec import parse_catalog
from collector.correlation_rules import publish_rules, rules_row
from collector.redaction import hash_value
from collector.tagging import correlate_span
from tests.warehouse.rows import Span, spans_table
from warehouse.migrations import apply_migrations
from warehouse.port import Warehouse

CATALOG = parse_catalog(textwrap.dedent("""\
    apiVersion: flowscope/v1
    redaction:
      - {key: "user.email", action: hash}
      - {key: "baggage.ticket.id", action: drop}
    flows:
      - name: order-to-cash
        correlation_key: order.id
        start: {event: OrderPlaced}
        steps:
          - {name: checkout, service: storefront}
          - {name: payment, service: payments, span: charge}
      - name: refund
        correlation_key: order.id
        steps:
          - {name: refund, service: payments, span: refund}
      - name: signup
        correlation_key: user.email
        steps: [{name: welcome, service: mailer}]
      - name: support
        correlation_key: ticket.id
        steps: [{name: triage, service: helpdesk}]
    """))


def test_the_rules_row_lists_each_flow_with_its_key_redaction_and_names() -> None:
    assert rules_row(CATALOG) == {
        "Flows": ["order-to-cash", "refund", "signup", "support"],
        "Keys": ["order.id", "order.id", "user.email", "ticket.id"],
        "KeyActions": [0, 0, 1, 0],
        "BaggageActions": [0, 0, 1, 2],  # a rule on a key covers its baggage copy too
        "Ops": [["payments\x1fcharge"], ["payments\x1frefund"], [], []],
        "Services": [["payments", "storefront"], ["payments"], ["mailer"], ["helpdesk"]],
    }


@pytest.fixture()
def wh(chdb_dsn: str, fresh_database: str) -> Iterator[Warehouse]:
    with Warehouse.connect(chdb_dsn, database=fresh_database) as warehouse:
        apply_migrations(warehouse)
        yield warehouse


def _tag_in_warehouse(wh: Warehouse, span: Span) -> tuple[str, str] | None:
    wh.insert_arrow("otel_traces", spans_table([span]))
    rows = wh.query(f"SELECT Flow, CorrelationId FROM {wh.database}.correlation_items "
                    "WHERE SpanId = {s:String}", {"s": span.span_id})
    assert len(rows) <= 1
    return (str(rows[0][0]), str(rows[0][1])) if rows else None


def _redacted(attrs: Mapping[str, str]) -> dict[str, str]:
    out = {}
    for key, value in attrs.items():
        if key == "user.email":
            out[key] = hash_value(value)
        elif key != "baggage.ticket.id":
            out[key] = value
    return out


CASES = [
    pytest.param("storefront", "checkout", {"order.id": "A-1"}, {},
                 ("order-to-cash", "A-1"), id="a flow naming the service wins over the first"),
    pytest.param("payments", "refund", {"order.id": "A-1"}, {},
                 ("refund", "A-1"), id="a flow naming service and span wins over the service"),
    pytest.param("payments", "charge", {}, {"order.id": "A-2"},
                 ("order-to-cash", "A-2"), id="the key is read from the resource"),
    pytest.param("crm", "sync", {"baggage.order.id": "A-3"}, {},
                 ("order-to-cash", "A-3"), id="a baggage copy counts; ties go to the first flow"),
    pytest.param("crm", "sync", {"order.id": ""}, {"baggage.order.id": "A-4"},
                 ("order-to-cash", "A-4"), id="an empty value falls through to baggage"),
    pytest.param("mailer", "send", {"user.email": "ann@example.com"}, {},
                 ("signup", hash_value("ann@example.com")), id="a hashed key is stored hashed"),
    pytest.param("helpdesk", "open", {"baggage.ticket.id": "T-1"}, {},
                 None, id="a dropped baggage copy is never read"),
    pytest.param("helpdesk", "open", {"ticket.id": "T-1", "order.id": "A-5"}, {},
                 ("support", "T-1"), id="the flow naming the service beats file order"),
    pytest.param("storefront", "healthcheck", {"http.route": "/health"}, {},
                 None, id="a span without a key is not indexed"),
]


@pytest.mark.parametrize(("service", "name", "attrs", "resource", "expected"), CASES)
def test_the_view_tags_like_the_collector(
    wh: Warehouse, service: str, name: str, attrs: dict[str, str], resource: dict[str, str],
    expected: tuple[str, str] | None,
) -> None:
    publish_rules(wh, CATALOG, clock_ns=time.time_ns)
    span = Span(start_ns=time.time_ns(), service=service, name=name, attributes=attrs,
                resource=resource)
    collector = correlate_span(CATALOG, span_attrs=_redacted(attrs),
                               resource_attrs=_redacted(resource), service=service,
                               span_name=name)
    assert collector == expected
    assert _tag_in_warehouse(wh, span) == expected


def test_nothing_is_tagged_before_rules_are_published(wh: Warehouse) -> None:
    span = Span(start_ns=time.time_ns(), attributes={"order.id": "A-1"})
    assert _tag_in_warehouse(wh, span) is None


def test_the_newest_rules_apply_and_unchanged_rules_are_not_written_again(
        wh: Warehouse) -> None:
    assert publish_rules(wh, CATALOG, clock_ns=lambda: 10)
    assert not publish_rules(wh, CATALOG, clock_ns=lambda: 20)
    assert publish_rules(wh, Catalog(), clock_ns=lambda: 5)  # a clock behind still wins
    assert wh.query(f"SELECT Version FROM {wh.database}.correlation_rules ORDER BY Version") == [
        (10,), (11,)]
    span = Span(start_ns=time.time_ns(), attributes={"order.id": "A-1"})
    assert _tag_in_warehouse(wh, span) is None
