"""OTLP trace decoding: what the real exporter sends, validation, redaction, tagging."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import KeyValue
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

from catalog.model import Catalog
from collector.errors import DecodeError
from collector.model import SPAN_SCHEMA, DecodedSpans
from collector.otlp_traces import decode_traces_json, decode_traces_protobuf
from collector.otlp_wire import WireTraces
from tests.collector.otlp_builders import CATALOG, T0, rows, span, to_otlp_json, trace_request

PAYMENTS = {"service.name": "payments"}


def decode(request: ExportTraceServiceRequest, fmt: str, **kwargs: Any) -> DecodedSpans:
    if fmt == "json":
        return decode_traces_json(to_otlp_json(request), CATALOG, **kwargs)
    return decode_traces_protobuf(request.SerializeToString(), CATALOG, **kwargs)


FORMATS = pytest.mark.parametrize("fmt", ["protobuf", "json"])


def sdk_spans() -> tuple[ReadableSpan, ...]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(
        resource=Resource.create({"service.name": "payments", "deployment.environment": "test"})
    )
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("checkout-lib", "2.1")
    attrs: dict[str, Any] = {
        "order.id": "A-1042",
        "http.status_code": 200,
        "amount": 12.5,
        "retry": False,
    }
    with tracer.start_as_current_span(
        "checkout", kind=SpanKind.SERVER, attributes={**attrs, "tags": ["a", "b"]}
    ) as parent:
        parent.add_event("validated", {"items": 3})
        with tracer.start_as_current_span(
            "charge", kind=SpanKind.CLIENT, links=[Link(parent.get_span_context(), {"why": "x"})]
        ) as child:
            child.set_status(Status(StatusCode.ERROR, "card declined"))
    provider.shutdown()
    return exporter.get_finished_spans()


@FORMATS
def test_what_the_sdk_exporter_sends_is_stored_column_for_column(fmt: str) -> None:
    spans = sdk_spans()
    decoded = decode(encode_spans(spans), fmt)
    assert (decoded.accepted, decoded.rejected, decoded.errors) == (2, 0, ())
    assert decoded.table.schema == SPAN_SCHEMA
    by_name = {row["SpanName"]: row for row in rows(decoded.table)}
    child, parent = by_name["charge"], by_name["checkout"]
    sdk = {s.name: s for s in spans}
    for row, s in ((child, sdk["charge"]), (parent, sdk["checkout"])):
        assert row["TraceId"] == format(s.context.trace_id, "032x")
        assert row["SpanId"] == format(s.context.span_id, "016x")
        assert row["Timestamp"] == s.start_time
        assert s.end_time is not None and s.start_time is not None
        assert row["Duration"] == s.end_time - s.start_time
        assert row["ServiceName"] == "payments"
        assert row["ScopeName"] == "checkout-lib"
        assert row["ScopeVersion"] == "2.1"
        assert row["ResourceAttributes"]["deployment.environment"] == "test"
        assert row["ResourceAttributes"]["telemetry.sdk.language"] == "python"
    assert child["ParentSpanId"] == parent["SpanId"]
    assert parent["ParentSpanId"] == ""
    assert (parent["SpanKind"], child["SpanKind"]) == ("Server", "Client")
    assert (child["StatusCode"], child["StatusMessage"]) == ("Error", "card declined")
    assert parent["StatusCode"] == "Unset"
    assert parent["SpanAttributes"] == {
        "order.id": "A-1042",
        "http.status_code": "200",
        "amount": "12.5",
        "retry": "false",
        "tags": '["a","b"]',
        "flowscope.flow": "order-to-cash",
        "flowscope.correlation_id": "A-1042",
    }
    assert child["SpanAttributes"] == {}
    assert parent["Events.Name"] == ["validated"]
    assert parent["Events.Timestamp"] == [sdk["checkout"].events[0].timestamp]
    assert parent["Events.Attributes"] == [{"items": "3"}]
    assert child["Links.TraceId"] == [parent["TraceId"]]
    assert child["Links.SpanId"] == [parent["SpanId"]]
    assert child["Links.Attributes"] == [{"why": "x"}]


def test_json_and_protobuf_encodings_of_one_request_give_the_same_rows() -> None:
    request = encode_spans(sdk_spans())
    assert rows(decode(request, "json").table) == rows(decode(request, "protobuf").table)


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("text", "text"),
        (True, "true"),
        (-42, "-42"),
        (2**63 - 1, "9223372036854775807"),
        (1.0, "1"),
        (0.1, "0.1"),
        (1e21, "1e+21"),
        (1.5e-7, "1.5e-7"),
        (b"\x00\xff", "AP8="),
        (["a", 1, 2.5, True], '["a",1,2.5,true]'),
        ({"z": 1, "a": "<b>"}, '{"a":"\\u003cb\\u003e","z":1}'),
        (None, ""),
        ("x" * 300, "x" * 300),
        ("é" * 9000, "é" * 9000),
    ],
    ids=[
        "a string is kept",
        "a bool is true or false",
        "a negative int is decimal",
        "the largest int64 is exact",
        "a whole double has no fraction",
        "a double keeps its shortest digits",
        "a huge double uses an exponent",
        "a tiny double uses a short exponent",
        "bytes are base64",
        "an array is compact JSON",
        "a map is JSON with sorted keys and escaped HTML",
        "an empty value is empty",
        "a string over 127 bytes is kept",
        "a string over 16 KiB is kept",
    ],
)
@FORMATS
def test_attribute_values_are_stored_as_the_exporter_writes_them(
    value: Any, stored: str, fmt: str
) -> None:
    decoded = decode(trace_request(({}, [span(attrs={"k": value})])), fmt)
    assert rows(decoded.table)[0]["SpanAttributes"] == {"k": stored}


BAD_SPANS: list[tuple[str, Callable[[], Any], str, str]] = [
    ("a short trace id", lambda: span(trace_id=b"\x01" * 8), "traceId", "16"),
    ("an all-zero trace id", lambda: span(trace_id=bytes(16)), "traceId", "zero"),
    ("a missing span id", lambda: span(span_id=b""), "spanId", ""),
    ("an all-zero span id", lambda: span(span_id=bytes(8)), "spanId", "zero"),
    ("a 5-byte parent id", lambda: span(parent=b"\x01" * 5), "parentSpanId", "8"),
    ("no start time", lambda: span(start=0), "startTimeUnixNano", "required"),
    ("a start after 2262", lambda: span(start=2**63, duration=0), "startTimeUnixNano", "2262"),
    ("an end before the start", lambda: span(duration=-1), "endTimeUnixNano", "before"),
    (
        "an attribute over the limit",
        lambda: span(attrs={"sql": "x" * 2000}),
        "attributes['sql']",
        "1024 bytes",
    ),
    (
        "a multi-byte attribute over the limit",
        lambda: span(attrs={"sql": "é" * 600}),
        "attributes['sql']",
        "1024 bytes",
    ),
    (
        "an event attribute over the limit",
        lambda: span(events=[(T0, "e", {}), (T0, "big", {"k": "x" * 2000})]),
        "events[1].attributes['k']",
        "1024 bytes",
    ),
    (
        "a link attribute over the limit",
        lambda: span(links=[(b"\x01" * 16, b"\x02" * 8, {"k": "x" * 2000})]),
        "links[0].attributes['k']",
        "1024 bytes",
    ),
    (
        "a link with a short id",
        lambda: span(links=[(b"\x01" * 3, b"\x02" * 8, {})]),
        "links[0]",
        "",
    ),
    (
        "an event after 2262",
        lambda: span(events=[(2**63, "late", {})]),
        "events[0].timeUnixNano",
        "2262",
    ),
]


@pytest.mark.parametrize(
    ("bad", "field", "message"),
    [case[1:] for case in BAD_SPANS],
    ids=[f"{case[0]} rejects the span, the others are kept" for case in BAD_SPANS],
)
@FORMATS
def test_an_invalid_span_is_reported_and_the_others_kept(
    bad: Callable[[], Any], field: str, message: str, fmt: str
) -> None:
    request = trace_request((PAYMENTS, [span(1), span(2), bad(), span(3)]))
    decoded = decode(request, fmt, max_attribute_bytes=1024)
    assert (decoded.accepted, decoded.rejected) == (3, 1)
    [error] = decoded.errors
    assert error.index == 2
    assert error.field.startswith("resourceSpans[0].scopeSpans[0].spans[2].")
    assert field in error.field
    assert message in error.message
    assert {r["SpanId"] for r in rows(decoded.table)} == {"01" * 8, "02" * 8, "03" * 8}


@FORMATS
def test_an_oversized_resource_attribute_rejects_only_that_resources_spans(fmt: str) -> None:
    request = trace_request(
        ({"service.name": "a", "blob": "x" * 5000}, [span(1), span(2)]), (PAYMENTS, [span(3)])
    )
    decoded = decode(request, fmt, max_attribute_bytes=4096)
    assert (decoded.accepted, decoded.rejected) == (1, 2)
    assert [e.index for e in decoded.errors] == [0, 1]
    assert decoded.errors[0].field == "resourceSpans[0].resource.attributes['blob']"


def test_an_attribute_that_is_not_utf8_rejects_its_span() -> None:
    request = trace_request((PAYMENTS, [span(1, attrs={"k": "PLACEHOLDER"}), span(2)]))
    body = request.SerializeToString().replace(b"PLACEHOLDER", b"\xff\xfe\xfdCEHOLDER")
    decoded = decode_traces_protobuf(body, CATALOG)
    assert (decoded.accepted, decoded.rejected) == (1, 1)
    assert decoded.errors[0].field.endswith("spans[0].attributes['k']")
    assert "UTF-8" in decoded.errors[0].message


def test_a_malformed_attribute_value_rejects_its_span() -> None:
    good = KeyValue(key="k").SerializeToString()
    request = trace_request((PAYMENTS, [span(1, attrs={"k": "v"}), span(2)]))
    body = request.SerializeToString()
    # replace the value of "k" (an AnyValue with string "v") with a truncated varint
    body = body.replace(good + b"\x12\x03\n\x01v", good + b"\x12\x03\x18\xff\xff")
    decoded = decode_traces_protobuf(body, CATALOG)
    assert (decoded.accepted, decoded.rejected) == (1, 1)
    assert "AnyValue" in decoded.errors[0].message


def _json(request: ExportTraceServiceRequest) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(to_otlp_json(request))
    return result


JSON_SPAN_PATCHES: list[tuple[str, dict[str, Any], str]] = [
    ("a trace id that is not hex", {"traceId": "zz" * 16}, "traceId"),
    ("a trace id as a number", {"traceId": 7}, "traceId"),
    ("a base64 trace id", {"traceId": "AQEBAQEBAQEBAQEBAQEBAQ=="}, "traceId"),
    ("a start time that is not a number", {"startTimeUnixNano": "soon"}, "startTimeUnixNano"),
    ("a name that is not a string", {"name": ["x"]}, "name"),
    ("attributes that are not an array", {"attributes": {"k": "v"}}, "attributes"),
    ("an attribute value of the wrong type", {"attributes": [{"key": "k", "value": 3}]}, "value"),
    (
        "an int value that is not an integer",
        {"attributes": [{"key": "k", "value": {"intValue": "x"}}]},
        "intValue",
    ),
    ("a kind that is not an enum", {"kind": "SPAN_KIND_BOGUS"}, "kind"),
    ("events that are not an array", {"events": "none"}, "events"),
]


@pytest.mark.parametrize(
    ("patch", "field"),
    [case[1:] for case in JSON_SPAN_PATCHES],
    ids=[f"JSON with {case[0]} rejects that span only" for case in JSON_SPAN_PATCHES],
)
def test_json_with_wrong_types_inside_a_span_rejects_that_span(
    patch: dict[str, Any], field: str
) -> None:
    data = _json(trace_request((PAYMENTS, [span(1), span(2)])))
    data["resourceSpans"][0]["scopeSpans"][0]["spans"][1].update(patch)
    decoded = decode_traces_json(json.dumps(data).encode(), CATALOG)
    assert (decoded.accepted, decoded.rejected) == (1, 1)
    assert decoded.errors[0].field.startswith("resourceSpans[0].scopeSpans[0].spans[1].")
    assert field in decoded.errors[0].field


def test_json_accepts_ids_in_upper_case_times_as_numbers_and_enum_names() -> None:
    data = _json(trace_request((PAYMENTS, [span(1)])))
    s = data["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    s.update(
        traceId="AB" * 16,
        startTimeUnixNano=T0,
        endTimeUnixNano=str(T0 + 5),
        kind="SPAN_KIND_PRODUCER",
        unknownField={"ignored": True},
    )
    [row] = rows(decode_traces_json(json.dumps(data).encode(), CATALOG).table)
    assert (row["TraceId"], row["Duration"], row["SpanKind"]) == (
        "ab" * 16,
        5,
        "Producer",
    )


UNDECODABLE: list[tuple[str, Callable[..., DecodedSpans], bytes]] = [
    ("a truncated protobuf body", decode_traces_protobuf, b"TRUNCATE"),
    ("bytes that are not protobuf", decode_traces_protobuf, b"\xff\xff\xff\xff"),
    ("text that is not JSON", decode_traces_json, b"{resourceSpans: []"),
    ("JSON that is not an object", decode_traces_json, b"[]"),
    ("resourceSpans that is not an array", decode_traces_json, b'{"resourceSpans": {}}'),
    (
        "scopeSpans that is not an array",
        decode_traces_json,
        b'{"resourceSpans": [{"scopeSpans": 1}]}',
    ),
    ("a NaN literal", decode_traces_json, b'{"resourceSpans": NaN}'),
    ("a body that is not UTF-8", decode_traces_json, b'{"resourceSpans": ["\xff"]}'),
    ("an unpaired surrogate", decode_traces_json, b'{"resourceSpans": [], "x": "\\ud800"}'),
]


@pytest.mark.parametrize(
    ("decoder", "body"),
    [case[1:] for case in UNDECODABLE],
    ids=[f"{case[0]} is refused as a whole" for case in UNDECODABLE],
)
def test_an_undecodable_body_raises_decode_error(
    decoder: Callable[[bytes, Catalog], DecodedSpans], body: bytes
) -> None:
    if body == b"TRUNCATE":
        body = trace_request((PAYMENTS, [span(1), span(2)])).SerializeToString()[:-7]
    with pytest.raises(DecodeError):
        decoder(body, CATALOG)


def test_an_empty_request_is_an_empty_table() -> None:
    for decoded in (decode_traces_protobuf(b"", CATALOG), decode_traces_json(b"{}", CATALOG)):
        assert (decoded.accepted, decoded.rejected, decoded.table.num_rows) == (0, 0, 0)
        assert decoded.table.schema == SPAN_SCHEMA


@FORMATS
def test_redaction_applies_to_resource_span_event_and_link_attributes(fmt: str) -> None:
    secret = {"user.email": "ann@example.com", "card.number": "4111", "card.cvc": "123", "ok": "1"}
    request = trace_request(
        (
            {**PAYMENTS, **secret},
            [
                span(
                    1,
                    attrs=secret,
                    events=[(T0, "e", secret)],
                    links=[(b"\1" * 16, b"\2" * 8, secret)],
                )
            ],
        )
    )
    [row] = rows(decode(request, fmt).table)
    hashed = {"user.email": "sha256:" + hashlib.sha256(b"ann@example.com").hexdigest(), "ok": "1"}
    assert row["ResourceAttributes"] == {**PAYMENTS, **hashed}
    assert row["SpanAttributes"] == hashed
    assert row["Events.Attributes"] == [hashed]
    assert row["Links.Attributes"] == [hashed]


TAGGING: list[tuple[str, dict[str, Any], dict[str, Any], dict[str, str]]] = [
    (
        "a span of a step's service is tagged with that flow",
        {"service.name": "payments"},
        {"order.id": "A-1"},
        {"flowscope.flow": "order-to-cash", "flowscope.correlation_id": "A-1"},
    ),
    (
        "a shared key goes to the flow naming the service",
        {"service.name": "refunds"},
        {"order.id": "A-1"},
        {"flowscope.flow": "refund-to-ledger", "flowscope.correlation_id": "A-1"},
    ),
    (
        "an unknown service goes to the first flow with the key",
        {"service.name": "elsewhere"},
        {"order.id": "A-1"},
        {"flowscope.flow": "order-to-cash", "flowscope.correlation_id": "A-1"},
    ),
    (
        "another key selects another flow",
        {"service.name": "crm"},
        {"lead.id": "L-7"},
        {"flowscope.flow": "lead-to-demo", "flowscope.correlation_id": "L-7"},
    ),
    (
        "a key on the resource tags every span",
        {"service.name": "payments", "order.id": "A-2"},
        {},
        {"flowscope.flow": "order-to-cash", "flowscope.correlation_id": "A-2"},
    ),
    (
        "a baggage copy is read",
        {"service.name": "payments"},
        {"baggage.order.id": "A-3"},
        {"flowscope.flow": "order-to-cash", "flowscope.correlation_id": "A-3"},
    ),
    (
        "an explicit correlation id wins and is not duplicated",
        {"service.name": "payments"},
        {"order.id": "A-1", "flowscope.correlation_id": "X-9"},
        {"flowscope.flow": "order-to-cash", "flowscope.correlation_id": "X-9"},
    ),
    (
        "an explicit flow naming a candidate is honoured",
        {"service.name": "payments"},
        {"order.id": "A-1", "flowscope.flow": "refund-to-ledger"},
        {"flowscope.flow": "refund-to-ledger", "flowscope.correlation_id": "A-1"},
    ),
    ("no correlation key, no tag", {"service.name": "payments"}, {"other": "1"}, {}),
    ("an empty correlation value is no value", {"service.name": "payments"}, {"order.id": ""}, {}),
    ("empty bytes are no value", {"service.name": "payments"}, {"order.id": b""}, {}),
    (
        "a mention of flowscope elsewhere changes nothing",
        {"service.name": "payments", "note": "flowscope.flow"},
        {"order.id": "A-1"},
        {"flowscope.flow": "order-to-cash", "flowscope.correlation_id": "A-1"},
    ),
    (
        "an int correlation value is its decimal text",
        {"service.name": "payments"},
        {"order.id": 1042},
        {"flowscope.flow": "order-to-cash", "flowscope.correlation_id": "1042"},
    ),
]


@pytest.mark.parametrize(
    ("resource", "attrs", "tags"),
    [case[1:] for case in TAGGING],
    ids=[case[0] for case in TAGGING],
)
@FORMATS
def test_spans_are_tagged_with_flow_and_correlation_id(
    resource: dict[str, Any], attrs: dict[str, Any], tags: dict[str, str], fmt: str
) -> None:
    [row] = rows(decode(trace_request((resource, [span(1, attrs=attrs)])), fmt).table)
    got = {k: v for k, v in row["SpanAttributes"].items() if k.startswith("flowscope.")}
    assert got == tags


def test_a_hashed_correlation_key_tags_the_span_with_the_hashed_value() -> None:
    catalog = Catalog(flows=CATALOG.flows, redaction=(*CATALOG.redaction, *_hash_rule("order.id")))
    body = trace_request((PAYMENTS, [span(1, attrs={"order.id": "A-1"})])).SerializeToString()
    [row] = rows(decode_traces_protobuf(body, catalog).table)
    digest = "sha256:" + hashlib.sha256(b"A-1").hexdigest()
    assert row["SpanAttributes"]["order.id"] == digest
    assert row["SpanAttributes"]["flowscope.correlation_id"] == digest


def _hash_rule(key: str) -> tuple[Any, ...]:
    from catalog.model import RedactionRule

    return (RedactionRule(key, "hash"),)


def test_a_catalog_without_flows_adds_no_tags() -> None:
    body = trace_request((PAYMENTS, [span(1, attrs={"order.id": "A-1"})])).SerializeToString()
    [row] = rows(decode_traces_protobuf(body, Catalog()).table)
    assert row["SpanAttributes"] == {"order.id": "A-1"}


def test_spans_of_several_resources_and_scopes_keep_their_service_and_scope() -> None:
    request = trace_request(
        ({"service.name": "a"}, [span(1), span(2)]), ({"service.name": "b"}, [span(3)])
    )
    scope = request.resource_spans[1].scope_spans.add()
    scope.scope.name = "second"
    scope.spans.append(span(4))
    got = [(r["ServiceName"], r["ScopeName"]) for r in rows(decode(request, "protobuf").table)]
    assert got == [("a", "test-scope"), ("a", "test-scope"), ("b", "test-scope"), ("b", "second")]


# --- properties --------------------------------------------------------------------------------

_keys = st.sampled_from(["order.id", "lead.id", "flowscope.flow", "user.email", "card.no", "k", ""])
_leaves = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(),
    st.binary(max_size=6),
)
_values = st.recursive(
    _leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=5,
)
_attrs = st.dictionaries(_keys, _values, max_size=4)
_id16 = st.one_of(st.binary(min_size=16, max_size=16), st.binary(max_size=18))
_id8 = st.one_of(st.binary(min_size=8, max_size=8), st.binary(max_size=9))
_times = st.one_of(st.integers(0, 2**64 - 1), st.integers(T0, T0 + 10**9))
_spans = st.builds(
    lambda tid, sid, pid, name, kind, start, end, attrs, events, links, code: _raw_span(
        tid, sid, pid, name, kind, start, end, attrs, events, links, code
    ),
    _id16,
    _id8,
    st.one_of(st.just(b""), _id8),
    st.text(max_size=8),
    st.integers(-1, 7),
    _times,
    _times,
    _attrs,
    st.lists(st.tuples(_times, st.text(max_size=4), _attrs), max_size=2),
    st.lists(st.tuples(_id16, _id8, _attrs), max_size=2),
    st.integers(0, 4),
)
_requests = st.lists(
    st.tuples(
        st.dictionaries(st.sampled_from(["service.name", "order.id", "host"]), _values, max_size=3),
        st.lists(_spans, max_size=4),
    ),
    max_size=3,
).map(lambda resources: trace_request(*resources))


def _raw_span(
    tid: bytes,
    sid: bytes,
    pid: bytes,
    name: str,
    kind: int,
    start: int,
    end: int,
    attrs: dict[str, Any],
    events: list[tuple[int, str, dict[str, Any]]],
    links: list[tuple[bytes, bytes, dict[str, Any]]],
    code: int,
) -> Any:
    s = span(
        trace_id=tid,
        span_id=sid,
        parent=pid,
        name=name,
        kind=kind,
        attrs=attrs,
        events=events,
        links=links,
        status=(code, "m"),
    )
    s.start_time_unix_nano = start
    s.end_time_unix_nano = end
    return s


def _span_count(request: ExportTraceServiceRequest) -> int:
    return sum(len(ss.spans) for rs in request.resource_spans for ss in rs.scope_spans)


def _check(decoded: DecodedSpans, expected: int) -> None:
    assert decoded.accepted + decoded.rejected == expected
    assert decoded.accepted == decoded.table.num_rows
    assert len(decoded.errors) == decoded.rejected
    assert [e.index for e in decoded.errors] == sorted({e.index for e in decoded.errors})
    assert decoded.table.schema == SPAN_SCHEMA


@settings(max_examples=60, deadline=None)
@given(request=_requests)
def test_any_well_formed_request_decodes_and_every_span_is_counted(
    request: ExportTraceServiceRequest,
) -> None:
    expected = _span_count(request)
    binary = decode_traces_protobuf(request.SerializeToString(), CATALOG)
    _check(binary, expected)
    text = decode_traces_json(to_otlp_json(request), CATALOG)
    _check(text, expected)
    assert [e.index for e in text.errors] == [e.index for e in binary.errors]
    assert rows(text.table) == rows(binary.table)


@settings(max_examples=80, deadline=None)
@given(request=_requests, data=st.data())
def test_a_mutated_body_is_decoded_or_refused_with_decode_error(
    request: ExportTraceServiceRequest, data: st.DataObject
) -> None:
    body = bytearray(request.SerializeToString())
    for _ in range(data.draw(st.integers(1, 4))):
        if not body:
            break
        at = data.draw(st.integers(0, len(body) - 1))
        action = data.draw(st.sampled_from(["flip", "cut", "drop"]))
        if action == "flip":
            body[at] ^= data.draw(st.integers(1, 255))
        elif action == "cut":
            del body[at:]
        else:
            del body[at]
    try:
        decoded = decode_traces_protobuf(bytes(body), CATALOG)
    except DecodeError:
        return
    wire: Any = WireTraces()
    wire.ParseFromString(bytes(body))
    _check(decoded, sum(len(ss.spans) for rs in wire.resource_spans for ss in rs.scope_spans))


@settings(max_examples=50, deadline=None)
@given(request=_requests, data=st.data())
def test_json_with_any_value_replaced_is_decoded_or_refused_with_decode_error(
    request: ExportTraceServiceRequest, data: st.DataObject
) -> None:
    document = _json(request)
    nodes: list[tuple[Any, Any]] = []

    def collect(node: Any) -> None:
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in items:
            nodes.append((node, key))
            if isinstance(value, dict | list):
                collect(value)

    collect(document)
    if nodes:
        parent, key = data.draw(st.sampled_from(nodes))
        parent[key] = data.draw(
            st.one_of(
                st.none(),
                st.integers(),
                st.text(max_size=3),
                st.just([]),
                st.just({}),
                st.just([1]),
            )
        )
    try:
        decoded = decode_traces_json(json.dumps(document).encode(), CATALOG)
    except DecodeError:
        return
    assert decoded.accepted == decoded.table.num_rows
    assert len(decoded.errors) == decoded.rejected


@FORMATS
def test_redaction_reaches_kvlists_arrays_and_baggage_copies_everywhere(fmt: str) -> None:
    email, card = "ann@example.com", "4111111111111111"
    nested: dict[str, Any] = {
        "user": {"email": email, "name": "Ann"},
        "card": {"number": card},
        "payers": [{"user": "x"}, {"email": email}],
        "baggage.user.email": email,
        "baggage.card.number": card,
        "buyers": {"list": [{"email": email}]},
    }
    catalog = Catalog(flows=CATALOG.flows, redaction=(
        *CATALOG.redaction, *_hash_rule("payers.email"), *_hash_rule("buyers.list.email")))
    request = trace_request(
        ({**PAYMENTS, **nested},
         [span(1, attrs=nested, events=[(T0, "e", nested)],
               links=[(b"\1" * 16, b"\2" * 8, nested)])]))
    body = request.SerializeToString() if fmt == "protobuf" else to_otlp_json(request)
    decoder = decode_traces_protobuf if fmt == "protobuf" else decode_traces_json
    table = decoder(body, catalog).table
    [row] = rows(table)
    hashed = "sha256:" + hashlib.sha256(email.encode()).hexdigest()
    for attrs in (row["ResourceAttributes"], row["SpanAttributes"], *row["Events.Attributes"],
                  *row["Links.Attributes"]):
        assert json.loads(attrs["user"]) == {"email": hashed, "name": "Ann"}
        assert json.loads(attrs["card"]) == {}
        assert json.loads(attrs["payers"]) == [{"user": "x"}, {"email": hashed}]
        assert attrs["baggage.user.email"] == hashed
        assert "baggage.card.number" not in attrs
        assert json.loads(attrs["buyers"]) == {"list": [{"email": hashed}]}
    stored = str(table.to_pylist())
    assert email not in stored and card not in stored
