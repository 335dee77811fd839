"""OTLP log events → business events: what the SDK sends, ids, times, tagging, bad input."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource

from collector.errors import DecodeError
from collector.model import BusinessEvent, DecodedEvents
from collector.otlp_logs import decode_logs_json, decode_logs_protobuf
from tests.collector.otlp_builders import CATALOG, T0, any_value, kvs, logs_request, to_otlp_json

NOW = T0 + 999
STOREFRONT = {"service.name": "storefront"}


def decode(request: ExportLogsServiceRequest, fmt: str) -> DecodedEvents:
    if fmt == "json":
        return decode_logs_json(to_otlp_json(request), CATALOG, now_ns=NOW)
    return decode_logs_protobuf(request.SerializeToString(), CATALOG, now_ns=NOW)


FORMATS = pytest.mark.parametrize("fmt", ["protobuf", "json"])


def record(
    name: str | None = "OrderPlaced",
    *,
    attrs: dict[str, Any] | None = None,
    body: Any = None,
    time: int = T0,
    observed: int = 0,
    trace_id: bytes = b"",
    span_id: bytes = b"",
) -> LogRecord:
    r = LogRecord(
        time_unix_nano=time,
        observed_time_unix_nano=observed,
        attributes=kvs(attrs or {}),
        trace_id=trace_id,
        span_id=span_id,
    )
    if name is not None:
        r.event_name = name
    if body is not None:
        r.body.CopyFrom(any_value(body))
    return r


def one(decoded: DecodedEvents) -> BusinessEvent:
    assert (decoded.rejected, decoded.errors) == (0, ())
    [event] = decoded.events
    return event


@FORMATS
def test_an_sdk_log_event_becomes_a_business_event(fmt: str) -> None:
    exporter = InMemoryLogRecordExporter()  # type: ignore[no-untyped-call]
    provider = LoggerProvider(resource=Resource.create({"service.name": "storefront"}))
    provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    logger = provider.get_logger("shop")
    logger.emit(
        event_name="OrderPlaced",
        attributes={"order.id": "A-1", "user.email": "ann@example.com", "card.pan": "4111"},
        body={"total": 12.5, "card": {"number": "4111"}},
        timestamp=T0,
    )
    logger.emit(body="a plain log line is not an event")
    provider.shutdown()
    decoded = decode(encode_logs(exporter.get_finished_logs()), fmt)
    assert decoded.ignored == 1
    event = one(decoded)
    assert (event.type, event.source, event.service) == ("OrderPlaced", "storefront", "storefront")
    assert event.time_ns == T0
    assert (event.flow, event.correlation_id, event.outcome) == ("order-to-cash", "A-1", "start")
    assert dict(event.attributes) == {
        "order.id": "A-1",
        "user.email": "sha256:" + hashlib.sha256(b"ann@example.com").hexdigest(),
    }
    assert json.loads(event.data_json) == {"total": 12.5, "card": {}}  # card.* dropped
    assert len(event.event_id) == 32


@FORMATS
def test_the_event_name_attribute_also_makes_an_event(fmt: str) -> None:
    r = record(None, attrs={"event.name": "InvoicePosted", "order.id": "A-1", "event.id": "inv-7"})
    event = one(decode(logs_request((STOREFRONT, [r])), fmt))
    assert (event.type, event.event_id, event.outcome) == ("InvoicePosted", "inv-7", "success")
    assert dict(event.attributes) == {"order.id": "A-1"}


def test_a_resent_record_gets_the_same_id_in_either_encoding() -> None:
    request = logs_request((STOREFRONT, [record(attrs={"order.id": "A-1"}), record(time=T0 + 1)]))
    first = decode(request, "protobuf").events
    again = decode(request, "protobuf").events
    as_json = decode(request, "json").events
    assert (
        [e.event_id for e in first] == [e.event_id for e in again] == [e.event_id for e in as_json]
    )
    assert first[0].event_id != first[1].event_id


@pytest.mark.parametrize(
    ("time", "observed", "expected"),
    [(T0, T0 + 5, T0), (0, T0 + 5, T0 + 5), (0, 0, NOW)],
    ids=[
        "the record time is used",
        "the observed time replaces a missing time",
        "now replaces both",
    ],
)
def test_the_event_time_falls_back_to_observed_time_then_now(
    time: int, observed: int, expected: int
) -> None:
    request = logs_request((STOREFRONT, [record(time=time, observed=observed)]))
    assert one(decode(request, "protobuf")).time_ns == expected


LOOKUPS: list[tuple[str, dict[str, Any], dict[str, Any], Any, tuple[str, str, str]]] = [
    ("a record attribute", {}, {"order.id": "A-1"}, None, ("order-to-cash", "A-1", "start")),
    ("a resource attribute", {"order.id": "A-2"}, {}, None, ("order-to-cash", "A-2", "start")),
    ("a baggage copy", {}, {"baggage.order.id": "A-3"}, None, ("order-to-cash", "A-3", "start")),
    ("a body member", {}, {}, {"order.id": "A-4"}, ("order-to-cash", "A-4", "start")),
    ("a body path", {}, {}, {"order": {"id": 5}}, ("order-to-cash", "5", "start")),
    ("nowhere", {}, {"other": "x"}, "text", ("", "", "")),
]


@pytest.mark.parametrize(
    ("resource", "attrs", "body", "expected"),
    [case[1:] for case in LOOKUPS],
    ids=[f"the correlation id is found in {case[0]}" for case in LOOKUPS],
)
def test_log_events_are_correlated(
    resource: dict[str, Any], attrs: dict[str, Any], body: Any, expected: tuple[str, str, str]
) -> None:
    request = logs_request(({**STOREFRONT, **resource}, [record(attrs=attrs, body=body)]))
    event = one(decode(request, "protobuf"))
    assert (event.flow, event.correlation_id, event.outcome) == expected


def test_source_defaults_to_otlp_without_a_service_name() -> None:
    event = one(decode(logs_request(({}, [record()])), "protobuf"))
    assert (event.source, event.service) == ("otlp", "")


def test_trace_context_is_kept_in_hex() -> None:
    r = record(trace_id=b"\xab" * 16, span_id=b"\xcd" * 8)
    event = one(decode(logs_request((STOREFRONT, [r])), "json"))
    assert (event.trace_id, event.span_id) == ("ab" * 16, "cd" * 8)


@FORMATS
@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (record(trace_id=b"\x01" * 5), "traceId"),
        (record(span_id=b"\x01" * 3), "spanId"),
        (record(time=2**63), "timeUnixNano"),
        (record(attrs={"blob": "x" * 70_000}), "attributes['blob']"),
    ],
    ids=[
        "a short trace id",
        "a short span id",
        "a time after 2262",
        "an attribute over 64 KiB",
    ],
)
def test_an_invalid_record_is_reported_and_the_others_kept(
    bad: LogRecord, field: str, fmt: str
) -> None:
    request = logs_request((STOREFRONT, [record(), bad, record(None)]))
    decoded = decode(request, fmt)
    assert (len(decoded.events), decoded.rejected, decoded.ignored) == (1, 1, 1)
    [error] = decoded.errors
    assert error.index == 1
    assert error.field == f"resourceLogs[0].scopeLogs[0].logRecords[1].{field}"


def test_json_with_a_wrong_type_in_a_record_rejects_that_record() -> None:
    data = json.loads(to_otlp_json(logs_request((STOREFRONT, [record(), record()]))))
    data["resourceLogs"][0]["scopeLogs"][0]["logRecords"][1]["timeUnixNano"] = "later"
    decoded = decode_logs_json(json.dumps(data).encode(), CATALOG, now_ns=NOW)
    assert (len(decoded.events), decoded.rejected) == (1, 1)
    assert decoded.errors[0].field == "resourceLogs[0].scopeLogs[0].logRecords[1]"
    assert "timeUnixNano" in decoded.errors[0].message


@pytest.mark.parametrize(
    ("fmt", "body"),
    [
        ("protobuf", b"\x0a\x05\x0a\x03"),
        ("json", b"not json"),
        ("json", b"[]"),
        ("json", b'{"resourceLogs": [{"scopeLogs": {}}]}'),
        ("json", b'{"resourceLogs": [{"resource": {"attributes": 3}}]}'),
    ],
    ids=[
        "a truncated protobuf body",
        "text that is not JSON",
        "JSON that is not an object",
        "scopeLogs that is not an array",
        "a resource with malformed attributes",
    ],
)
def test_an_undecodable_logs_body_raises_decode_error(fmt: str, body: bytes) -> None:
    decoder = decode_logs_json if fmt == "json" else decode_logs_protobuf
    with pytest.raises(DecodeError):
        decoder(body, CATALOG, now_ns=NOW)


@FORMATS
def test_redaction_reaches_kvlists_arrays_and_baggage_copies_of_log_events(fmt: str) -> None:
    email, card = "ann@example.com", "4111111111111111"
    nested: dict[str, Any] = {"user": {"email": email}, "card": {"number": card},
                              "baggage.user.email": email, "baggage.card.number": card}
    request = logs_request(({**STOREFRONT, **nested},
                            [record(attrs={**nested, "order.id": "A-1"},
                                    body={**nested, "user": [{"email": email}]})]))
    event = one(decode(request, fmt))
    hashed = "sha256:" + hashlib.sha256(email.encode()).hexdigest()
    attributes = dict(event.attributes)
    assert json.loads(attributes["user"]) == {"email": hashed}
    assert json.loads(attributes["card"]) == {}
    assert attributes["baggage.user.email"] == hashed
    assert "baggage.card.number" not in attributes
    assert email not in repr(event) and card not in repr(event)
