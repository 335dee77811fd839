"""Decoded values and their Arrow shapes for the warehouse tables."""

from __future__ import annotations

import pyarrow as pa
import pytest

from collector.errors import (
    CollectorError,
    DecodeError,
    InvalidItem,
    PayloadTooLarge,
    SpoolFull,
    SpoolUnavailable,
    UnsupportedMediaType,
)
from collector.model import (
    BUSINESS_EVENT_SCHEMA,
    SPAN_SCHEMA,
    BusinessEvent,
    ItemError,
    events_to_arrow,
)
from tests.collector.otlp_builders import rows


def test_the_span_schema_is_the_exporter_schema_column_for_column() -> None:
    assert SPAN_SCHEMA.names == [
        "Timestamp", "TraceId", "SpanId", "ParentSpanId", "TraceState", "SpanName", "SpanKind",
        "ServiceName", "ResourceAttributes", "ScopeName", "ScopeVersion", "SpanAttributes",
        "Duration", "StatusCode", "StatusMessage", "Events.Timestamp", "Events.Name",
        "Events.Attributes", "Links.TraceId", "Links.SpanId", "Links.TraceState",
        "Links.Attributes",
    ]  # fmt: skip
    assert SPAN_SCHEMA.field("Timestamp").type == pa.timestamp("ns")
    assert SPAN_SCHEMA.field("Duration").type == pa.uint64()
    assert SPAN_SCHEMA.field("Events.Attributes").type == pa.list_(
        pa.map_(pa.string(), pa.string())
    )


def test_events_become_a_business_events_table() -> None:
    events = [
        BusinessEvent(
            event_id="e1",
            source="/shop",
            type="OrderPlaced",
            time_ns=1_700_000_000_123_456_789,
            subject="order/1",
            flow="order-to-cash",
            correlation_id="A-1",
            outcome="start",
            service="storefront",
            trace_id="ab" * 16,
            span_id="cd" * 8,
            attributes=(("region", "eu"), ("tier", "gold")),
            data_json='{"a":1}',
        ),
        BusinessEvent(event_id="e2", source="/shop", type="Audit", time_ns=0),
    ]
    table = events_to_arrow(events, ingested_at_ms=1_700_000_001_000)
    assert table.schema == BUSINESS_EVENT_SCHEMA
    assert BUSINESS_EVENT_SCHEMA.field("Time").type == pa.timestamp("ns", tz="UTC")
    assert BUSINESS_EVENT_SCHEMA.field("IngestedAt").type == pa.timestamp("ms", tz="UTC")
    first, second = rows(table)
    assert first == {
        "EventId": "e1",
        "Source": "/shop",
        "Type": "OrderPlaced",
        "Time": 1_700_000_000_123_456_789,
        "Subject": "order/1",
        "Flow": "order-to-cash",
        "CorrelationId": "A-1",
        "Outcome": "start",
        "ServiceName": "storefront",
        "TraceId": "ab" * 16,
        "SpanId": "cd" * 8,
        "Attributes": {"region": "eu", "tier": "gold"},
        "Data": '{"a":1}',
        "IngestedAt": 1_700_000_001_000,
    }
    assert (second["Flow"], second["Attributes"], second["Data"]) == ("", {}, "")


def test_no_events_is_an_empty_table() -> None:
    table = events_to_arrow([], ingested_at_ms=0)
    assert (table.num_rows, table.schema) == (0, BUSINESS_EVENT_SCHEMA)


def test_an_event_reads_its_attributes() -> None:
    e = BusinessEvent("e", "s", "t", 0, attributes=(("a", "1"),))
    assert (e.attribute("a"), e.attribute("b")) == ("1", None)


@pytest.mark.parametrize(
    ("error", "text"),
    [
        (ItemError(3, "events[3].id", "is required"), "events[3].id: is required"),
        (ItemError(0, "", "must be a JSON object"), "must be a JSON object"),
    ],
    ids=["field and message", "message only"],
)
def test_item_errors_read_as_field_then_message(error: ItemError, text: str) -> None:
    assert str(error) == text


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (DecodeError("x"), 400),
        (InvalidItem("f", "m"), 400),
        (UnsupportedMediaType("x"), 415),
        (PayloadTooLarge("x"), 413),
        (SpoolFull("x"), 503),
        (SpoolUnavailable("x"), 503),
    ],
    ids=["decode", "invalid item", "media type", "too large", "spool full", "spool unavailable"],
)
def test_every_collector_error_maps_to_an_http_status(error: CollectorError, status: int) -> None:
    assert isinstance(error, CollectorError)
    assert error.status == status


def test_an_invalid_item_carries_its_field_and_message() -> None:
    error = InvalidItem("traceId", "must be 32 hex digits")
    assert (error.field, error.message, str(error)) == (
        "traceId",
        "must be 32 hex digits",
        "traceId: must be 32 hex digits",
    )
