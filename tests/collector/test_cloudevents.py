"""CloudEvents 1.0 over HTTP: structured, batch and binary modes, validation, correlation."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pytest

from collector.cloudevents import (
    decode_batch,
    decode_binary,
    decode_structured,
    extension_name,
    parse_time,
)
from collector.errors import DecodeError, InvalidItem
from collector.model import BusinessEvent, DecodedEvents
from tests.collector.otlp_builders import CATALOG

NOW = 1_700_000_000_000_000_000


def event(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "specversion": "1.0",
        "id": "evt-1",
        "source": "/shop",
        "type": "OrderPlaced",
        "orderid": "A-1042",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not ...}


def structured(obj: Any) -> DecodedEvents:
    return decode_structured(json.dumps(obj).encode(), CATALOG, now_ns=NOW)


def only(decoded: DecodedEvents) -> BusinessEvent:
    assert (decoded.rejected, decoded.errors) == (0, ())
    [one] = decoded.events
    return one


def test_a_structured_event_becomes_a_business_event() -> None:
    e = only(
        structured(
            event(
                time="2026-03-01T12:00:00.123456789+01:00",
                subject="order/A-1042",
                datacontenttype="application/json",
                data={"total": "12.50", "user": {"email": "ann@example.com"}},
                region="eu",
                retries=2,
                servicename="storefront",
                traceparent="00-" + "ab" * 16 + "-" + "cd" * 8 + "-01",
            )
        )
    )
    assert (e.event_id, e.source, e.type, e.subject) == (
        "evt-1",
        "/shop",
        "OrderPlaced",
        "order/A-1042",
    )
    assert e.time_ns == parse_time("2026-03-01T11:00:00.123456789Z")
    assert (e.flow, e.correlation_id, e.outcome) == ("order-to-cash", "A-1042", "start")
    assert (e.trace_id, e.span_id, e.service) == ("ab" * 16, "cd" * 8, "storefront")
    attrs = dict(e.attributes)
    assert attrs["region"] == "eu"
    assert attrs["retries"] == "2"
    assert attrs["datacontenttype"] == "application/json"
    digest = "sha256:" + hashlib.sha256(b"ann@example.com").hexdigest()
    assert json.loads(e.data_json) == {"total": "12.50", "user": {"email": digest}}


def test_an_event_without_time_is_stamped_now() -> None:
    assert only(structured(event())).time_ns == NOW


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1970-01-01T00:00:00Z", 0),
        ("1970-01-01T00:00:01.5Z", 1_500_000_000),
        ("1970-01-01T01:00:00+01:00", 0),
        ("1969-12-31T23:59:59.999999999z", -1),
        ("2016-12-31T23:59:60Z", 1_483_228_800_000_000_000),
        ("2026-01-01t00:00:00.1234567891-00:30", 1_767_227_400_123_456_789),
    ],
    ids=[
        "the epoch",
        "a fraction",
        "an offset",
        "a nanosecond before the epoch",
        "a leap second",
        "digits past nanoseconds are dropped",
    ],
)
def test_rfc3339_times_keep_nanoseconds(text: str, expected: int) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize(
    "text",
    ["2026-01-01", "2026-13-01T00:00:00Z", "2026-01-01T00:00:00", "9999-12-31T23:59:59Z", 17],
    ids=["a date only", "month 13", "no zone", "after 2262", "a number"],
)
def test_invalid_times_are_refused(text: Any) -> None:
    with pytest.raises(InvalidItem):
        parse_time(text)


INVALID: list[tuple[str, dict[str, Any], str, str]] = [
    ("an old specversion", event(specversion="0.3"), "specversion", 'must be "1.0"'),
    ("a missing specversion", event(specversion=...), "specversion", "1.0"),
    ("a missing id", event(id=...), "id", "required"),
    ("an empty source", event(source=""), "source", "required"),
    ("a numeric type", event(type=7), "type", "required"),
    ("a bad time", event(time="yesterday"), "time", "RFC 3339"),
    ("an upper-case extension", event(orderId="A-1"), "orderId", "lowercase"),
    ("a long extension name", event(abcdefghijklmnopqrstu="x"), "abcdefghijklmnopqrstu", "20"),
    ("an object extension", event(meta={"a": 1}), "meta", "string, number or boolean"),
    ("data and data_base64", event(data=1, data_base64="AA=="), "data_base64", "together"),
    ("invalid base64", event(data_base64="***"), "data_base64", "base64"),
    ("a subject number", event(subject=3), "subject", "string"),
    ("an oversized extension", event(blob="x" * 70_000), "blob", "bytes"),
]


@pytest.mark.parametrize(
    ("bad", "field", "message"),
    [case[1:] for case in INVALID],
    ids=[f"{case[0]} is reported with index and field" for case in INVALID],
)
def test_a_batch_keeps_good_events_and_names_the_bad_one(
    bad: dict[str, Any], field: str, message: str
) -> None:
    batch = [event(id="a"), event(id="b"), bad, event(id="c")]
    decoded = decode_batch(json.dumps(batch).encode(), CATALOG, now_ns=NOW)
    assert [e.event_id for e in decoded.events] == ["a", "b", "c"]
    [error] = decoded.errors
    assert (error.index, error.field) == (2, f"events[2].{field}")
    assert message in error.message
    assert decoded.rejected == 1


def test_a_batch_element_that_is_not_an_object_is_reported() -> None:
    decoded = decode_batch(b'[1, {"specversion": "1.0"}]', CATALOG, now_ns=NOW)
    assert [(e.index, e.field) for e in decoded.errors] == [(0, "events[0]"), (1, "events[1].id")]
    assert str(decoded.errors[0]) == "events[0]: must be a JSON object"


def test_a_structured_event_error_names_the_attribute() -> None:
    decoded = structured(event(specversion="2.0"))
    assert decoded.events == ()
    assert [str(e) for e in decoded.errors] == ['specversion: must be "1.0"']


DATA: list[tuple[str, dict[str, Any], Any]] = [
    ("JSON data is kept", {"data": {"b": [1, 2]}}, {"b": [1, 2]}),
    ("text data is a JSON string", {"datacontenttype": "text/plain", "data": "hi"}, "hi"),
    (
        "base64 JSON data is parsed",
        {"datacontenttype": "application/vnd.x+json", "data_base64": "eyJhIjoxfQ=="},
        {"a": 1},
    ),
    ("base64 binary data stays base64", {"data_base64": "//79"}, "//79"),
    ("null data is no data", {"data": None}, None),
]


@pytest.mark.parametrize(
    ("fields", "expected"), [case[1:] for case in DATA], ids=[case[0] for case in DATA]
)
def test_event_data_is_stored_as_json(fields: dict[str, Any], expected: Any) -> None:
    e = only(structured(event(**fields)))
    assert (json.loads(e.data_json) if e.data_json else None) == expected


CORRELATION: list[tuple[str, dict[str, Any], tuple[str, str, str]]] = [
    ("an extension", {"type": "InvoicePosted"}, ("order-to-cash", "A-1042", "success")),
    (
        "a data member",
        {"orderid": ..., "type": "PaymentFailed", "data": {"order.id": "A-2"}},
        ("order-to-cash", "A-2", "failure"),
    ),
    (
        "a data path",
        {"orderid": ..., "type": "RefundBooked", "data": {"order": {"id": "A-3"}}},
        ("refund-to-ledger", "A-3", "success"),
    ),
    (
        "the correlationid extension",
        {"orderid": ..., "correlationid": "X-9"},
        ("order-to-cash", "X-9", "start"),
    ),
    (
        "another flow's key",
        {"orderid": ..., "leadid": "L-1", "type": "DemoBooked"},
        ("lead-to-demo", "L-1", "success"),
    ),
    ("an unlisted type", {"type": "Audit"}, ("order-to-cash", "A-1042", "")),
    ("no key at all", {"orderid": ...}, ("", "", "")),
]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [case[1:] for case in CORRELATION],
    ids=[f"the correlation id comes from {case[0]}" for case in CORRELATION],
)
def test_events_are_correlated(fields: dict[str, Any], expected: tuple[str, str, str]) -> None:
    e = only(structured(event(**fields)))
    assert (e.flow, e.correlation_id, e.outcome) == expected


def test_raw_utf8_header_bytes_read_as_latin1_are_understood() -> None:
    headers = {"ce-specversion": "1.0", "ce-id": "1", "ce-source": "s", "ce-type": "t"}
    raw = "Zürich".encode().decode("latin-1")
    e = only(decode_binary({**headers, "ce-city": raw}, b"", None, CATALOG, now_ns=NOW))
    assert e.attribute("city") == "Zürich"


def test_a_binary_event_reads_percent_encoded_headers_and_parses_json_data() -> None:
    headers = {
        "Ce-Specversion": "1.0",
        "CE-ID": "evt-9",
        "ce-source": "urn:erp%2Fnetsuite",
        "ce-type": "InvoicePosted",
        "ce-time": "2026-03-01T12:00:00Z",
        "ce-orderid": "A-%C3%A9",
        "content-length": "12",
    }
    decoded = decode_binary(headers, b'{"amount":5}', "application/json", CATALOG, now_ns=NOW)
    e = only(decoded)
    assert (e.event_id, e.source, e.correlation_id) == ("evt-9", "urn:erp/netsuite", "A-é")
    assert e.outcome == "success"
    assert json.loads(e.data_json) == {"amount": 5}
    assert dict(e.attributes) == {"datacontenttype": "application/json", "orderid": "A-é"}


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (b"plain words", "text/plain", "plain words"),
        (b"\xff\x00\x01", "application/octet-stream", base64.b64encode(b"\xff\x00\x01").decode()),
        (b"", None, None),
    ],
    ids=["text stays text", "binary becomes base64", "an empty body is no data"],
)
def test_binary_mode_data_that_is_not_json(
    body: bytes, content_type: str | None, expected: Any
) -> None:
    headers = {"ce-specversion": "1.0", "ce-id": "1", "ce-source": "s", "ce-type": "t"}
    e = only(decode_binary(headers, body, content_type, CATALOG, now_ns=NOW))
    assert (json.loads(e.data_json) if e.data_json else None) == expected


@pytest.mark.parametrize(
    ("headers", "body", "field"),
    [
        ({"ce-specversion": "0.3"}, b"", "ce-specversion"),
        ({"ce-id": ""}, b"", "ce-id"),
        ({"ce-orderid": "%FF"}, b"", "ce-orderid"),
        ({"ce-Bad_Name": "x"}, b"", "ce-bad_name"),
        ({}, b"{not json", "data"),
    ],
    ids=[
        "an old specversion header",
        "an empty id header",
        "a percent-encoding that is not UTF-8",
        "an extension name with an underscore",
        "JSON content that is not JSON",
    ],
)
def test_an_invalid_binary_event_names_the_header(
    headers: dict[str, str], body: bytes, field: str
) -> None:
    base = {"ce-specversion": "1.0", "ce-id": "1", "ce-source": "s", "ce-type": "t"}
    decoded = decode_binary({**base, **headers}, body, "application/json", CATALOG, now_ns=NOW)
    assert decoded.events == ()
    assert decoded.rejected == 1
    assert decoded.errors[0].field == field


@pytest.mark.parametrize(
    ("decoder", "body"),
    [
        (decode_structured, b"{oops"),
        (decode_structured, b"[]"),
        (decode_batch, b'{"specversion": "1.0"}'),
        (decode_batch, b"\xff"),
    ],
    ids=[
        "a structured body that is not JSON",
        "a structured body that is an array",
        "a batch that is not an array",
        "a batch that is not UTF-8",
    ],
)
def test_an_undecodable_cloudevents_body_raises_decode_error(decoder: Any, body: bytes) -> None:
    with pytest.raises(DecodeError):
        decoder(body, CATALOG, now_ns=NOW)


@pytest.mark.parametrize(
    ("attribute", "extension"),
    [
        ("order.id", "orderid"),
        ("Lead_ID", "leadid"),
        ("flowscope.correlation_id", "flowscopecorrelationid"),
    ],
    ids=[
        "dots are removed",
        "case is folded and underscores removed",
        "long names keep all letters",
    ],
)
def test_extension_names_for_attributes(attribute: str, extension: str) -> None:
    assert extension_name(attribute) == extension


@pytest.mark.parametrize(
    ("extension", "value", "stored"),
    [
        ("useremail", "a@b.c", "sha256:" + hashlib.sha256(b"a@b.c").hexdigest()),
        ("cardnumber", "4111111111111111", None),
        ("cardcvv", "123", None),
        ("region", "eu", "eu"),
    ],
    ids=[
        "a user.email rule hashes the useremail extension",
        "a card.* rule drops the cardnumber extension",
        "a card.* rule drops any card extension",
        "an extension no rule names is kept",
    ],
)
def test_redaction_rules_reach_extensions_spelled_without_dots(
    extension: str, value: str, stored: str | None
) -> None:
    attributes = dict(only(structured(event(**{extension: value}))).attributes)
    assert attributes.get(extension) == stored
    assert value not in json.dumps(attributes) or stored == value
