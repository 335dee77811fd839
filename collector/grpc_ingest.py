"""OTLP/gRPC ingest: the OTLP trace and logs services over grpcio, beside the HTTP routes.

Thin adapter over :class:`collector.ingest.IngestService`, like :mod:`collector.routes`: the
request message arrives as bytes (gRPC has already undone ``gzip``) and goes through the same
decoding, redaction, tagging, deduplication and spool as OTLP/HTTP protobuf; the call returns
only once the accepted rows are fsynced in the spool. Services and their answers:

``opentelemetry.proto.collector.trace.v1.TraceService/Export`` and
``opentelemetry.proto.collector.logs.v1.LogsService/Export`` (other OTLP services, e.g.
metrics, answer ``UNIMPLEMENTED``):

- ``OK`` with the ``Export*ServiceResponse``; ``partial_success`` counts and names rejected
  items (:mod:`collector.otlp_response`);
- ``INVALID_ARGUMENT``: the message cannot be decoded, or holds more items than one request may
  (HTTP 400/413); not worth retrying;
- ``RESOURCE_EXHAUSTED`` with ``RetryInfo``: the spool is full (HTTP 503);
- ``UNAVAILABLE`` with ``RetryInfo``: the spool cannot persist (HTTP 503);
- ``RESOURCE_EXHAUSTED`` without ``RetryInfo``, from gRPC itself: the message is larger than
  ``max_message_bytes`` after decompression (HTTP 413);
- ``UNAUTHENTICATED`` / ``PERMISSION_DENIED``: as the injected ``authorize`` decides from the
  ``authorization`` metadata (HTTP 401/403).

``RetryInfo`` travels as the OTLP specification asks, in the ``google.rpc.Status`` details of
the ``grpc-status-details-bin`` trailer (read by the Go exporters), and as
``google.rpc.retryinfo-bin`` (read by the Python exporter).

The server runs a small thread pool (``workers``, default 4: decoding holds the GIL and the
machine has few cores) and accepts at most ``max_concurrent`` calls at once (default 32; more
are refused by gRPC with ``RESOURCE_EXHAUSTED``). ``SO_REUSEPORT`` is off, so a port already in
use is an error (:class:`GrpcListenError`), not a silent second listener.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.rpc import error_details_pb2, status_pb2

from collector.errors import (
    CollectorError,
    DecodeError,
    PayloadTooLarge,
    SpoolFull,
    SpoolUnavailable,
)
from collector.ingest import IngestResult, IngestService
from collector.otlp_response import Signal, export_response

TRACE_SERVICE = "opentelemetry.proto.collector.trace.v1.TraceService"
LOGS_SERVICE = "opentelemetry.proto.collector.logs.v1.LogsService"
RETRY_AFTER_S = 5
"""Seconds a client is asked to wait before retrying (``RetryInfo.retry_delay``)."""
DEFAULT_WORKERS = 4
DEFAULT_MAX_CONCURRENT = 32

Denial = tuple[Literal["unauthenticated", "forbidden"], str]
"""Why a call is refused: no valid key, or a key without the ingest scope; and a message."""
Authorize = Callable[[str | None], Denial | None]
"""Decides on a call's ``authorization`` metadata: a :data:`Denial`, or ``None`` to admit it."""
Sources = Callable[[str | None], tuple[str, ...]]
"""The CloudEvents sources an admitted call's key may use (empty: any), for log events."""
"""Decides on the ``authorization`` metadata value (``None`` when absent); ``None`` admits."""


class GrpcListenError(CollectorError):
    """The gRPC port cannot be bound (in use, or not an address of this host)."""


def _retry_trailers(code: grpc.StatusCode, message: str) -> tuple[tuple[str, bytes], ...]:
    retry = error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(seconds=RETRY_AFTER_S))
    detail = any_pb2.Any()
    detail.Pack(retry)
    status = status_pb2.Status(code=code.value[0], message=message, details=[detail])
    return (
        ("grpc-status-details-bin", status.SerializeToString()),
        ("google.rpc.retryinfo-bin", retry.SerializeToString()),
    )


