"""Correlation rules: which flow and correlation id a span or business event belongs to."""

from __future__ import annotations

from typing import Any

import pytest

from catalog.model import Catalog, Flow, Matcher, Step
from collector.tagging import (
    Tagger,
    correlate_event,
    correlate_span,
    data_value,
    outcome_of,
)
from tests.collector.otlp_builders import CATALOG

SPANS: list[tuple[str, dict[str, Any], tuple[str, str] | None]] = [
    (
        "a span attribute tags the flow naming the service",
        {"service": "payments", "span": {"order.id": "A-1"}},
        ("order-to-cash", "A-1"),
    ),
    (
        "a shared key prefers the flow naming the service",
        {"service": "ledger", "span": {"order.id": "A-1"}},
        ("refund-to-ledger", "A-1"),
    ),
    (
        "with no flow naming the service the first in file order wins",
        {"service": "nobody", "span": {"order.id": "A-1"}},
        ("order-to-cash", "A-1"),
    ),
    (
        "the span attribute beats the resource attribute",
        {"service": "payments", "span": {"order.id": "A-1"}, "resource": {"order.id": "R-1"}},
        ("order-to-cash", "A-1"),
    ),
    (
        "the resource attribute is the fallback",
        {"service": "payments", "resource": {"order.id": "R-1"}},
        ("order-to-cash", "R-1"),
    ),
    (
        "a resource attribute beats a baggage copy",
        {
            "service": "payments",
            "span": {"baggage.order.id": "B-1"},
            "resource": {"order.id": "R-1"},
        },
        ("order-to-cash", "R-1"),
    ),
    (
        "a baggage copy is the last resort",
        {"service": "payments", "resource": {"baggage.order.id": "B-1"}},
        ("order-to-cash", "B-1"),
    ),
    (
        "an explicit correlation id wins over the key",
        {"service": "payments", "span": {"order.id": "A-1", "flowscope.correlation_id": "X"}},
        ("order-to-cash", "X"),
    ),
    (
        "an explicit correlation id alone needs a flow naming the service",
        {"service": "crm", "span": {"flowscope.correlation_id": "X"}},
        ("lead-to-demo", "X"),
    ),
    (
        "an explicit correlation id of an unknown service is not tagged",
        {"service": "nobody", "span": {"flowscope.correlation_id": "X"}},
        None,
    ),
    (
        "an explicit flow is honoured with an explicit id",
        {
            "service": "nobody",
            "span": {"flowscope.correlation_id": "X", "flowscope.flow": "lead-to-demo"},
        },
        ("lead-to-demo", "X"),
    ),
    (
        "an explicit flow that is not a candidate is ignored",
        {"service": "payments", "span": {"order.id": "A-1", "flowscope.flow": "lead-to-demo"}},
        ("order-to-cash", "A-1"),
    ),
    (
        "an explicit flow missing from the catalog is ignored",
        {"service": "payments", "span": {"order.id": "A-1", "flowscope.flow": "nope"}},
        ("order-to-cash", "A-1"),
    ),
    ("no correlation value, no tag", {"service": "payments", "span": {"x": "1"}}, None),
    ("an empty correlation value, no tag", {"service": "payments", "span": {"order.id": ""}}, None),
]


@pytest.mark.parametrize(
    ("given", "expected"), [case[1:] for case in SPANS], ids=[case[0] for case in SPANS]
)
def test_span_correlation(given: dict[str, Any], expected: tuple[str, str] | None) -> None:
    got = correlate_span(
        CATALOG,
        span_attrs=given.get("span", {}),
        resource_attrs=given.get("resource", {}),
        service=given["service"],
        span_name="any",
    )
    assert got == expected


def test_a_step_naming_service_and_span_beats_one_naming_only_the_service() -> None:
    catalog = Catalog(
        flows=(
            Flow("by-service", "k", steps=(Step("s", service="api"),)),
            Flow("by-span", "k", steps=(Step("s", service="api", span="charge"),)),
        )
    )
    tagger = Tagger(catalog)
    assert tagger.span_flow("api", "charge", ("k",)) == catalog.flows[1]
    assert tagger.span_flow("api", "other", ("k",)) == catalog.flows[0]
    assert tagger.span_flow("api", "other", ()) is None


EVENTS: list[tuple[str, str, dict[str, str], tuple[str, str, str] | None]] = [
    ("a start event", "OrderPlaced", {"order.id": "A-1"}, ("order-to-cash", "A-1", "start")),
    ("a success event", "InvoicePosted", {"order.id": "A-1"}, ("order-to-cash", "A-1", "success")),
    (
        "a failure event",
        "InvoiceRejected",
        {"order.id": "A-1"},
        ("order-to-cash", "A-1", "failure"),
    ),
    (
        "a shared key prefers the flow listing the type",
        "RefundBooked",
        {"order.id": "A-1"},
        ("refund-to-ledger", "A-1", "success"),
    ),
    (
        "an unlisted type keeps the first flow",
        "Audit",
        {"order.id": "A-1"},
        ("order-to-cash", "A-1", ""),
    ),
    (
        "an explicit id with a listed type",
        "DemoBooked",
        {"flowscope.correlation_id": "X"},
        ("lead-to-demo", "X", "success"),
    ),
    ("an explicit id with an unlisted type", "Audit", {"flowscope.correlation_id": "X"}, None),
    ("no correlation value", "OrderPlaced", {}, None),
]


@pytest.mark.parametrize(
    ("event_type", "attrs", "expected"),
    [case[1:] for case in EVENTS],
    ids=[case[0] for case in EVENTS],
)
def test_event_correlation(
    event_type: str, attrs: dict[str, str], expected: tuple[str, str, str] | None
) -> None:
    assert correlate_event(CATALOG, event_type=event_type, lookup=attrs.get) == expected


def test_an_empty_catalog_tags_nothing() -> None:
    assert (
        correlate_span(
            Catalog(), span_attrs={"order.id": "1"}, resource_attrs={}, service="s", span_name="n"
        )
        is None
    )
    assert (
        correlate_event(Catalog(), event_type="OrderPlaced", lookup={"order.id": "1"}.get) is None
    )


@pytest.mark.parametrize(
    ("event_type", "outcome"),
    [("A", "start"), ("B", "success"), ("C", "failure"), ("D", "")],
    ids=["start", "success", "failure", "none"],
)
def test_outcome_of_an_event_type(event_type: str, outcome: str) -> None:
    from catalog.model import FailureMatcher

    flow = Flow(
        "f",
        "k",
        start=Matcher(events=("A",)),
        success=Matcher(events=("B",)),
        failure=FailureMatcher(events=("C",)),
    )
    assert outcome_of(flow, event_type) == outcome


@pytest.mark.parametrize(
    ("data", "key", "expected"),
    [
        ({"order.id": "A"}, "order.id", "A"),
        ({"order": {"id": 7}}, "order.id", "7"),
        ({"order": {"id": True}}, "order.id", "true"),
        ({"order": {"id": 1.5}}, "order.id", "1.5"),
        ({"order": {"id": {"x": 1}}}, "order.id", None),
        ({"order": ["id"]}, "order.id", None),
        ("text", "order.id", None),
        ({"order.id": None}, "order.id", None),
    ],
    ids=[
        "a member named with dots",
        "a dotted path to an int",
        "a bool",
        "a double",
        "an object is no value",
        "an array is no value",
        "data that is not an object",
        "null is no value",
    ],
)
def test_values_in_event_data(data: Any, key: str, expected: str | None) -> None:
    assert data_value(data, key) == expected
