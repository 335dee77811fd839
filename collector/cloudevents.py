"""CloudEvents 1.0 over HTTP → business events: structured, batch and binary content modes.

* :func:`decode_structured` — one event as a JSON object (``application/cloudevents+json``);
* :func:`decode_batch` — a JSON array of such objects (``application/cloudevents-batch+json``);
  an element that fails validation is reported with its index and the others are kept;
* :func:`decode_binary` — context attributes in ``ce-*`` headers (percent-decoded per the HTTP
  binding), the body is the data.

A body that is not JSON, or of the wrong top-level type, raises
:class:`collector.errors.DecodeError`. An invalid event is an
:class:`collector.model.ItemError` whose field is ``events[2].specversion`` in a batch,
``specversion`` for a structured event and ``ce-specversion`` for a binary one. Rules:

* ``specversion`` must be exactly ``"1.0"``; ``id``, ``source``, ``type`` non-empty strings;
  ``subject``, ``datacontenttype``, ``dataschema`` strings when present;
* ``time``, when present, an RFC 3339 timestamp (nanoseconds kept); absent → ``now_ns``;
* extension attribute names: lowercase ASCII letters and digits, at most 20 characters;
  values strings, numbers or booleans (``null`` = absent), stored as strings in
  ``attributes`` with ``datacontenttype`` and ``dataschema``, then redacted; a value longer
  than ``max_attribute_bytes`` (64 KiB) rejects the event;
* ``data`` and ``data_base64`` are exclusive. ``data_json`` is the data as compact JSON text:
  JSON data as is; ``data_base64`` or a binary-mode body with a JSON content type is parsed as
  JSON, any other data becomes a JSON string (its UTF-8 text, else its base64); redacted per
  :meth:`collector.redaction.Redactor.apply_json`.

Correlation (see :mod:`collector.tagging`): an attribute name such as ``order.id`` is looked up
as the extension named by its lowercase letters and digits (``orderid``), then in the data (a
member ``"order.id"``, or the path ``order`` → ``id``). The explicit correlation id is also
read from the ``correlationid`` extension. ``traceparent`` (the distributed tracing extension)
fills ``trace_id``/``span_id`` when it is a valid W3C ``traceparent``. ``service`` comes from a
``servicename`` extension (the rule applied to ``service.name``).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import unquote

from catalog.model import Catalog
from collector.attributes import format_double, raw_to_json
from collector.errors import DecodeError, InvalidItem, PayloadTooLarge
from collector.model import MAX_ITEMS_PER_REQUEST, BusinessEvent, DecodedEvents, ItemError
from collector.otlp_json import load_json
from collector.rules import IngestRules, ingest_rules
from collector.span_columns import MAX_ATTRIBUTE_BYTES
from collector.tagging import CORRELATION_ATTR, data_value

SPECVERSION = "1.0"
CORRELATION_EXTENSION = "correlationid"
"""Extension carrying an explicit correlation id."""

_CONTEXT = frozenset(
    {"specversion", "id", "source", "type", "subject", "time", "datacontenttype", "dataschema"}
)
_DATA = frozenset({"data", "data_base64"})
_KEPT_CONTEXT = ("datacontenttype", "dataschema")
_EXTENSION_NAME = re.compile(r"[a-z0-9]{1,20}\Z")
_NOT_ALNUM = re.compile(r"[^a-z0-9]")
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})\Z"
)
_TRACEPARENT = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})\Z")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NS_LIMIT = 2**63


def extension_name(attribute: str) -> str:
    """The CloudEvents extension holding attribute ``attribute``: ``order.id`` → ``orderid``."""
    return _NOT_ALNUM.sub("", attribute.lower())


def decode_structured(
    body: bytes, catalog: Catalog, *, now_ns: int, max_attribute_bytes: int = MAX_ATTRIBUTE_BYTES
) -> DecodedEvents:
    """Decode one event in the structured content mode (a JSON object)."""
    data = load_json(body)
    if not isinstance(data, dict):
        raise DecodeError("a structured CloudEvent must be a JSON object")
    return _collect([(0, "", data)], ingest_rules(catalog), now_ns, max_attribute_bytes)


def decode_batch(
    body: bytes, catalog: Catalog, *, now_ns: int, max_attribute_bytes: int = MAX_ATTRIBUTE_BYTES
) -> DecodedEvents:
    """Decode a batch (a JSON array of events); bad elements are reported, others kept."""
    data = load_json(body)
    if not isinstance(data, list):
        raise DecodeError("a CloudEvents batch must be a JSON array")
    if len(data) > MAX_ITEMS_PER_REQUEST:
        raise PayloadTooLarge(
            f"the batch holds {len(data)} events; at most {MAX_ITEMS_PER_REQUEST} per request"
        )
    items = [(i, f"events[{i}]", element) for i, element in enumerate(data)]
    return _collect(items, ingest_rules(catalog), now_ns, max_attribute_bytes)


def decode_binary(
    headers: Mapping[str, str],
    body: bytes,
    content_type: str | None,
    catalog: Catalog,
    *,
    now_ns: int,
    max_attribute_bytes: int = MAX_ATTRIBUTE_BYTES,
) -> DecodedEvents:
    """Decode one event in the binary content mode: ``ce-*`` headers, the body as data.

    Header names are case-insensitive; values are percent-decoded as UTF-8 (raw UTF-8 bytes
    that a server handed over as latin-1 text are also understood).
    ``content_type`` (the ``Content-Type`` header) becomes ``datacontenttype``.
    """
    rules = ingest_rules(catalog)
    attrs: dict[str, Any] = {}
    try:
        for name, value in headers.items():
            lower = name.lower()
            if not lower.startswith("ce-"):
                continue
            try:
                attrs[lower[3:]] = unquote(_utf8(value), encoding="utf-8", errors="strict")
            except UnicodeDecodeError as exc:
                raise InvalidItem(lower[3:], "percent-encoding is not UTF-8") from exc
        for name in _DATA:  # not settable from headers
            attrs.pop(name, None)
        if content_type:
            attrs["datacontenttype"] = content_type
        event = _event(attrs, rules, now_ns, max_attribute_bytes, body=body)
    except InvalidItem as exc:
        field = exc.field if exc.field in _DATA or not exc.field else f"ce-{exc.field}"
        return DecodedEvents(events=(), rejected=1, errors=(ItemError(0, field, exc.message),))
    return DecodedEvents(events=(event,))


def _utf8(header: str) -> str:
    """Undo a latin-1 reading of raw UTF-8 header bytes (servers decode headers as latin-1)."""
    if header.isascii():
        return header
    try:
        return header.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return header


def _collect(
    items: list[tuple[int, str, Any]], rules: IngestRules, now_ns: int, limit: int
) -> DecodedEvents:
    events: list[BusinessEvent] = []
    origins: list[tuple[int, str]] = []
    errors: list[ItemError] = []
    for index, path, obj in items:
        try:
            if not isinstance(obj, dict):
                raise InvalidItem("", "must be a JSON object")
            events.append(_event(obj, rules, now_ns, limit, body=None))
            origins.append((index, path))
        except InvalidItem as exc:
            field = ".".join(p for p in (path, exc.field) if p)
            errors.append(ItemError(index, field, exc.message))
    return DecodedEvents(events=tuple(events), rejected=len(errors), errors=tuple(errors),
                         origins=tuple(origins))


def _event(
    obj: Mapping[str, Any], rules: IngestRules, now_ns: int, limit: int, *, body: bytes | None
) -> BusinessEvent:
    """One event from its attributes (and, in binary mode, its body)."""
    if obj.get("specversion") != SPECVERSION:
        raise InvalidItem("specversion", f'must be "{SPECVERSION}"')
    event_id = _required(obj, "id")
    source = _required(obj, "source")
    event_type = _required(obj, "type")
    subject = _optional(obj, "subject")
    content_type = _optional(obj, "datacontenttype")
    time = obj.get("time")
    time_ns = now_ns if time is None else parse_time(time)
    extensions: dict[str, str] = {}
    for name in _KEPT_CONTEXT:
        if obj.get(name) is not None:
            extensions[name] = _optional(obj, name)
    for name, value in obj.items():
        if name in _CONTEXT or name in _DATA or value is None:
            continue
        if not _EXTENSION_NAME.match(name):
            raise InvalidItem(name, "extension names are 1-20 lowercase ASCII letters or digits")
        extensions[name] = _extension_value(name, value)
    trace_id = span_id = ""
    parent = _TRACEPARENT.match(extensions.get("traceparent", ""))
    if parent and parent[1] != "ff" and parent[2].strip("0") and parent[3].strip("0"):
        trace_id, span_id = parent[2], parent[3]
    attributes = rules.extension_redactor.apply_pairs(extensions.items())
    for key, value in attributes:
        if len(value) * 4 > limit and len(value.encode("utf-8")) > limit:
            raise InvalidItem(key, f"value is longer than {limit} bytes")
    data = _data(obj, content_type, body)
    try:
        data = rules.redactor.apply_json(data)
    except RecursionError as exc:
        raise InvalidItem("data", "is nested too deeply") from exc
    kept = dict(attributes)

    def lookup(attribute: str) -> str | None:
        value = kept.get(extension_name(attribute))
        if not value and attribute == CORRELATION_ATTR:
            value = kept.get(CORRELATION_EXTENSION)
        return value or data_value(data, attribute) or None

    tag = rules.tagger.event(event_type=event_type, lookup=lookup)
    flow, correlation_id, outcome = tag if tag is not None else ("", "", "")
    return BusinessEvent(
        event_id=event_id,
        source=source,
        type=event_type,
        time_ns=time_ns,
        subject=subject,
        flow=flow,
        correlation_id=correlation_id,
        outcome=outcome,
        service=kept.get(extension_name("service.name"), ""),
        trace_id=trace_id,
        span_id=span_id,
        attributes=attributes,
        data_json="" if data is None else raw_to_json(data),
    )


def _required(obj: Mapping[str, Any], name: str) -> str:
    value = obj.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidItem(name, "is required (a non-empty string)")
    return value


def _optional(obj: Mapping[str, Any], name: str) -> str:
    value = obj.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidItem(name, "must be a string")
    return value


def _extension_value(name: str, value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_double(value)
    raise InvalidItem(name, "must be a string, number or boolean")


def _is_json(content_type: str) -> bool:
    essence = content_type.split(";", 1)[0].strip().lower()
    return essence in ("application/json", "text/json") or essence.endswith("+json")


def _data(obj: Mapping[str, Any], content_type: str, body: bytes | None) -> Any:
    """The event data as a decoded JSON value (``None`` when there is none)."""
    if body is not None:
        if not body:
            return None
        return _bytes_data(body, content_type, "data")
    if obj.get("data") is not None and obj.get("data_base64") is not None:
        raise InvalidItem("data_base64", "must not be used together with data")
    if obj.get("data_base64") is not None:
        encoded = obj["data_base64"]
        if not isinstance(encoded, str):
            raise InvalidItem("data_base64", "must be a base64 string")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidItem("data_base64", "not valid base64") from None
        return _bytes_data(raw, content_type, "data_base64")
    return obj.get("data")


def _bytes_data(raw: bytes, content_type: str, field: str) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return base64.b64encode(raw).decode("ascii")
    if content_type and _is_json(content_type):
        try:
            return load_json(raw)
        except DecodeError as exc:
            raise InvalidItem(field, f"content type is JSON but the data is not: {exc}") from exc
    return text


def parse_time(value: object) -> int:
    """An RFC 3339 timestamp as ns since the epoch (UTC); :class:`InvalidItem` if invalid."""
    if not isinstance(value, str):
        raise InvalidItem("time", "must be an RFC 3339 string")
    m = _RFC3339.match(value)
    if m is None:
        raise InvalidItem("time", f"not an RFC 3339 timestamp: {value[:40]!r}")
    year, month, day, hour, minute, second = (int(m[i]) for i in range(1, 7))
    zone = m[8]
    try:
        if zone in ("Z", "z"):
            tz = UTC
        else:
            sign = -1 if zone[0] == "-" else 1
            tz = timezone(sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
        leap = second == 60
        moment = datetime(year, month, day, hour, minute, 59 if leap else second, tzinfo=tz)
    except ValueError as exc:
        raise InvalidItem("time", f"not a valid date and time: {exc}") from exc
    seconds = (moment - _EPOCH) // timedelta(seconds=1) + (1 if leap else 0)
    fraction = (m[7] or "")[:9].ljust(9, "0")
    ns = seconds * 1_000_000_000 + int(fraction)
    if not -_NS_LIMIT < ns < _NS_LIMIT:
        raise InvalidItem("time", "is out of range (1677-09-21 to 2262-04-11)")
    return ns
