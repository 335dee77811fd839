"""OTLP/HTTP trace requests (protobuf or JSON) → ``otel_traces`` rows as an Arrow table.

:func:`decode_traces_protobuf` and :func:`decode_traces_json` return a
:class:`collector.model.DecodedSpans`. A body that cannot be decoded at all raises
:class:`collector.errors.DecodeError`; a span that fails validation is left out and described
by an :class:`collector.model.ItemError`, the others are kept. A span is invalid when:

* its trace id is not 16 bytes or is all zeros; its span id is not 8 bytes or is all zeros;
  its parent span id is neither empty nor 8 bytes (an all-zero parent counts as none);
* its start time is 0 or at/after 2262-04-11 (``2**63`` ns), or its end time is before its
  start (``Duration`` is ``end - start`` in ns and never negative);
* an attribute value of the span, its resource, one of its events or links is longer than
  ``max_attribute_bytes`` UTF-8 bytes (default 64 KiB) *after redaction*: such a span is
  **rejected, not truncated**, and the error names the key;
* a link's trace id is not 16 bytes or its span id not 8 bytes;
* an attribute value is not a valid ``AnyValue`` (a string that is not UTF-8, a malformed
  encoding), or (JSON) a field has the wrong JSON type, e.g. a number for ``traceId``.

Span names may be empty. Unknown span kinds and status codes are stored as ``""`` as the
exporter does. Ids are written as lowercase hex. The catalog's redaction rules apply to
resource, span, event and link attributes before the table is built (``ServiceName`` comes
from the redacted ``service.name``); then, when a correlation id is found (see
:mod:`collector.tagging`), the span gets the ``flowscope.flow`` and
``flowscope.correlation_id`` attributes.

Speed (protobuf): the body is parsed with :mod:`collector.otlp_wire` (attribute values stay
serialized and are decoded in bulk by :mod:`collector.raw_values`), resource- and scope-level
work is done once per resource or scope, and tagging reads only the correlation keys unless
the body mentions ``flowscope.`` or ``baggage.`` keys. As a consequence duplicate keys in one
protobuf attribute list keep only the last, and attribute order is not preserved.
"""

from __future__ import annotations

from typing import Any

from google.protobuf.message import DecodeError as ProtobufDecodeError

from catalog.model import Catalog, Flow
from collector.attributes import any_value_to_str
from collector.errors import DecodeError, PayloadTooLarge
from collector.model import MAX_ITEMS_PER_REQUEST, DecodedSpans, ItemError
from collector.otlp_json import load_json
from collector.otlp_traces_json import walk_json
from collector.otlp_wire import WireTraces
from collector.raw_values import BLANK_VALUES, encode_string, wire_value_to_str
from collector.rules import IngestRules, ingest_rules
from collector.span_columns import (
    MAX_ATTRIBUTE_BYTES,
    SPAN_KINDS,
    STATUS_CODES,
    TIME_LIMIT,
    SpanColumns,
    oversized_value,
)
from collector.tagging import CORRELATION_ATTR, FLOW_ATTR

_ZERO_TRACE = bytes(16)
_ZERO_SPAN = bytes(8)


