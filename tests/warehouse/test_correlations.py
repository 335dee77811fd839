"""Correlation lookup: spans and events of one id, in order, duplicates collapsed, ids bound."""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tests.warehouse.rows import Event, Span, events_table, ns, spans_table
from warehouse.correlations import (
    MAX_PAGE,
    Timeline,
    TimelineItem,
    lookup_correlation,
    most_common_flow,
)
from warehouse.errors import InvalidCursor
from warehouse.port import Warehouse

START = datetime(2026, 3, 1, 12, 0, 0, 250_000, tzinfo=UTC)
T0 = ns(START)
MS = 1_000_000
ORDER = {"flowscope.correlation_id": "A-1042", "flowscope.flow": "order-to-cash"}


def _order_run(wh: Warehouse) -> None:
    wh.insert_arrow(
        "business_events",
        events_table(
            [
                Event(
                    "evt-1",
                    T0,
                    type="OrderPlaced",
                    source="shop",
                    correlation_id="A-1042",
                    flow="order-to-cash",
                    outcome="start",
                    service="storefront",
                ),
                Event(
                    "evt-2",
                    T0 + 900 * MS,
                    type="InvoicePosted",
                    source="erp",
                    correlation_id="A-1042",
                    flow="order-to-cash",
                    outcome="success",
                ),
                Event("evt-3", T0, type="Other", correlation_id="B-7", flow="refund"),
                Event("evt-4", T0, type="Untagged"),
            ]
        ),
    )
    wh.insert_arrow(
        "otel_traces",
        spans_table(
            [
                Span(
                    start_ns=T0 + 100 * MS,
                    span_id="00000000000000b1",
                    name="checkout",
                    service="storefront",
                    duration_ns=123_456_789,
                    status_code="STATUS_CODE_OK",
                    attributes=ORDER,
                ),
                Span(
                    start_ns=T0 + 300 * MS,
                    span_id="00000000000000b2",
                    parent_span_id="00000000000000b1",
                    name="charge",
                    service="payments",
                    duration_ns=40 * MS,
                    status_code="STATUS_CODE_ERROR",
                    status_message="card declined",
                    attributes=ORDER,
                ),
                Span(start_ns=T0 + 200 * MS, span_id="00000000000000b3", attributes={}),
            ]
        ),
    )


def test_a_correlation_returns_its_spans_and_events_in_time_order(migrated: Warehouse) -> None:
    _order_run(migrated)
    timeline = lookup_correlation(migrated, "A-1042")
    trace_id = Span(start_ns=0).trace_id
    assert timeline is not None
    assert [i.duration_ms for i in timeline.items] == pytest.approx([0.0, 123.456789, 40.0, 0.0])
    without_durations = dataclasses.replace(
        timeline, items=tuple(dataclasses.replace(i, duration_ms=0.0) for i in timeline.items)
    )
    assert without_durations == Timeline(
        correlation_id="A-1042",
        flow="order-to-cash",
        total=4,
        items=(
            TimelineItem(
                kind="event",
                service="storefront",
                name="OrderPlaced",
                time=START,
                duration_ms=0.0,
                status="unset",
                status_message="",
                trace_id="",
                span_id="",
                parent_span_id="",
                event_source="shop",
                event_id="evt-1",
                outcome="start",
            ),
            TimelineItem(
                kind="span",
                service="storefront",
                name="checkout",
                time=datetime(2026, 3, 1, 12, 0, 0, 350_000, tzinfo=UTC),
                duration_ms=0.0,  # compared below
                status="ok",
                status_message="",
                trace_id=trace_id,
                span_id="00000000000000b1",
                parent_span_id="",
                event_source="",
                event_id="",
                outcome="",
            ),
            TimelineItem(
                kind="span",
                service="payments",
                name="charge",
                time=datetime(2026, 3, 1, 12, 0, 0, 550_000, tzinfo=UTC),
                duration_ms=0.0,  # compared below
                status="error",
                status_message="card declined",
                trace_id=trace_id,
                span_id="00000000000000b2",
                parent_span_id="00000000000000b1",
                event_source="",
                event_id="",
                outcome="",
            ),
            TimelineItem(
                kind="event",
                service="",
                name="InvoicePosted",
                time=datetime(2026, 3, 1, 12, 0, 1, 150_000, tzinfo=UTC),
                duration_ms=0.0,
                status="ok",
                status_message="",
                trace_id="",
                span_id="",
                parent_span_id="",
                event_source="erp",
                event_id="evt-2",
                outcome="success",
            ),
        ),
    )


