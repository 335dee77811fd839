"""Columnar accumulator for ``otel_traces`` rows, shared by the OTLP protobuf and JSON decoders.

A decoder appends one row per valid span to plain Python lists (one list per column, flat
key/value lists plus offsets for the map and nested columns), then :meth:`SpanColumns.finish`
runs the checks that are cheapest on whole columns — redaction, attribute value size, event
time range — and builds the Arrow table in one go.

Resource- and scope-level values (``ServiceName``, ``ResourceAttributes``, ``ScopeName``,
``ScopeVersion``) are stored once per resource or scope and expanded to rows with an Arrow
``take``, so their cost does not grow with the number of spans.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Mapping
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from collector.model import SPAN_SCHEMA, STRING_MAP, DecodedSpans, ItemError, string_map_array
from collector.raw_values import encode_string, wire_values_to_strings
from collector.redaction import Redactor
from collector.span_enums import SPAN_KINDS as SPAN_KINDS  # the decoders import them here
from collector.span_enums import STATUS_CODES as STATUS_CODES
from collector.tagging import CORRELATION_ATTR, FLOW_ATTR

MAX_ATTRIBUTE_BYTES = 64 * 1024
"""Default limit on one attribute value, in UTF-8 bytes (64 KiB)."""

TIME_LIMIT = 2**63
"""Timestamps (ns since the epoch) must be below this to fit ``DateTime64(9)``."""


class SpanColumns:
    """Lists being filled for one request. Rows are appended in request order.

    Attribute values are ``str`` (JSON decoder) or, with ``wire=True``, serialized ``AnyValue``
    bytes (protobuf decoder, see :mod:`collector.otlp_wire`), decoded in bulk by :meth:`finish`.
    """

    __slots__ = (
        "attr_keys",
        "attr_offsets",
        "attr_values",
        "duration",
        "ev_attr_keys",
        "ev_attr_offsets",
        "ev_attr_values",
        "ev_name",
        "ev_offsets",
        "ev_time",
        "kind",
        "link_attr_keys",
        "link_attr_offsets",
        "link_attr_values",
        "link_offsets",
        "link_span",
        "link_state",
        "link_trace",
        "name",
        "parent",
        "res_keys",
        "res_offsets",
        "res_values",
        "scope_name",
        "scope_resource",
        "scope_rows",
        "scope_version",
        "service",
        "span_id",
        "status_code",
        "status_message",
        "timestamp",
        "trace_id",
        "trace_state",
        "wire",
    )

    def __init__(self, *, wire: bool) -> None:
        self.wire = wire
        """True when attribute values are serialized ``AnyValue`` bytes, False for ``str``."""
        # one entry per row
        self.timestamp: list[int] = []
        self.duration: list[int] = []
        self.trace_id: list[str] = []
        self.span_id: list[str] = []
        self.parent: list[str] = []
        self.trace_state: list[str] = []
        self.name: list[str] = []
        self.kind: list[str] = []
        self.status_code: list[str] = []
        self.status_message: list[str] = []
        self.attr_keys: list[str] = []
        self.attr_values: list[Any] = []
        self.attr_offsets: list[int] = [0]
        # events: offsets per row into ev_*, attribute offsets per event
        self.ev_offsets: list[int] = [0]
        self.ev_time: list[int] = []
        self.ev_name: list[str] = []
        self.ev_attr_keys: list[str] = []
        self.ev_attr_values: list[Any] = []
        self.ev_attr_offsets: list[int] = [0]
        self.link_offsets: list[int] = [0]
        self.link_trace: list[str] = []
        self.link_span: list[str] = []
        self.link_state: list[str] = []
        self.link_attr_keys: list[str] = []
        self.link_attr_values: list[Any] = []
        self.link_attr_offsets: list[int] = [0]
        # one entry per resource
        self.service: list[str] = []
        self.res_keys: list[str] = []
        self.res_values: list[str] = []
        self.res_offsets: list[int] = [0]
        # one entry per scope: its resource, its number of rows
        self.scope_name: list[str] = []
        self.scope_version: list[str] = []
        self.scope_resource: list[int] = []
        self.scope_rows: list[int] = []

    def add_resource(self, service: str, keys: list[str], values: list[str]) -> int:
        """Record a resource's (redacted) attributes; returns its index."""
        self.service.append(service)
        self.res_keys.extend(keys)
        self.res_values.extend(values)
        self.res_offsets.append(len(self.res_keys))
        return len(self.service) - 1

    def add_scope(self, resource: int, name: str, version: str, rows: int) -> None:
        """Record that the last ``rows`` rows came from this scope of ``resource``."""
        if rows:
            self.scope_name.append(name)
            self.scope_version.append(version)
            self.scope_resource.append(resource)
            self.scope_rows.append(rows)

    def add_tags(self, tag: tuple[str, str] | None, found: Mapping[str, object] | None) -> None:
        """Add the flowscope tags to the row being appended (before its offset is recorded).

        ``found`` holds the span's own lookup-key attributes: a tag key already sent by the
        producer is overwritten in place rather than duplicated.
        """
        if tag is None:
            return
        encode = encode_string if self.wire else str
        pairs = ((FLOW_ATTR, encode(tag[0])), (CORRELATION_ATTR, encode(tag[1])))
        keys = self.attr_keys
        values = self.attr_values
        if found is not None and (FLOW_ATTR in found or CORRELATION_ATTR in found):
            start = self.attr_offsets[-1]
            for key, value in pairs:
                if key in found:
                    values[keys.index(key, start)] = value
                else:
                    keys.append(key)
                    values.append(value)
            return
        for key, value in pairs:
            keys.append(key)
            values.append(value)

    def finish(
        self,
        *,
        errors: list[ItemError],
        total: int,
        redactor: Redactor,
        max_attribute_bytes: int,
        span_path: Callable[[int], str],
    ) -> DecodedSpans:
        """Decode wire values, redact, run the column-wide checks and build the table.

        ``errors`` are the spans already rejected while decoding (their ordinals are not rows);
        ``total`` is the number of spans in the request; ``span_path(ordinal)`` names a span,
        e.g. ``resourceSpans[0].scopeSpans[0].spans[7]``.
        """
        bad: dict[int, tuple[str, str]] = {}
        limit = max_attribute_bytes
        span_attrs, problems = self._attributes(
            self.attr_keys, self.attr_values, self.attr_offsets, redactor, limit
        )
        for row, key, message in problems:
            bad.setdefault(row, (f"attributes[{key!r}]", message))
        event_attrs, problems = self._attributes(
            self.ev_attr_keys, self.ev_attr_values, self.ev_attr_offsets, redactor, limit
        )
        for event, key, message in problems:
            row = bisect_right(self.ev_offsets, event) - 1
            field = f"events[{event - self.ev_offsets[row]}].attributes[{key!r}]"
            bad.setdefault(row, (field, message))
        link_attrs, problems = self._attributes(
            self.link_attr_keys, self.link_attr_values, self.link_attr_offsets, redactor, limit
        )
        for link, key, message in problems:
            row = bisect_right(self.link_offsets, link) - 1
            field = f"links[{link - self.link_offsets[row]}].attributes[{key!r}]"
            bad.setdefault(row, (field, message))
        if self.ev_time and max(self.ev_time) >= TIME_LIMIT:
            for event, t in enumerate(self.ev_time):
                if t >= TIME_LIMIT:
                    row = bisect_right(self.ev_offsets, event) - 1
                    field = f"events[{event - self.ev_offsets[row]}].timeUnixNano"
                    bad.setdefault(row, (field, "is after the year 2262"))
                    self.ev_time[event] = 0
        table = self._table(span_attrs, event_attrs, link_attrs)
        if bad:
            rejected = {e.index for e in errors}
            ordinals = [i for i in range(total) if i not in rejected]
            for row, (field, message) in sorted(bad.items()):
                ordinal = ordinals[row]
                errors.append(ItemError(ordinal, f"{span_path(ordinal)}.{field}", message))
            table = table.filter(pa.array([i not in bad for i in range(table.num_rows)]))
            errors.sort(key=lambda e: e.index)
        return DecodedSpans(
            table=table, accepted=table.num_rows, rejected=len(errors), errors=tuple(errors)
        )

    def _attributes(
        self,
        keys: list[str],
        values: list[Any],
        offsets: list[int],
        redactor: Redactor,
        limit: int,
    ) -> tuple[pa.MapArray, list[tuple[int, str, str]]]:
        """One map column, and its (row, key, message) problems: invalid or oversized values."""
        problems: list[tuple[int, str, str]] = []
        key_array = pa.array(keys, pa.string())
        if self.wire:
            value_array, invalid = wire_values_to_strings(values)
            for i in invalid:
                row = bisect_right(offsets, i) - 1
                problems.append((row, keys[i], "not a valid AnyValue (malformed or not UTF-8)"))
        else:
            value_array = pa.array(values, pa.string())
        offset_array = pa.array(offsets, pa.int32())
        key_array, value_array, offset_array = redactor.apply_arrow(
            key_array, value_array, offset_array
        )
        if len(value_array):
            too_big = pc.greater(pc.binary_length(value_array), limit)
            if pc.any(too_big).as_py():
                final_offsets = offset_array.to_pylist()
                for i in pc.indices_nonzero(too_big).to_pylist():
                    row = bisect_right(final_offsets, i) - 1
                    problems.append((row, key_array[i].as_py(), _too_big(limit)))
        column = pa.MapArray.from_arrays(offset_array, key_array, value_array, type=STRING_MAP)
        return column, problems

    def _table(self, span_attrs: pa.Array, event_attrs: pa.Array, link_attrs: pa.Array) -> pa.Table:
        per_row: list[int] = []
        for i, n in enumerate(self.scope_rows):
            per_row += [i] * n
        scope_index = pa.array(per_row, pa.int32())
        resource_index = pa.array(self.scope_resource, pa.int32()).take(scope_index)
        resources = string_map_array(self.res_keys, self.res_values, self.res_offsets)
        ev_offsets = pa.array(self.ev_offsets, pa.int32())
        link_offsets = pa.array(self.link_offsets, pa.int32())
        ns = pa.timestamp("ns")
        columns = [
            pa.array(self.timestamp, pa.int64()).cast(ns),
            pa.array(self.trace_id, pa.string()),
            pa.array(self.span_id, pa.string()),
            pa.array(self.parent, pa.string()),
            pa.array(self.trace_state, pa.string()),
            pa.array(self.name, pa.string()),
            pa.array(self.kind, pa.string()),
            pa.array(self.service, pa.string()).take(resource_index),
            resources.take(resource_index),
            pa.array(self.scope_name, pa.string()).take(scope_index),
            pa.array(self.scope_version, pa.string()).take(scope_index),
            span_attrs,
            pa.array(self.duration, pa.uint64()),
            pa.array(self.status_code, pa.string()),
            pa.array(self.status_message, pa.string()),
            pa.ListArray.from_arrays(ev_offsets, pa.array(self.ev_time, pa.int64()).cast(ns)),
            pa.ListArray.from_arrays(ev_offsets, pa.array(self.ev_name, pa.string())),
            pa.ListArray.from_arrays(ev_offsets, event_attrs),
            pa.ListArray.from_arrays(link_offsets, pa.array(self.link_trace, pa.string())),
            pa.ListArray.from_arrays(link_offsets, pa.array(self.link_span, pa.string())),
            pa.ListArray.from_arrays(link_offsets, pa.array(self.link_state, pa.string())),
            pa.ListArray.from_arrays(link_offsets, link_attrs),
        ]
        return pa.Table.from_arrays(columns, schema=SPAN_SCHEMA)


def _too_big(limit: int) -> str:
    return f"value is longer than {limit} bytes"


def oversized_value(values: list[str], limit: int) -> int:
    """Index of the first value longer than ``limit`` UTF-8 bytes, or -1."""
    if not values:
        return -1
    quick = limit // 4  # a str of n code points encodes to at most 4n bytes
    if max(map(len, values)) <= quick:
        return -1
    for i, v in enumerate(values):
        if len(v) > quick and len(v.encode("utf-8", "surrogatepass")) > limit:
            return i
    return -1