def decode_traces_protobuf(
    body: bytes, catalog: Catalog, *, max_attribute_bytes: int = MAX_ATTRIBUTE_BYTES
) -> DecodedSpans:
    """Decode a binary protobuf ``ExportTraceServiceRequest``."""
    request: Any = WireTraces()
    try:
        request.ParseFromString(body)
    except (ProtobufDecodeError, RecursionError) as exc:
        raise DecodeError(f"not a valid OTLP protobuf trace request: {exc}") from exc
    count = sum(len(ss.spans) for rs in request.resource_spans for ss in rs.scope_spans)
    if count > MAX_ITEMS_PER_REQUEST:
        raise PayloadTooLarge(
            f"the request holds {count} spans; at most {MAX_ITEMS_PER_REQUEST} per request"
        )
    rules = ingest_rules(catalog)
    # The fast tagging path reads only the correlation keys; anything rarer (explicit tags,
    # baggage copies, redacted keys) needs the careful path. Keys travel as plain UTF-8, so
    # a body without their bytes cannot hold them.
    careful = bool(rules.lookup_actions) or any(k in body for k in rules.rare_key_bytes)
    cols = SpanColumns(wire=True)
    errors: list[ItemError] = []
    total = _walk_protobuf(request, body, rules, cols, errors, max_attribute_bytes, careful=careful)

    def span_path(ordinal: int) -> str:
        for ri, rs in enumerate(request.resource_spans):
            for si, ss in enumerate(rs.scope_spans):
                if ordinal < len(ss.spans):
                    return f"resourceSpans[{ri}].scopeSpans[{si}].spans[{ordinal}]"
                ordinal -= len(ss.spans)
        raise IndexError(ordinal)

    return cols.finish(
        errors=errors,
        total=total,
        redactor=rules.redactor,
        max_attribute_bytes=max_attribute_bytes,
        span_path=span_path,
    )


def decode_traces_json(
    body: bytes, catalog: Catalog, *, max_attribute_bytes: int = MAX_ATTRIBUTE_BYTES
) -> DecodedSpans:
    """Decode an OTLP/JSON ``ExportTraceServiceRequest`` (rules in :mod:`collector.otlp_json`)."""
    data = load_json(body)
    rules = ingest_rules(catalog)
    cols = SpanColumns(wire=False)
    errors: list[ItemError] = []
    paths = walk_json(data, rules, cols, errors, max_attribute_bytes)
    return cols.finish(
        errors=errors,
        total=len(paths),
        redactor=rules.redactor,
        max_attribute_bytes=max_attribute_bytes,
        span_path=paths.__getitem__,
    )