def test_times_are_utc_and_keep_microseconds(migrated: Warehouse) -> None:
    migrated.insert_arrow(
        "otel_traces", spans_table([Span(start_ns=T0 + 1_234_567, attributes=ORDER)])
    )
    timeline = lookup_correlation(migrated, "A-1042")
    assert timeline is not None
    [item] = timeline.items
    assert item.time == datetime(2026, 3, 1, 12, 0, 0, 251_234, tzinfo=UTC)
    assert item.time.utcoffset() is not None and not item.time.utcoffset()


@pytest.mark.parametrize(
    ("status_code", "status"),
    [
        pytest.param("Error", "error", id="an error span is error"),
        pytest.param("Ok", "ok", id="an ok span is ok"),
        pytest.param("Unset", "unset", id="an unset span is unset"),
        pytest.param("STATUS_CODE_ERROR", "error", id="an older spelling of error is error"),
        pytest.param("STATUS_CODE_OK", "ok", id="an older spelling of ok is ok"),
        pytest.param("STATUS_CODE_UNSET", "unset", id="an older spelling of unset is unset"),
        pytest.param("", "unset", id="a span without a status code is unset"),
    ],
)
def test_span_status_codes_map_to_item_statuses(
    migrated: Warehouse, status_code: str, status: str
) -> None:
    migrated.insert_arrow(
        "otel_traces", spans_table([Span(start_ns=T0, status_code=status_code, attributes=ORDER)])
    )
    timeline = lookup_correlation(migrated, "A-1042")
    assert timeline is not None and [i.status for i in timeline.items] == [status]


@pytest.mark.parametrize(
    ("outcome", "status"),
    [
        pytest.param("failure", "error", id="a failure event is error"),
        pytest.param("success", "ok", id="a success event is ok"),
        pytest.param("start", "unset", id="a start event is unset"),
        pytest.param("", "unset", id="an event without outcome is unset"),
    ],
)
def test_event_outcomes_map_to_item_statuses(
    migrated: Warehouse, outcome: str, status: str
) -> None:
    migrated.insert_arrow(
        "business_events",
        events_table([Event("e", T0, correlation_id="A-1042", outcome=outcome)]),
    )
    timeline = lookup_correlation(migrated, "A-1042")
    assert timeline is not None and [i.status for i in timeline.items] == [status]


def test_rows_stored_twice_appear_once(migrated: Warehouse) -> None:
    spans = spans_table([Span(start_ns=T0, attributes=ORDER)])
    events = events_table([Event("e-1", T0, correlation_id="A-1042")])
    for token in ("first delivery", "redelivery"):  # different tokens: both inserts are stored
        migrated.insert_arrow("otel_traces", spans, dedup_token=token)
        migrated.insert_arrow("business_events", events, dedup_token=token)
    assert migrated.query("SELECT count() FROM otel_traces") == [(2,)]
    timeline = lookup_correlation(migrated, "A-1042")
    assert timeline is not None
    assert [(i.kind, i.name) for i in timeline.items] == [
        ("event", "OrderPlaced"),
        ("span", "checkout"),
    ]


def test_the_flow_is_the_most_common_one_among_items(migrated: Warehouse) -> None:
    migrated.insert_arrow(
        "business_events",
        events_table(
            [
                Event("e-1", T0, correlation_id="X", flow=""),
                Event("e-2", T0 + 1, correlation_id="X", flow="refund"),
                Event("e-3", T0 + 2, correlation_id="X", flow="order-to-cash"),
                Event("e-4", T0 + 3, correlation_id="X", flow="order-to-cash"),
            ]
        ),
    )
    timeline = lookup_correlation(migrated, "X")
    assert timeline is not None and timeline.flow == "order-to-cash"


