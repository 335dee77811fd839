"""The OTLP/JSON walk of a trace request, filling :class:`collector.span_columns.SpanColumns`.

Called by :func:`collector.otlp_traces.decode_traces_json`, which documents the validation
rules. A wrong JSON type above the span level (``resourceSpans`` not an array, a resource that
is not an object...) makes the whole body undecodable (:class:`collector.errors.DecodeError`),
since its spans cannot even be counted; inside a span it rejects that span only.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from collector.attributes import json_any_value_to_str, json_key_value, json_uint64
from collector.errors import DecodeError, InvalidItem
from collector.model import ItemError
from collector.otlp_json import as_dict, as_list, enum_value, hex_id, string, structural
from collector.rules import IngestRules
from collector.span_columns import (
    SPAN_KINDS,
    STATUS_CODES,
    TIME_LIMIT,
    SpanColumns,
    oversized_value,
)
from collector.span_enums import SPAN_KIND_NAMES, STATUS_CODE_NAMES

_KIND_NUMBERS = {name: i for i, name in enumerate(SPAN_KIND_NAMES)}
_STATUS_NUMBERS = {name: i for i, name in enumerate(STATUS_CODE_NAMES)}


class _Event(NamedTuple):
    time: int
    name: str
    keys: list[str]
    values: list[str]


class _Link(NamedTuple):
    trace_id: str
    span_id: str
    trace_state: str
    keys: list[str]
    values: list[str]


class _Span(NamedTuple):
    trace_id: str
    span_id: str
    parent: str
    trace_state: str
    name: str
    kind: str
    start: int
    end: int
    status_code: str
    status_message: str
    keys: list[str]
    values: list[str]
    events: list[_Event]
    links: list[_Link]


def walk_json(
    data: Any, rules: IngestRules, cols: SpanColumns, errors: list[ItemError], limit: int
) -> list[str]:
    """Append every valid span of the decoded JSON ``data``; returns each span's path."""
    if not isinstance(data, dict):
        raise DecodeError("an OTLP/JSON trace request must be a JSON object")
    paths: list[str] = []
    redactor = rules.redactor
    try:
        resource_spans = as_list(data.get("resourceSpans"), "resourceSpans")
    except InvalidItem as exc:
        raise structural(exc) from exc
    for ri, rs in enumerate(resource_spans):
        rpath = f"resourceSpans[{ri}]"
        try:
            rs = as_dict(rs, rpath)
            resource = as_dict(rs.get("resource"), f"{rpath}.resource")
            rkeys, rvals = json_attrs(resource.get("attributes"), f"{rpath}.resource.attributes")
            scope_spans = as_list(rs.get("scopeSpans"), f"{rpath}.scopeSpans")
        except InvalidItem as exc:
            raise structural(exc) from exc
        rkeys, rvals, _ = redactor.apply_flat(rkeys, rvals, [0, len(rkeys)])
        attrs = dict(zip(rkeys, rvals, strict=True))
        service = attrs.get("service.name", "")
        rfound = {k: v for k, v in attrs.items() if k in rules.lookup_keys}
        too_big = oversized_value(rvals, limit)
        res_index = cols.add_resource(service, rkeys, rvals)
        for si, ss in enumerate(scope_spans):
            spath = f"{rpath}.scopeSpans[{si}]"
            try:
                ss = as_dict(ss, spath)
                scope = as_dict(ss.get("scope"), f"{spath}.scope")
                scope_name = string(scope.get("name"), f"{spath}.scope.name")
                scope_version = string(scope.get("version"), f"{spath}.scope.version")
                spans = as_list(ss.get("spans"), f"{spath}.spans")
            except InvalidItem as exc:
                raise structural(exc) from exc
            first_row = len(cols.timestamp)
            for pi, raw in enumerate(spans):
                path = f"{spath}.spans[{pi}]"
                ordinal = len(paths)
                paths.append(path)
                if too_big >= 0:
                    field = f"{rpath}.resource.attributes[{rkeys[too_big]!r}]"
                    errors.append(ItemError(ordinal, field, f"value is longer than {limit} bytes"))
                    continue
                try:
                    span = _span(raw)
                except InvalidItem as exc:
                    field = f"{path}.{exc.field}" if exc.field else path
                    errors.append(ItemError(ordinal, field, exc.message))
                    continue
                _append(cols, span, rules, service, rfound)
            cols.add_scope(res_index, scope_name, scope_version, len(cols.timestamp) - first_row)
    return paths