def _walk_protobuf(
    request: Any,
    body: bytes,
    rules: IngestRules,
    cols: SpanColumns,
    errors: list[ItemError],
    limit: int,
    *,
    careful: bool,
) -> int:
    """Append every valid span of ``request`` to ``cols``; returns the number of spans seen.

    This is the hot loop: everything it calls per span or per attribute is bound to a local.
    Attribute values stay serialized (``bytes``) until :meth:`SpanColumns.finish`.
    """
    redactor = rules.redactor
    tagger = rules.tagger
    active = tagger.active
    # correlation keys whose bytes do not occur in the body cannot be attribute keys in it
    keys = tuple(k for k in tagger.keys if k.encode() in body) if active else ()
    single_key = keys[0] if len(keys) == 1 else None
    single = keys[:1]
    unseen = _UNSEEN
    lookup_keys = rules.lookup_keys
    span_flow = tagger.span_flow
    kinds = SPAN_KINDS
    statuses = STATUS_CODES
    zero_trace = _ZERO_TRACE
    zero_span = _ZERO_SPAN
    blank = BLANK_VALUES
    flow_attr = FLOW_ATTR
    correlation_attr = CORRELATION_ATTR
    ts_app = cols.timestamp.append
    dur_app = cols.duration.append
    tid_app = cols.trace_id.append
    sid_app = cols.span_id.append
    pid_app = cols.parent.append
    state_app = cols.trace_state.append
    name_app = cols.name.append
    kind_app = cols.kind.append
    code_app = cols.status_code.append
    msg_app = cols.status_message.append
    attr_keys = cols.attr_keys
    ak_app = attr_keys.append
    av_app = cols.attr_values.append
    ao_app = cols.attr_offsets.append
    ev_time = cols.ev_time
    ev_offsets_app = cols.ev_offsets.append
    link_trace = cols.link_trace
    link_offsets_app = cols.link_offsets.append
    timestamps = cols.timestamp
    ordinal = 0
    for ri, rs in enumerate(request.resource_spans):
        rkeys, rvals = _protobuf_attrs(rs.resource.attributes)
        rkeys, rvals, _ = redactor.apply_flat(rkeys, rvals, [0, len(rkeys)])
        service = ""
        rfound: dict[str, str] = {}
        for rkey, rval in zip(rkeys, rvals, strict=True):
            if rkey == "service.name":
                service = rval
            if rkey in lookup_keys:
                rfound[rkey] = rval
        too_big = oversized_value(rvals, limit)
        res_index = cols.add_resource(service, rkeys, rvals)
        slow_tags = active and (careful or bool(rfound))
        # flow choices of this resource's spans, by span name (and present keys)
        by_name: dict[str, _Choice] = {}
        chosen: dict[tuple[str, tuple[str, ...]], _Choice] = {}
        for si, ss in enumerate(rs.scope_spans):
            scope = ss.scope
            first_row = len(timestamps)
            for pi, span in enumerate(ss.spans):
                tid = span.trace_id
                sid = span.span_id
                pid = span.parent_span_id
                start = span.start_time_unix_nano
                end = span.end_time_unix_nano
                links = span.links
                if (
                    len(tid) != 16
                    or len(sid) != 8
                    or tid == zero_trace
                    or sid == zero_span
                    or (pid and len(pid) != 8)
                    or not 0 < start <= end
                    or start >= TIME_LIMIT
                    or too_big >= 0
                    or (links and _bad_link(links) >= 0)
                ):
                    field, message = _span_problem(span, rkeys, too_big, limit)
                    path = f"resourceSpans[{ri}].scopeSpans[{si}].spans[{pi}]"
                    if field.startswith("resource"):
                        path = f"resourceSpans[{ri}]"
                    errors.append(ItemError(ordinal, f"{path}.{field}", message))
                    ordinal += 1
                    continue
                ordinal += 1
                ts_app(start)
                dur_app(end - start)
                tid_app(tid.hex())
                sid_app(sid.hex())
                pid_app(pid.hex() if pid != zero_span else "")
                state_app(span.trace_state)
                name = span.name
                name_app(name)
                kind = span.kind
                kind_app(kinds[kind] if 0 <= kind < 6 else "")
                status = span.status
                code = status.code
                code_app(statuses[code] if 0 <= code < 3 else "")
                msg_app(status.message)
                attrs = span.attributes
                for k in attrs:
                    ak_app(k)
                    av_app(attrs[k])
                if slow_tags:
                    _tag_carefully(attrs, rules, cols, service, name, rfound)
                elif single_key is not None:
                    raw = attrs.get(single_key)
                    if raw is not None and raw not in blank:
                        choice = by_name.get(name, unseen)
                        if choice is unseen:
                            choice = by_name[name] = _choice(span_flow(service, name, single))
                        if choice is not None:
                            ak_app(flow_attr)
                            av_app(choice[0])
                            ak_app(correlation_attr)
                            av_app(raw)
                elif keys:
                    present: tuple[str, ...] = ()
                    for k in keys:
                        raw = attrs.get(k)
                        if raw is not None and raw not in blank:
                            present += (k,)
                    if present:
                        choice_key = (name, present)
                        choice = chosen.get(choice_key, unseen)
                        if choice is unseen:
                            choice = chosen[choice_key] = _choice(span_flow(service, name, present))
                        if choice is not None:
                            ak_app(flow_attr)
                            av_app(choice[0])
                            ak_app(correlation_attr)
                            av_app(attrs[choice[1]])
                ao_app(len(attr_keys))
                events = span.events
                if events:
                    _protobuf_events(events, cols)
                ev_offsets_app(len(ev_time))
                if links:
                    _protobuf_links(links, cols)
                link_offsets_app(len(link_trace))
            cols.add_scope(res_index, scope.name, scope.version, len(timestamps) - first_row)
    return ordinal