@pytest.mark.parametrize(
    ("flows", "expected"),
    [
        pytest.param([], "", id="no items have no flow"),
        pytest.param([("", 2, 0)], "", id="empty flows do not count"),
        pytest.param([("a", 1, 0), ("b", 2, 1)], "b", id="the most frequent wins"),
        pytest.param([("", 1, 0), ("b", 1, 1), ("a", 1, 2)], "b",
                     id="a tie goes to the first seen"),
        pytest.param([("a", 1, 2), ("b", 1, 1)], "b", id="first seen is by time, not by row"),
    ],
)
def test_most_common_flow(flows: list[tuple[str, int, int]], expected: str) -> None:
    assert most_common_flow(flows) == expected


@pytest.mark.parametrize(
    "correlation_id",
    [
        pytest.param("A-9999", id="an id nobody used"),
        pytest.param("", id="the empty id"),
        pytest.param("x' OR '1'='1", id="an id that would widen the filter"),
        pytest.param("A-1042' --", id="an id that would cut the query short"),
        pytest.param("'; DROP TABLE correlation_items; --", id="an id that would add a statement"),
        pytest.param("a-1042", id="an id in other case"),
    ],
)
def test_an_unknown_or_injection_looking_id_finds_nothing_and_changes_nothing(
    migrated: Warehouse, correlation_id: str
) -> None:
    _order_run(migrated)
    before = migrated.query("SELECT count() FROM correlation_items")
    assert lookup_correlation(migrated, correlation_id) is None
    assert migrated.query("SELECT count() FROM correlation_items") == before
    assert lookup_correlation(migrated, "A-1042") is not None


HOT_ITEMS = 30_000


@pytest.fixture(scope="module")
def hot(chdb_dsn: str) -> Iterator[Warehouse]:
    """A warehouse where one order id carries 30,000 spans, seven sharing each instant (so
    pages end inside a run of equal times) and one event that names another flow."""
    from tests.conftest import migrated_warehouse

    with migrated_warehouse(chdb_dsn, "hot") as wh:
        spans = [Span(start_ns=T0 + (i // 7) * MS, span_id=f"{i + 1:016x}", attributes=ORDER)
                 for i in range(HOT_ITEMS - 1)]
        wh.insert_arrow("otel_traces", spans_table(spans))
        wh.insert_arrow("business_events", events_table(
            [Event("late", T0 + HOT_ITEMS * MS, correlation_id="A-1042", flow="refund")]))
        yield wh


def test_a_hot_id_is_read_in_bounded_pages_that_join_without_gaps(hot: Warehouse) -> None:
    seen: list[tuple[str, str]] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = lookup_correlation(hot, "A-1042", limit=10_000, cursor=cursor)
        assert page is not None
        pages += 1
        assert len(page.items) <= 10_000
        assert (page.total, page.flow) == (HOT_ITEMS, "order-to-cash")
        seen.extend((i.kind, i.span_id or i.event_id) for i in page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages == 3
    assert len(seen) == len(set(seen)) == HOT_ITEMS
    assert seen[-1] == ("event", "late")


def test_a_page_never_holds_more_than_the_maximum(hot: Warehouse) -> None:
    page = lookup_correlation(hot, "A-1042", limit=1_000_000)
    assert page is not None and len(page.items) == MAX_PAGE and page.next_cursor is not None
    small = lookup_correlation(hot, "A-1042", limit=3)
    assert small is not None and [i.span_id for i in small.items] == [
        "0000000000000001", "0000000000000002", "0000000000000003"]


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("not base64 !", id="garbage"),
        pytest.param(base64.urlsafe_b64encode(b'{"a": 1}').decode(), id="json of another shape"),
        pytest.param(base64.urlsafe_b64encode(b'[-1,"","","","",""]').decode(),
                     id="a negative time"),
        pytest.param("A" * 5000, id="a huge cursor"),
    ],
)
def test_a_cursor_this_server_did_not_write_is_refused(migrated: Warehouse, cursor: str) -> None:
    _order_run(migrated)
    with pytest.raises(InvalidCursor, match="cursor"):
        lookup_correlation(migrated, "A-1042", cursor=cursor)
