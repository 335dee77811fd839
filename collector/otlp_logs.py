"""OTLP/HTTP log requests (protobuf or JSON) → business events.

A log record is a business event when it has an event name: the ``LogRecord.event_name``
field, else its ``event.name`` attribute. Records without one are not errors: they are counted
in :attr:`collector.model.DecodedEvents.ignored` and dropped (flowscope stores no plain logs).

An event record becomes a :class:`collector.model.BusinessEvent`:

* ``type`` = the event name; ``source`` = the resource's ``service.name`` (``"otlp"`` without
  one), also stored as ``service``;
* ``time_ns`` = ``time_unix_nano``, else ``observed_time_unix_nano``, else ``now_ns``;
* ``event_id`` = the ``event.id`` attribute, else the first 32 hex digits of a SHA-256 over
  the resource, scope and record as sent (deterministic protobuf encoding), so a re-sent
  identical record gets the same id and is deduplicated on (source, id);
* ``attributes`` = the record's attributes (not the resource's) without ``event.name`` and
  ``event.id``, redacted; ``data_json`` = the record body as compact JSON (redacted as
  :meth:`collector.redaction.Redactor.apply_json` describes), ``""`` without a body;
* ``trace_id``/``span_id`` = the record's ids in lowercase hex (``""`` when absent);
* flow, correlation id and outcome per :mod:`collector.tagging`, looking a name up in the
  record attributes, then the resource attributes, then ``baggage.<name>`` copies, then the
  body (a member named so, or the dotted path).

A record is rejected (an :class:`collector.model.ItemError`, the others are kept) when its
trace id is not empty or 16 bytes, its span id not empty or 8 bytes, its time is at/after
2262, an attribute value is longer than ``max_attribute_bytes`` after redaction, or (JSON) a
field has the wrong type. ``index`` counts records across the whole request.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import DecodeError as ProtobufDecodeError
from google.protobuf.message import Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import InstrumentationScope
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord
from opentelemetry.proto.resource.v1.resource_pb2 import Resource

from catalog.model import Catalog
from collector.attributes import any_value_to_raw, any_value_to_str, raw_to_json
from collector.errors import DecodeError, InvalidItem, PayloadTooLarge
from collector.model import MAX_ITEMS_PER_REQUEST, BusinessEvent, DecodedEvents, ItemError
from collector.otlp_json import as_dict, as_list, hex_id, load_json, structural
from collector.rules import IngestRules, ingest_rules
from collector.span_columns import MAX_ATTRIBUTE_BYTES, TIME_LIMIT
from collector.tagging import BAGGAGE_PREFIX, data_value

EVENT_NAME_ATTR = "event.name"
EVENT_ID_ATTR = "event.id"
DEFAULT_SOURCE = "otlp"
"""``source`` of events whose resource has no ``service.name``."""

_JSON_PARSE_ERRORS = (json_format.ParseError, TypeError, ValueError, RecursionError)


@dataclass(frozen=True)
class _ResourceContext:
    attrs: dict[str, str]
    """Redacted resource attributes."""
    service: str
    fingerprint: bytes
    """Deterministic encoding of the resource, for event ids."""


@dataclass(frozen=True)
class _Record:
    path: str
    resource: _ResourceContext
    scope: bytes
    record: LogRecord | InvalidItem


def decode_logs_protobuf(
    body: bytes,
    catalog: Catalog,
    *,
    now_ns: int,
    max_attribute_bytes: int = MAX_ATTRIBUTE_BYTES,
) -> DecodedEvents:
    """Decode a binary protobuf ``ExportLogsServiceRequest``; ``now_ns`` is ns since the epoch."""
    request = ExportLogsServiceRequest()
    try:
        request.ParseFromString(body)
    except (ProtobufDecodeError, RecursionError) as exc:
        raise DecodeError(f"not a valid OTLP protobuf logs request: {exc}") from exc
    count = sum(len(sl.log_records) for rl in request.resource_logs for sl in rl.scope_logs)
    if count > MAX_ITEMS_PER_REQUEST:
        raise PayloadTooLarge(
            f"the request holds {count} log records; at most {MAX_ITEMS_PER_REQUEST} per request"
        )
    rules = ingest_rules(catalog)

    def records() -> Iterator[_Record]:
        for ri, rl in enumerate(request.resource_logs):
            resource = _resource_context(rl.resource, rules)
            for si, sl in enumerate(rl.scope_logs):
                scope = _encode(sl.scope)
                for li, record in enumerate(sl.log_records):
                    path = f"resourceLogs[{ri}].scopeLogs[{si}].logRecords[{li}]"
                    yield _Record(path, resource, scope, record)

    return _decode(records(), rules, now_ns, max_attribute_bytes)


def decode_logs_json(
    body: bytes,
    catalog: Catalog,
    *,
    now_ns: int,
    max_attribute_bytes: int = MAX_ATTRIBUTE_BYTES,
) -> DecodedEvents:
    """Decode an OTLP/JSON ``ExportLogsServiceRequest`` (rules in :mod:`collector.otlp_json`).

    Wrong JSON types above the record level make the body undecodable (``DecodeError``).
    """
    data = load_json(body)
    if not isinstance(data, dict):
        raise DecodeError("an OTLP/JSON logs request must be a JSON object")
    rules = ingest_rules(catalog)
    try:
        resource_logs = as_list(data.get("resourceLogs"), "resourceLogs")
    except InvalidItem as exc:
        raise structural(exc) from exc
    items: list[_Record] = []
    for ri, rl in enumerate(resource_logs):
        rpath = f"resourceLogs[{ri}]"
        try:
            rl = as_dict(rl, rpath)
            resource = _parse(Resource(), rl.get("resource"), f"{rpath}.resource")
            scope_logs = as_list(rl.get("scopeLogs"), f"{rpath}.scopeLogs")
        except InvalidItem as exc:
            raise structural(exc) from exc
        context = _resource_context(resource, rules)
        for si, sl in enumerate(scope_logs):
            spath = f"{rpath}.scopeLogs[{si}]"
            try:
                sl = as_dict(sl, spath)
                scope = _parse(InstrumentationScope(), sl.get("scope"), f"{spath}.scope")
                log_records = as_list(sl.get("logRecords"), f"{spath}.logRecords")
            except InvalidItem as exc:
                raise structural(exc) from exc
            scope_bytes = _encode(scope)
            for li, raw in enumerate(log_records):
                path = f"{spath}.logRecords[{li}]"
                try:
                    record: LogRecord | InvalidItem = _json_record(raw)
                except InvalidItem as exc:
                    record = exc
                items.append(_Record(path, context, scope_bytes, record))
    return _decode(iter(items), rules, now_ns, max_attribute_bytes)


def _decode(
    records: Iterator[_Record], rules: IngestRules, now_ns: int, limit: int
) -> DecodedEvents:
    events: list[BusinessEvent] = []
    origins: list[tuple[int, str]] = []
    errors: list[ItemError] = []
    ignored = 0
    for index, item in enumerate(records):
        try:
            if isinstance(item.record, InvalidItem):
                raise item.record
            event = _event(item, item.record, rules, now_ns, limit)
        except InvalidItem as exc:
            field = f"{item.path}.{exc.field}" if exc.field else item.path
            errors.append(ItemError(index, field, exc.message))
            continue
        if event is None:
            ignored += 1
        else:
            events.append(event)
            origins.append((index, item.path))
    return DecodedEvents(
        events=tuple(events), rejected=len(errors), errors=tuple(errors), ignored=ignored,
        origins=tuple(origins),
    )


def _event(
    item: _Record, record: LogRecord, rules: IngestRules, now_ns: int, limit: int
) -> BusinessEvent | None:
    pairs = [(kv.key, any_value_to_str(kv.value)) for kv in record.attributes]
    name = getattr(record, "event_name", "") or next(
        (v for k, v in pairs if k == EVENT_NAME_ATTR), ""
    )
    if not name:
        return None
    trace_id = _id(record.trace_id, 16, "traceId")
    span_id = _id(record.span_id, 8, "spanId")
    time_ns = record.time_unix_nano or record.observed_time_unix_nano or now_ns
    if time_ns >= TIME_LIMIT:
        raise InvalidItem("timeUnixNano", "is after the year 2262")
    event_id = next((v for k, v in pairs if k == EVENT_ID_ATTR and v), "")
    if not event_id:
        digest = hashlib.sha256()
        for part in (item.resource.fingerprint, item.scope, _encode(record)):
            digest.update(len(part).to_bytes(8, "big"))
            digest.update(part)
        event_id = digest.hexdigest()[:32]
    attributes = rules.redactor.apply_pairs(
        (k, v) for k, v in pairs if k not in (EVENT_NAME_ATTR, EVENT_ID_ATTR)
    )
    for key, value in attributes:
        if len(value) * 4 > limit and len(value.encode("utf-8")) > limit:
            raise InvalidItem(f"attributes[{key!r}]", f"value is longer than {limit} bytes")
    data: Any = None
    data_json = ""
    if record.HasField("body"):
        try:
            data = rules.redactor.apply_json(any_value_to_raw(record.body))
            data_json = raw_to_json(data)
        except RecursionError as exc:
            raise InvalidItem("body", "is nested too deeply") from exc
    own = dict(attributes)
    res = item.resource.attrs

    def lookup(key: str) -> str | None:
        for source in (own, res):
            value = source.get(key) or source.get(BAGGAGE_PREFIX + key)
            if value:
                return value
        return data_value(data, key) or None

    tag = rules.tagger.event(event_type=name, lookup=lookup)
    flow, correlation_id, outcome = tag if tag is not None else ("", "", "")
    return BusinessEvent(
        event_id=event_id,
        source=item.resource.service or DEFAULT_SOURCE,
        type=name,
        time_ns=time_ns,
        flow=flow,
        correlation_id=correlation_id,
        outcome=outcome,
        service=item.resource.service,
        trace_id=trace_id,
        span_id=span_id,
        attributes=attributes,
        data_json=data_json,
    )


def _id(raw: bytes, size: int, field: str) -> str:
    if not raw or raw == bytes(size):
        return ""
    if len(raw) != size:
        raise InvalidItem(field, f"must be empty or {size} bytes, got {len(raw)}")
    return raw.hex()


def _resource_context(resource: Resource, rules: IngestRules) -> _ResourceContext:
    pairs = [(kv.key, any_value_to_str(kv.value)) for kv in resource.attributes]
    attrs = dict(rules.redactor.apply_pairs(pairs))
    return _ResourceContext(
        attrs=attrs, service=attrs.get("service.name", ""), fingerprint=_encode(resource)
    )


def _encode(message: Message) -> bytes:
    return message.SerializeToString(deterministic=True)


def _parse(message: Message, obj: object, field: str) -> Any:
    """Parse an OTLP/JSON resource or scope object into ``message``."""
    try:
        return json_format.ParseDict(as_dict(obj, field), message, ignore_unknown_fields=True)
    except _JSON_PARSE_ERRORS as exc:
        raise InvalidItem(field, str(exc)) from exc


def _json_record(obj: object) -> LogRecord:
    if not isinstance(obj, dict):
        raise InvalidItem("", "must be an object")
    record = dict(obj)
    # OTLP/JSON ids are hex; the generic proto3 JSON mapping expects base64
    for names, size in ((("traceId", "trace_id"), 16), (("spanId", "span_id"), 8)):
        for name in names:
            if name in record:
                text = hex_id(record[name], names[0], size, required=False)
                record[name] = base64.b64encode(bytes.fromhex(text)).decode("ascii")
    try:
        return json_format.ParseDict(record, LogRecord(), ignore_unknown_fields=True)
    except _JSON_PARSE_ERRORS as exc:
        raise InvalidItem("", str(exc)) from exc
