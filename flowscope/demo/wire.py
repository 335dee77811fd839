"""Planned runs as wire payloads: OTLP/HTTP protobuf bodies and CloudEvents batches. Pure.

:func:`otlp_body` builds one ``ExportTraceServiceRequest`` (a resource per service, as an SDK
per service would send) with the spans' own historic timestamps; :func:`cloudevent` builds one
structured CloudEvent (the correlation key as an extension attribute, e.g. ``orderid``, and in
``data``; the span as ``traceparent``). :func:`batches` cuts runs into bodies of bounded size.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, Span, Status

from flowscope.demo.plan import NS, PlannedEvent, PlannedSpan, Run

SCOPE = "flowscope.demo"
"""Instrumentation scope name of every demo span."""

MAX_SPANS_PER_BODY = 8000
"""Spans per OTLP request: about 2 MB, well under the server's 8 MiB body limit."""
MAX_EVENTS_PER_BODY = 2000
"""Events per CloudEvents batch request (about 1 MB)."""


def otlp_body(spans: Iterable[PlannedSpan]) -> bytes:
    """One serialized ``ExportTraceServiceRequest`` holding ``spans``, a resource per service."""
    request = ExportTraceServiceRequest()
    by_service: dict[str, Any] = {}
    for planned in spans:
        scope = by_service.get(planned.service)
        if scope is None:
            resource: ResourceSpans = request.resource_spans.add()
            resource.resource.attributes.append(_kv("service.name", planned.service))
            resource.resource.attributes.append(_kv("deployment.environment", "demo"))
            scope = resource.scope_spans.add()
            scope.scope.name = SCOPE
            by_service[planned.service] = scope
        span: Span = scope.spans.add()
        span.trace_id = planned.trace_id
        span.span_id = planned.span_id
        span.parent_span_id = planned.parent_id
        span.name = planned.name
        span.kind = planned.kind  # type: ignore[assignment]
        span.start_time_unix_nano = planned.start_ns
        span.end_time_unix_nano = planned.end_ns
        span.attributes.extend(_kv(k, v) for k, v in planned.attributes)
        if planned.error:
            span.status.code = Status.STATUS_CODE_ERROR
            span.status.message = planned.error
    return request.SerializeToString()


def rfc3339_ns(t_ns: int) -> str:
    """``t_ns`` (Unix ns) as RFC 3339 UTC with nanoseconds."""
    seconds, nanos = divmod(t_ns, NS)
    moment = datetime.fromtimestamp(seconds, UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{nanos:09d}Z"


def extension(key: str) -> str:
    """The CloudEvents extension name of attribute ``key``: ``order.id`` → ``orderid``."""
    return "".join(ch for ch in key.lower() if ch.isalnum())


def cloudevent(event: PlannedEvent) -> dict[str, Any]:
    """``event`` as a structured-mode CloudEvent (a JSON object)."""
    body: dict[str, Any] = {
        "specversion": "1.0",
        "id": event.event_id,
        "source": f"/demo/{event.service}",
        "type": event.type,
        "time": rfc3339_ns(event.time_ns),
        "subject": event.correlation_id,
        "servicename": event.service,
        extension(event.key): event.correlation_id,
        "datacontenttype": "application/json",
        "data": {event.key.split(".")[0]: {"id": event.correlation_id}},
    }
    if event.trace_id:
        body["traceparent"] = f"00-{event.trace_id.hex()}-{event.span_id.hex()}-01"
    return body


def events_body(events: Sequence[PlannedEvent]) -> bytes:
    """A CloudEvents batch body (``application/cloudevents-batch+json``)."""
    return json.dumps([cloudevent(e) for e in events], separators=(",", ":")).encode()


def batches(runs: Iterable[Run]) -> Iterator[tuple[list[PlannedSpan], list[PlannedEvent]]]:
    """Runs cut into ``(spans, events)`` pairs of at most the per-body limits."""
    spans: list[PlannedSpan] = []
    events: list[PlannedEvent] = []
    for run in runs:
        spans.extend(run.spans)
        events.extend(run.events)
        if len(spans) >= MAX_SPANS_PER_BODY or len(events) >= MAX_EVENTS_PER_BODY:
            yield spans, events
            spans, events = [], []
    if spans or events:
        yield spans, events


def _kv(key: str, value: str) -> KeyValue:
    return KeyValue(key=key, value=AnyValue(string_value=value))
