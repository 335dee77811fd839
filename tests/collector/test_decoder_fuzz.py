"""Fuzzing the decoders: random and mutated bodies give a result or DecodeError, in bounded memory.

What test_otlp_traces.py already covers (well-formed random trace requests, flip/cut/drop
mutations of a protobuf trace request, JSON values replaced) is not repeated here. Added:
random bytes for every decoder, byte-level splices (insert, duplicate a slice) of valid trace
and logs protobuf, CloudEvents from random JSON and mutated valid events, binary mode from random
headers, deep nesting, and huge repeated fields under a memory bound measured with tracemalloc.
"""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collector.cloudevents import decode_batch, decode_binary, decode_structured
from collector.errors import DecodeError, PayloadTooLarge
from collector.model import MAX_ITEMS_PER_REQUEST
from collector.otlp_logs import decode_logs_json, decode_logs_protobuf
from collector.otlp_traces import decode_traces_json, decode_traces_protobuf
from tests.collector.otlp_builders import CATALOG, T0, kvs, logs_request, span, trace_request

NOW = T0 + 999
Decoder = Callable[[bytes], Any]

DECODERS: dict[str, Decoder] = {
    "traces protobuf": lambda b: decode_traces_protobuf(b, CATALOG),
    "traces json": lambda b: decode_traces_json(b, CATALOG),
    "logs protobuf": lambda b: decode_logs_protobuf(b, CATALOG, now_ns=NOW),
    "logs json": lambda b: decode_logs_json(b, CATALOG, now_ns=NOW),
    "cloudevents structured": lambda b: decode_structured(b, CATALOG, now_ns=NOW),
    "cloudevents batch": lambda b: decode_batch(b, CATALOG, now_ns=NOW),
}


def decoded_or_refused(decoder: Decoder, body: bytes) -> Any:
    """The decoder's result, or None when it refused the body with DecodeError."""
    try:
        result = decoder(body)
    except DecodeError:
        return None
    assert len(result.errors) == result.rejected
    return result


def _valid_trace() -> bytes:
    request = trace_request(
        (
            {"service.name": "payments", "order.id": "A-1"},
            [
                span(1, attrs={"order.id": "A-1", "card.number": "4111", "n": [1, {"k": "v"}]}),
                span(
                    2,
                    events=[(T0, "retry", {"attempt": 2})],
                    links=[(b"\x01" * 16, b"\x02" * 8, {})],
                ),
            ],
        )
    )
    return request.SerializeToString()


def _valid_logs() -> bytes:
    from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord

    records = [
        LogRecord(time_unix_nano=T0, event_name="OrderPlaced", attributes=kvs({"order.id": "A-1"})),
        LogRecord(time_unix_nano=T0 + 1, event_name="InvoicePosted", attributes=kvs({"x": 1.5})),
    ]
    return logs_request(({"service.name": "storefront"}, records)).SerializeToString()


VALID_PROTOBUF = {"traces protobuf": _valid_trace(), "logs protobuf": _valid_logs()}


@pytest.mark.parametrize(
    "name", list(DECODERS), ids=[f"{n} refuses or decodes noise" for n in DECODERS]
)
@settings(max_examples=40, deadline=None)
@given(body=st.binary(max_size=512))
def test_random_bytes_are_decoded_or_refused_with_decode_error(name: str, body: bytes) -> None:
    decoded_or_refused(DECODERS[name], body)