def _refuse(context: grpc.ServicerContext, exc: CollectorError) -> None:
    """Abort the call with the status ``exc`` maps to (never returns)."""
    message = str(exc)
    if isinstance(exc, SpoolFull | SpoolUnavailable):
        code = (grpc.StatusCode.RESOURCE_EXHAUSTED if isinstance(exc, SpoolFull)
                else grpc.StatusCode.UNAVAILABLE)
        context.set_trailing_metadata(_retry_trailers(code, message))
        context.abort(code, message)
    if isinstance(exc, DecodeError | PayloadTooLarge):
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, message)
    context.abort(grpc.StatusCode.INTERNAL, message)


def _export(
    call: Callable[[bytes, str, tuple[str, ...]], IngestResult], signal: Signal,
    authorize: Authorize, sources: Sources,
) -> Callable[[bytes, grpc.ServicerContext], bytes]:
    def export(request: bytes, context: grpc.ServicerContext) -> bytes:
        metadata = dict(context.invocation_metadata())
        header = _text(metadata.get("authorization"))
        denied = authorize(header)
        if denied is not None:
            kind, message = denied
            context.abort(grpc.StatusCode.UNAUTHENTICATED if kind == "unauthenticated"
                          else grpc.StatusCode.PERMISSION_DENIED, message)
        try:
            result = call(request, "protobuf", sources(header))
        except CollectorError as exc:
            _refuse(context, exc)
            raise  # not reached: abort raises
        return bytes(export_response(signal, result).SerializeToString())

    return export


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value if isinstance(value, str) else None


def _handler(export: Callable[[bytes, grpc.ServicerContext], bytes]) -> grpc.RpcMethodHandler:
    # No deserializer: the handler gets the message bytes, as the HTTP route gets the body.
    return grpc.unary_unary_rpc_method_handler(export)


def grpc_server(
    service: IngestService,
    *,
    host: str,
    port: int,
    max_message_bytes: int,
    authorize: Authorize,
    sources: Sources = lambda _header: (),
    workers: int = DEFAULT_WORKERS,
    max_concurrent: int = DEFAULT_MAX_CONCURRENT,
) -> tuple[grpc.Server, int]:
    """A gRPC server for ``service`` bound to ``host:port`` (not started) and its bound port.

    ``port`` 0 binds a free port. ``max_message_bytes`` limits a message after
    decompression. ``sources`` limits the log events of a call to its key's CloudEvents sources
    (default: any). Raises :class:`GrpcListenError` when the address cannot be bound.
    """
    handlers = [
        grpc.method_handlers_generic_handler(
            TRACE_SERVICE, {"Export": _handler(_export(
                lambda body, fmt, _sources: service.traces(body, fmt), "traces", authorize,
                sources))}),
        grpc.method_handlers_generic_handler(
            LOGS_SERVICE, {"Export": _handler(_export(
                lambda body, fmt, allowed: service.logs(body, fmt, sources=allowed), "logs",
                authorize, sources))}),
    ]
    server = grpc.server(
        ThreadPoolExecutor(max_workers=workers, thread_name_prefix="flowscope-grpc"),
        handlers=handlers,
        options=[
            ("grpc.max_receive_message_length", max_message_bytes),
            ("grpc.so_reuseport", 0),
        ],
        maximum_concurrent_rpcs=max_concurrent,
    )
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    try:
        bound = server.add_insecure_port(address)
    except RuntimeError as exc:
        bound = 0
        reason = str(exc)
    else:
        reason = "the address is in use or not on this host"
    if not bound:
        server.stop(None)
        raise GrpcListenError(f"cannot listen for OTLP/gRPC on {address}: {reason}")
    return server, bound