def _append(
    cols: SpanColumns, span: _Span, rules: IngestRules, service: str, rfound: dict[str, str]
) -> None:
    cols.timestamp.append(span.start)
    cols.duration.append(span.end - span.start)
    cols.trace_id.append(span.trace_id)
    cols.span_id.append(span.span_id)
    cols.parent.append(span.parent)
    cols.trace_state.append(span.trace_state)
    cols.name.append(span.name)
    cols.kind.append(span.kind)
    cols.status_code.append(span.status_code)
    cols.status_message.append(span.status_message)
    cols.attr_keys.extend(span.keys)
    cols.attr_values.extend(span.values)
    lookup = rules.lookup_keys
    found = (
        {k: v for k, v in zip(span.keys, span.values, strict=True) if k in lookup}
        if lookup and not lookup.isdisjoint(span.keys)
        else {}
    )
    if found or rfound:
        attrs = rules.redact_found(found) if rules.lookup_actions else found
        tag = rules.tagger.span(
            service=service, span_name=span.name, span_attrs=attrs, resource_attrs=rfound
        )
        cols.add_tags(tag, found)
    cols.attr_offsets.append(len(cols.attr_keys))
    for event in span.events:
        cols.ev_time.append(event.time)
        cols.ev_name.append(event.name)
        cols.ev_attr_keys.extend(event.keys)
        cols.ev_attr_values.extend(event.values)
        cols.ev_attr_offsets.append(len(cols.ev_attr_keys))
    cols.ev_offsets.append(len(cols.ev_time))
    for link in span.links:
        cols.link_trace.append(link.trace_id)
        cols.link_span.append(link.span_id)
        cols.link_state.append(link.trace_state)
        cols.link_attr_keys.extend(link.keys)
        cols.link_attr_values.extend(link.values)
        cols.link_attr_offsets.append(len(cols.link_attr_keys))
    cols.link_offsets.append(len(cols.link_trace))


def _span(raw: object) -> _Span:
    s = as_dict(raw, "")
    trace_id = hex_id(s.get("traceId"), "traceId", 16, required=True)
    span_id = hex_id(s.get("spanId"), "spanId", 8, required=True)
    parent = hex_id(s.get("parentSpanId"), "parentSpanId", 8, required=False)
    start = json_uint64(s.get("startTimeUnixNano"), "startTimeUnixNano")
    end = json_uint64(s.get("endTimeUnixNano"), "endTimeUnixNano")
    if start <= 0:
        raise InvalidItem("startTimeUnixNano", "is required")
    if start >= TIME_LIMIT:
        raise InvalidItem("startTimeUnixNano", "is after the year 2262")
    if end < start:
        raise InvalidItem("endTimeUnixNano", "is before startTimeUnixNano")
    kind = enum_value(s.get("kind"), "kind", _KIND_NUMBERS)
    status = as_dict(s.get("status"), "status")
    code = enum_value(status.get("code"), "status.code", _STATUS_NUMBERS)
    keys, values = json_attrs(s.get("attributes"), "attributes")
    events: list[_Event] = []
    for i, e in enumerate(as_list(s.get("events"), "events")):
        field = f"events[{i}]"
        e = as_dict(e, field)
        time = json_uint64(e.get("timeUnixNano"), f"{field}.timeUnixNano")
        if time >= TIME_LIMIT:
            raise InvalidItem(f"{field}.timeUnixNano", "is after the year 2262")
        ekeys, evalues = json_attrs(e.get("attributes"), f"{field}.attributes")
        events.append(_Event(time, string(e.get("name"), f"{field}.name"), ekeys, evalues))
    links: list[_Link] = []
    for i, link in enumerate(as_list(s.get("links"), "links")):
        field = f"links[{i}]"
        link = as_dict(link, field)
        lkeys, lvalues = json_attrs(link.get("attributes"), f"{field}.attributes")
        links.append(
            _Link(
                _link_id(link.get("traceId"), f"{field}.traceId", 16),
                _link_id(link.get("spanId"), f"{field}.spanId", 8),
                string(link.get("traceState"), f"{field}.traceState"),
                lkeys,
                lvalues,
            )
        )
    return _Span(
        trace_id=trace_id,
        span_id=span_id,
        parent=parent,
        trace_state=string(s.get("traceState"), "traceState"),
        name=string(s.get("name"), "name"),
        kind=SPAN_KINDS[kind] if 0 <= kind < len(SPAN_KINDS) else "",
        start=start,
        end=end,
        status_code=STATUS_CODES[code] if 0 <= code < len(STATUS_CODES) else "",
        status_message=string(status.get("message"), "status.message"),
        keys=keys,
        values=values,
        events=events,
        links=links,
    )


def _link_id(obj: object, field: str, size: int) -> str:
    """A link's id: exactly ``size`` bytes in hex (all zeros allowed, as in protobuf)."""
    if isinstance(obj, str) and obj.count("0") == len(obj) == 2 * size:
        return obj
    return hex_id(obj, field, size, required=True)


def json_attrs(obj: object, field: str) -> tuple[list[str], list[str]]:
    """Keys and attribute strings of an OTLP/JSON ``KeyValue`` array (absent → empty)."""
    keys: list[str] = []
    values: list[str] = []
    for i, kv in enumerate(as_list(obj, field)):
        if type(kv) is dict:  # fast path: {"key": "...", "value": {"stringValue": "..."}}
            k = kv.get("key")
            v = kv.get("value")
            if type(k) is str and type(v) is dict:
                sv = v.get("stringValue")
                if type(sv) is str:
                    keys.append(k)
                    values.append(sv)
                    continue
        k, v = json_key_value(kv, f"{field}[{i}]")
        keys.append(k)
        values.append(json_any_value_to_str(v, f"{field}[{i}].value"))
    return keys, values