_Choice = tuple[bytes, str] | None
"""A span's flow as (encoded flow name, correlation key), or no flow."""

_UNSEEN: Any = object()


def _choice(flow: Flow | None) -> _Choice:
    return None if flow is None else (encode_string(flow.name), flow.correlation_key)


def _tag_carefully(
    attrs: Any,
    rules: IngestRules,
    cols: SpanColumns,
    service: str,
    name: str,
    rfound: dict[str, str],
) -> None:
    """Tag the span being appended by the full rules of :mod:`collector.tagging`."""
    found: dict[str, str] = {}
    for key in rules.lookup_keys:
        raw = attrs.get(key)
        if raw is not None:
            found[key] = wire_value_to_str(raw) or ""
    if not found and not rfound:
        return
    span_attrs = rules.redact_found(found) if rules.lookup_actions else found
    tag = rules.tagger.span(
        service=service, span_name=name, span_attrs=span_attrs, resource_attrs=rfound
    )
    cols.add_tags(tag, found)


def _protobuf_attrs(attributes: Any) -> tuple[list[str], list[str]]:
    keys: list[str] = []
    values: list[str] = []
    for kv in attributes:
        keys.append(kv.key)
        v = kv.value
        s = v.string_value
        values.append(s if s else any_value_to_str(v))
    return keys, values


def _protobuf_events(events: Any, cols: SpanColumns) -> None:
    time_app = cols.ev_time.append
    name_app = cols.ev_name.append
    keys = cols.ev_attr_keys
    values = cols.ev_attr_values
    offsets_app = cols.ev_attr_offsets.append
    for event in events:
        time_app(event.time_unix_nano)
        name_app(event.name)
        attrs = event.attributes
        for k in attrs:
            keys.append(k)
            values.append(attrs[k])
        offsets_app(len(keys))


def _protobuf_links(links: Any, cols: SpanColumns) -> None:
    keys = cols.link_attr_keys
    values = cols.link_attr_values
    offsets_app = cols.link_attr_offsets.append
    for link in links:
        cols.link_trace.append(link.trace_id.hex())
        cols.link_span.append(link.span_id.hex())
        cols.link_state.append(link.trace_state)
        attrs = link.attributes
        for k in attrs:
            keys.append(k)
            values.append(attrs[k])
        offsets_app(len(keys))


def _bad_link(links: Any) -> int:
    """Index of the first link whose ids are not 16 and 8 bytes, or -1."""
    for i, link in enumerate(links):
        if len(link.trace_id) != 16 or len(link.span_id) != 8:
            return i
    return -1


def _span_problem(span: Any, rkeys: list[str], too_big: int, limit: int) -> tuple[str, str]:
    """(field, message) of the first problem of a span the hot loop found invalid."""
    tid = span.trace_id
    sid = span.span_id
    pid = span.parent_span_id
    if len(tid) != 16:
        return "traceId", f"must be 16 bytes, got {len(tid)}"
    if tid == _ZERO_TRACE:
        return "traceId", "must not be all zeros"
    if len(sid) != 8:
        return "spanId", f"must be 8 bytes, got {len(sid)}"
    if sid == _ZERO_SPAN:
        return "spanId", "must not be all zeros"
    if pid and len(pid) != 8:
        return "parentSpanId", f"must be empty or 8 bytes, got {len(pid)}"
    start = span.start_time_unix_nano
    if start <= 0:
        return "startTimeUnixNano", "is required"
    if start >= TIME_LIMIT:
        return "startTimeUnixNano", "is after the year 2262"
    if span.end_time_unix_nano < start:
        return "endTimeUnixNano", "is before startTimeUnixNano"
    bad = _bad_link(span.links)
    if bad >= 0:
        return f"links[{bad}]", "trace id must be 16 bytes and span id 8 bytes"
    return f"resource.attributes[{rkeys[too_big]!r}]", f"value is longer than {limit} bytes"