@st.composite
def spliced(draw: st.DrawFn, valid: bytes) -> bytes:
    """``valid`` with 1 to 4 byte-level edits: flip, cut, drop, insert random, duplicate a slice."""
    body = bytearray(valid)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(body)))
        action = draw(st.sampled_from(["flip", "cut", "drop", "insert", "duplicate"]))
        if action == "insert":
            body[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif action == "duplicate":
            end = draw(st.integers(at, min(len(body), at + 64)))
            body[at:at] = body[at:end] * draw(st.integers(1, 50))
        elif body and at < len(body):
            if action == "flip":
                body[at] ^= draw(st.integers(1, 255))
            elif action == "cut":
                del body[at:]
            else:
                del body[at]
    return bytes(body)


@pytest.mark.parametrize(
    "name", list(VALID_PROTOBUF), ids=[f"a spliced {n} request" for n in VALID_PROTOBUF]
)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_a_spliced_valid_protobuf_request_is_decoded_or_refused(
    name: str, data: st.DataObject
) -> None:
    body = data.draw(spliced(VALID_PROTOBUF[name]))
    decoded_or_refused(DECODERS[name], body)


_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
_EVENT = {
    "specversion": "1.0",
    "id": "e-1",
    "source": "/shop",
    "type": "OrderPlaced",
    "time": "2026-11-27T10:00:00.123456789Z",
    "orderid": "A-1",
    "traceparent": "00-0102030405060708090a0b0c0d0e0f10-0102030405060708-01",
    "datacontenttype": "application/json",
    "data": {"user.email": "a@b.c", "card": {"number": "4111"}, "items": [1, 2]},
}


@settings(max_examples=60, deadline=None)
@given(value=_json_values)
def test_any_json_value_as_a_cloudevent_or_batch_is_decoded_or_refused(value: Any) -> None:
    body = json.dumps(value).encode()
    decoded_or_refused(DECODERS["cloudevents structured"], body)
    decoded_or_refused(DECODERS["cloudevents batch"], body)
    decoded_or_refused(DECODERS["cloudevents batch"], json.dumps([value, _EVENT]).encode())


@settings(max_examples=80, deadline=None)
@given(
    key=st.sampled_from(sorted(_EVENT)),
    value=_json_values,
    dropped=st.sets(st.sampled_from(sorted(_EVENT)), max_size=3),
)
def test_a_mutated_valid_cloudevent_is_decoded_or_refused(
    key: str, value: Any, dropped: set[str]
) -> None:
    mutated = {k: v for k, v in _EVENT.items() if k not in dropped}
    mutated[key] = value
    result = decoded_or_refused(DECODERS["cloudevents structured"], json.dumps(mutated).encode())
    assert result is not None and len(result.events) + result.rejected == 1


_header_names = st.sampled_from(
    [
        "ce-specversion",
        "ce-id",
        "ce-source",
        "ce-type",
        "ce-time",
        "ce-orderid",
        "ce-data",
        "ce-traceparent",
        "ce-subject",
        "ce-" + "x" * 30,
        "content-type",
        "ce-",
    ]
)


@settings(max_examples=80, deadline=None)
@given(
    headers=st.dictionaries(_header_names, st.text(max_size=12), max_size=8),
    body=st.binary(max_size=64) | _json_values.map(lambda v: json.dumps(v).encode()),
    content_type=st.none() | st.sampled_from(["application/json", "text/plain", 'a/b; x="', ""]),
)
def test_a_binary_mode_event_from_random_headers_is_decoded_or_refused(
    headers: dict[str, str], body: bytes, content_type: str | None
) -> None:
    base = {"ce-specversion": "1.0", "ce-id": "1", "ce-source": "s", "ce-type": "OrderPlaced"}
    result = decode_binary({**base, **headers}, body, content_type, CATALOG, now_ns=NOW)
    assert len(result.events) + result.rejected == 1


def _nested_list(depth: int) -> str:
    return "[" * depth + "]" * depth


def _nested_any_value(depth: int) -> str:
    return '{"arrayValue":{"values":[' * depth + '{"stringValue":"x"}' + "]}}" * depth


_SPAN_WITH = (
    '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10",'
    '"spanId":"0102030405060708","name":"x","attributes":[{"key":"k","value":VALUE}]}]}]}]}'
)
_RECORD_WITH = (
    '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"eventName":"OrderPlaced","body":VALUE}]}]}]}'
)


@pytest.mark.parametrize("depth", [64, 500, 5_000, 200_000])
@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("cloudevents batch", _nested_list),
        (
            "cloudevents structured",
            lambda d: json.dumps({**_EVENT, "data": 0}).replace(
                '"data": 0', '"data": ' + _nested_list(d)
            ),
        ),
        ("traces json", lambda d: _SPAN_WITH.replace("VALUE", _nested_any_value(d))),
        ("logs json", lambda d: _RECORD_WITH.replace("VALUE", _nested_any_value(d))),
    ],
    ids=[
        "nested arrays as a batch",
        "nested arrays as event data",
        "a nested attribute value in a span",
        "a nested log body",
    ],
)
def test_deeply_nested_json_is_decoded_or_refused(
    name: str, make: Callable[[int], str], depth: int
) -> None:
    decoded_or_refused(DECODERS[name], make(depth).encode())


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        low, n = n & 0x7F, n >> 7
        out.append(low | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _repeated_protobuf(item_field: int, item: bytes, size: int) -> bytes:
    """A request whose one resource and scope hold as many ``item``s as fit in ``size`` bytes."""
    items = _field(item_field, item) * (size // (len(item) + 2))
    return _field(1, _field(2, items))


LIMIT = 64 * 1024
"""Body size for the memory tests, in bytes."""


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("traces protobuf", _repeated_protobuf(2, b"", LIMIT)),
        ("traces protobuf", _repeated_protobuf(2, span().SerializeToString(), LIMIT)),
        ("logs protobuf", _repeated_protobuf(2, b"", LIMIT)),
        ("logs protobuf", _repeated_protobuf(2, b"\x62\x01x", LIMIT)),
        ("cloudevents batch", ("[" + ",".join(["{}"] * (LIMIT // 3)) + "]").encode()),
        ("cloudevents batch", json.dumps([_EVENT] * (LIMIT // 400)).encode()),
        (
            "traces json",
            _SPAN_WITH.replace("VALUE", '{"stringValue":"' + "x" * LIMIT + '"}').encode(),
        ),
        (
            "cloudevents structured",
            json.dumps({**_EVENT, "data": list(range(LIMIT // 7))}).encode(),
        ),
    ],
    ids=[
        "empty spans repeated",
        "valid spans repeated",
        "empty log records repeated",
        "named log records repeated",
        "empty events in a batch",
        "valid events in a batch",
        "one huge attribute value",
        "one event with a long data array",
    ],
)
def test_memory_stays_within_a_bound_of_the_body_size(name: str, body: bytes) -> None:
    assert len(body) <= LIMIT + 1024
    tracemalloc.start()
    try:
        decoded_or_refused(DECODERS[name], body)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # Measured: at most ~160 bytes of Python objects per body byte (one error per empty item).
    assert peak < 256 * len(body) + 4 * 1024 * 1024, f"{peak / 1e6:.1f} MB for {len(body)} bytes"


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("traces protobuf", _repeated_protobuf(2, b"", 2 * (MAX_ITEMS_PER_REQUEST + 1))),
        ("logs protobuf", _repeated_protobuf(2, b"", 2 * (MAX_ITEMS_PER_REQUEST + 1))),
        ("cloudevents batch", b"[" + b",".join([b"{}"] * (MAX_ITEMS_PER_REQUEST + 1)) + b"]"),
    ],
    ids=[
        "a protobuf trace request of more items than allowed is refused whole",
        "a protobuf logs request of more items than allowed is refused whole",
        "a CloudEvents batch of more events than allowed is refused whole",
    ],
)
def test_requests_with_too_many_items_are_refused_before_any_item_work(
    name: str, body: bytes
) -> None:
    with pytest.raises(PayloadTooLarge, match="per request"):
        DECODERS[name](body)
