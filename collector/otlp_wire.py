"""OTLP trace messages re-declared for fast decoding: attributes as ``map<string, bytes>``.

On the wire a ``repeated KeyValue`` (``key = 1``, ``value = 2``) is exactly a protobuf map
(entries with ``key = 1``, ``value = 2``). Declaring span, event and link attributes as
``map<string, bytes>`` makes the upb parser hand out each value as the *serialized*
``AnyValue`` (e.g. ``b"\\n\\x04POST"`` for the string ``"POST"``), with no Python object per
``KeyValue`` and ``AnyValue``; :mod:`collector.raw_values` then turns all values of a request
into strings in bulk. Walking attributes this way costs about half of the regular message API.

Consequences, all on inputs the OTLP specification already forbids: duplicate keys in one
attribute list collapse to the last one, and the order of attributes is not preserved
(``Map`` columns are unordered anyway).

The message classes are built once at import from the installed ``opentelemetry-proto``
descriptors, in a private descriptor pool (no clash with the regular classes).
"""

from __future__ import annotations

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import Message
from opentelemetry.proto.common.v1 import common_pb2
from opentelemetry.proto.resource.v1 import resource_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

_PACKAGE = "opentelemetry.proto.trace.v1"
_WITH_ATTRIBUTES = ("Span", "Span.Event", "Span.Link")


def _file_proto(module: object) -> descriptor_pb2.FileDescriptorProto:
    proto = descriptor_pb2.FileDescriptorProto()
    module.DESCRIPTOR.CopyToProto(proto)  # type: ignore[attr-defined]
    return proto


def _find(proto: descriptor_pb2.FileDescriptorProto, dotted: str) -> descriptor_pb2.DescriptorProto:
    head, *rest = dotted.split(".")
    message = next(m for m in proto.message_type if m.name == head)
    for name in rest:
        message = next(m for m in message.nested_type if m.name == name)
    return message


def _attributes_as_map(message: descriptor_pb2.DescriptorProto, full_name: str) -> None:
    entry = message.nested_type.add(name="AttributesEntry")
    entry.options.map_entry = True
    for number, name, kind in (
        (1, "key", descriptor_pb2.FieldDescriptorProto.TYPE_STRING),
        (2, "value", descriptor_pb2.FieldDescriptorProto.TYPE_BYTES),
    ):
        entry.field.add(
            name=name,
            number=number,
            type=kind,
            label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL,
        )
    field = next(f for f in message.field if f.name == "attributes")
    field.type_name = f".{full_name}.AttributesEntry"


def _traces_data_class() -> type[Message]:
    pool = descriptor_pool.DescriptorPool()
    pool.Add(_file_proto(common_pb2))
    pool.Add(_file_proto(resource_pb2))
    trace = _file_proto(trace_pb2)
    trace.name = "flowscope/fast_trace.proto"
    for dotted in _WITH_ATTRIBUTES:
        _attributes_as_map(_find(trace, dotted), f"{_PACKAGE}.{dotted}")
    pool.Add(trace)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{_PACKAGE}.TracesData"))


WireTraces = _traces_data_class()
"""``TracesData`` with map attributes; parses an ``ExportTraceServiceRequest`` body (same wire:
``repeated ResourceSpans resource_spans = 1``)."""
