"""OTLP export responses, for every transport (OTLP/HTTP and OTLP/gRPC). Pure.

A request whose items were all accepted (or recognised as duplicates) gets an empty response;
one with rejected items gets ``partial_success`` with their count and the first 20 problems
(``field: message``, joined by ``; ``), as the OTLP specification asks. A request refused as a
whole gets a ``google.rpc.Status`` (:func:`status_reply`), in the encoding of the request.
"""

from __future__ import annotations

from typing import Literal

from google.protobuf import json_format
from google.protobuf.message import Message
from google.rpc import status_pb2
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from collector.ingest import IngestResult

Signal = Literal["traces", "logs"]
Encoding = Literal["json", "protobuf"]

MAX_LISTED_ERRORS = 20
"""Problems named in ``partial_success.error_message``; the count covers every one."""

_RESPONSES: dict[Signal, tuple[type[Message], str]] = {
    "traces": (trace_service_pb2.ExportTraceServiceResponse, "rejected_spans"),
    "logs": (logs_service_pb2.ExportLogsServiceResponse, "rejected_log_records"),
}


def export_response(signal: Signal, result: IngestResult) -> Message:
    """The ``Export*ServiceResponse`` of ``signal`` for ``result``."""
    response_type, rejected_field = _RESPONSES[signal]
    message = response_type()
    if result.rejected:
        partial = message.partial_success  # type: ignore[attr-defined]
        setattr(partial, rejected_field, result.rejected)
        partial.error_message = "; ".join(
            f"{e.field}: {e.message}" for e in result.errors[:MAX_LISTED_ERRORS]
        )
    return message


def encode(message: Message, encoding: Encoding) -> tuple[bytes, str]:
    """``message`` in ``encoding``, and its media type (``application/json`` or
    ``application/x-protobuf``)."""
    if encoding == "json":
        return json_format.MessageToJson(message, indent=None).encode(), "application/json"
    return message.SerializeToString(), "application/x-protobuf"


def status_reply(code: int, message: str, encoding: Encoding) -> tuple[bytes, str]:
    """The body of an OTLP/HTTP error answer: a ``google.rpc.Status`` with ``code`` (the HTTP
    status) and ``message``, in ``encoding``, and its media type."""
    return encode(status_pb2.Status(code=code, message=message), encoding)
