"""Builders for OTLP requests and a small catalog, shared by the collector decoding tests."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Sequence
from typing import Any

import pyarrow as pa
from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import (
    AnyValue,
    ArrayValue,
    KeyValue,
    KeyValueList,
)
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from catalog.model import (
    Catalog,
    FailureMatcher,
    Flow,
    Matcher,
    RedactionRule,
    Step,
)

T0 = 1_700_000_000_000_000_000
"""A start time in ns (2023-11-14T22:13:20Z)."""

CATALOG = Catalog(
    flows=(
        Flow(
            name="order-to-cash",
            correlation_key="order.id",
            start=Matcher(events=("OrderPlaced",)),
            success=Matcher(events=("InvoicePosted",)),
            failure=FailureMatcher(events=("PaymentFailed", "InvoiceRejected")),
            steps=(
                Step("checkout", service="storefront"),
                Step("payment", service="payments", partner="stripe"),
                Step("erp-sync", service="erp-sync"),
            ),
        ),
        Flow(
            name="refund-to-ledger",
            correlation_key="order.id",
            start=Matcher(events=("RefundRequested",)),
            success=Matcher(events=("RefundBooked",)),
            steps=(Step("refund", service="refunds"), Step("ledger", service="ledger")),
        ),
        Flow(
            name="lead-to-demo",
            correlation_key="lead.id",
            start=Matcher(events=("LeadCreated",)),
            success=Matcher(events=("DemoBooked",)),
            steps=(Step("crm", service="crm"),),
        ),
    ),
    redaction=(
        RedactionRule("user.email", "hash"),
        RedactionRule("card.*", "drop"),
    ),
)


def any_value(value: Any) -> AnyValue:
    """A Python value as a protobuf ``AnyValue``."""
    if isinstance(value, AnyValue):
        return value
    if value is None:
        return AnyValue()
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    if isinstance(value, bytes):
        return AnyValue(bytes_value=value)
    if isinstance(value, list):
        return AnyValue(array_value=ArrayValue(values=[any_value(v) for v in value]))
    if isinstance(value, dict):
        return AnyValue(kvlist_value=KeyValueList(values=kvs(value)))
    return AnyValue(string_value=value)


def kvs(attrs: dict[str, Any]) -> list[KeyValue]:
    """A dict as a list of protobuf ``KeyValue``."""
    return [KeyValue(key=k, value=any_value(v)) for k, v in attrs.items()]


def span(
    n: int = 1,
    *,
    trace_id: bytes | None = None,
    span_id: bytes | None = None,
    parent: bytes = b"",
    name: str = "POST /charge",
    kind: Any = Span.SPAN_KIND_SERVER,
    start: int = T0,
    duration: int = 1_000_000,
    attrs: dict[str, Any] | None = None,
    events: Sequence[tuple[int, str, dict[str, Any]]] = (),
    links: Sequence[tuple[bytes, bytes, dict[str, Any]]] = (),
    status: tuple[int, str] = (0, ""),
) -> Span:
    """A span; ``n`` makes its default ids distinct."""
    s = Span(
        trace_id=trace_id if trace_id is not None else bytes([(n - 1) % 255 + 1]) * 16,
        span_id=span_id if span_id is not None else bytes([(n - 1) % 255 + 1]) * 8,
        parent_span_id=parent,
        name=name,
        kind=kind,
        start_time_unix_nano=start,
        end_time_unix_nano=start + duration,
        attributes=kvs(attrs or {}),
    )
    for t, ename, eattrs in events:
        s.events.add(time_unix_nano=t, name=ename, attributes=kvs(eattrs))
    for tid, sid, lattrs in links:
        s.links.add(trace_id=tid, span_id=sid, attributes=kvs(lattrs))
    s.status.code, s.status.message = status  # type: ignore[assignment]
    return s


def trace_request(
    *resources: tuple[dict[str, Any], Sequence[Span]], scope: str = "test-scope"
) -> ExportTraceServiceRequest:
    """A request with one scope per resource."""
    request = ExportTraceServiceRequest()
    for resource_attrs, spans in resources:
        rs = request.resource_spans.add()
        rs.resource.attributes.extend(kvs(resource_attrs))
        ss = rs.scope_spans.add()
        ss.scope.name = scope
        ss.scope.version = "1.0"
        ss.spans.extend(spans)
    return request


def to_otlp_json(message: Any) -> bytes:
    """A protobuf OTLP request as OTLP/JSON: lowerCamelCase, ids in hex, enums as integers."""
    data = json_format.MessageToDict(message, use_integers_for_enums=True)
    _hex_ids(data)
    return json.dumps(data).encode()


def _hex_ids(node: Any) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("traceId", "spanId", "parentSpanId") and isinstance(value, str):
                node[key] = base64.b64decode(value).hex()
            else:
                _hex_ids(value)
    elif isinstance(node, list):
        for item in node:
            _hex_ids(item)


def logs_request(
    *resources: tuple[dict[str, Any], Iterable[LogRecord]],
) -> ExportLogsServiceRequest:
    """A logs request with one scope per resource."""
    request = ExportLogsServiceRequest()
    for resource_attrs, records in resources:
        rl = request.resource_logs.add()
        rl.resource.attributes.extend(kvs(resource_attrs))
        sl = rl.scope_logs.add()
        sl.scope.name = "test-scope"
        sl.log_records.extend(records)
    return request


_MAPS = {"ResourceAttributes", "SpanAttributes", "Attributes"}
_MAP_LISTS = {"Events.Attributes", "Links.Attributes"}


def rows(table: pa.Table) -> list[dict[str, Any]]:
    """Table rows as dicts: maps (and lists of maps) as dicts, timestamps as int ns (or ms)."""
    for name in ("Timestamp", "Time", "IngestedAt"):
        if name in table.column_names:
            index = table.column_names.index(name)
            table = table.set_column(index, name, table.column(name).cast(pa.int64()))
    if "Events.Timestamp" in table.column_names:
        index = table.column_names.index("Events.Timestamp")
        column = table.column("Events.Timestamp").cast(pa.list_(pa.int64()))
        table = table.set_column(index, "Events.Timestamp", column)
    out = []
    for row in table.to_pylist():
        for name in _MAPS & row.keys():
            row[name] = dict(row[name])
        for name in _MAP_LISTS & row.keys():
            row[name] = [dict(m) for m in row[name]]
        out.append(row)
    return out
