"""OTLP/gRPC ingest on a real grpcio server and channel: the same answers as OTLP/HTTP, in
gRPC's terms (status codes, RetryInfo trailers, partial success), over a real spool."""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord
from prometheus_client import CollectorRegistry

from collector.grpc_ingest import (
    LOGS_SERVICE,
    RETRY_AFTER_S,
    TRACE_SERVICE,
    Denial,
    GrpcListenError,
    grpc_server,
)
from collector.ingest import IngestService
from collector.metrics import CollectorMetrics
from collector.spool import Spool
from tests.collector.otlp_builders import CATALOG, kvs, logs_request, span, trace_request
from tests.files import immutable
from tests.ports import free_port

STOREFRONT = {"service.name": "storefront"}
LIMIT = 64 * 1024


@dataclass
class Running:
    """A started server on a loopback port, its spool and a channel to it."""

    spool: Spool
    channel: grpc.Channel
    port: int

    def call(self, method: str, body: bytes, **kwargs: object) -> bytes:
        stub = self.channel.unary_unary(method)
        return stub(body, timeout=10, **kwargs)  # type: ignore[no-any-return]


def _start(tmp_path: Path, *, max_bytes: int = 512 * 1024 * 1024,
           authorize: object = None) -> Iterator[Running]:
    spool = Spool(tmp_path / "spool.sqlite", clock=time.time, max_bytes=max_bytes)
    service = IngestService(spool, CollectorMetrics(CollectorRegistry()), catalog=CATALOG,
                            clock_ns=time.time_ns)
    server, port = grpc_server(
        service, host="127.0.0.1", port=free_port(), max_message_bytes=LIMIT,
        authorize=authorize or (lambda _header: None))  # type: ignore[arg-type]
    server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield Running(spool, channel, port)
    finally:
        channel.close()
        server.stop(None).wait()
        spool.close()


@pytest.fixture()
def running(tmp_path: Path) -> Iterator[Running]:
    yield from _start(tmp_path)


TRACES = f"/{TRACE_SERVICE}/Export"
LOGS = f"/{LOGS_SERVICE}/Export"


def _request(*spans: object) -> bytes:
    return trace_request((STOREFRONT, list(spans))).SerializeToString()  # type: ignore[arg-type]


def _code(exc: pytest.ExceptionInfo[grpc.RpcError]) -> grpc.StatusCode:
    return exc.value.code()  # type: ignore[attr-defined,no-any-return]


def test_spans_are_spooled_and_answered_with_an_empty_response(running: Running) -> None:
    body = _request(span(1, attrs={"order.id": "A-1"}), span(2))
    reply = trace_service_pb2.ExportTraceServiceResponse.FromString(running.call(TRACES, body))
    assert not reply.HasField("partial_success")
    assert running.spool.pending_rows() == 2


def test_a_gzip_compressed_call_is_accepted(running: Running) -> None:
    running.call(TRACES, _request(span(1)), compression=grpc.Compression.Gzip)
    assert running.spool.pending_rows() == 1


def test_a_resent_request_is_stored_once(running: Running) -> None:
    body = _request(span(1), span(2))
    running.call(TRACES, body)
    running.call(TRACES, body)
    assert running.spool.pending_rows() == 2


def test_invalid_spans_are_named_in_a_partial_success(running: Running) -> None:
    body = _request(span(1), span(2, trace_id=b"short"))
    reply = trace_service_pb2.ExportTraceServiceResponse.FromString(running.call(TRACES, body))
    assert reply.partial_success.rejected_spans == 1
    assert "resourceSpans[0].scopeSpans[0].spans[1].traceId" in (
        reply.partial_success.error_message)
    assert running.spool.pending_rows() == 1


def test_log_events_go_through_the_logs_service(running: Running) -> None:
    record = LogRecord(time_unix_nano=time.time_ns(),
                       attributes=kvs({"event.name": "OrderPlaced", "order.id": "A-1"}))
    body = logs_request((STOREFRONT, [record]), (STOREFRONT, [LogRecord()])).SerializeToString()
    reply = logs_service_pb2.ExportLogsServiceResponse.FromString(running.call(LOGS, body))
    assert reply.partial_success.rejected_log_records == 0
    assert running.spool.pending_rows() == 1


def test_an_undecodable_message_is_an_invalid_argument(running: Running) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        running.call(TRACES, b"\xff\xff\xff\xff")
    assert _code(caught) is grpc.StatusCode.INVALID_ARGUMENT
    assert "not a valid OTLP protobuf trace request" in caught.value.details()  # type: ignore[attr-defined]


def test_another_otlp_service_is_unimplemented(running: Running) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        running.call("/opentelemetry.proto.collector.metrics.v1.MetricsService/Export", b"")
    assert _code(caught) is grpc.StatusCode.UNIMPLEMENTED


@pytest.mark.parametrize("compression", [grpc.Compression.NoCompression, grpc.Compression.Gzip],
                         ids=["a plain message", "a gzip message, counted decompressed"])
def test_a_message_over_the_limit_is_refused_without_retry_info(
        running: Running, compression: grpc.Compression) -> None:
    big = span(1, attrs={"blob": "x" * (LIMIT + 1)})
    body = _request(big)
    assert len(gzip.compress(body)) < LIMIT  # the gzip case fits on the wire
    with pytest.raises(grpc.RpcError) as caught:
        running.call(TRACES, body, compression=compression)
    assert _code(caught) is grpc.StatusCode.RESOURCE_EXHAUSTED
    keys = {k for k, _ in caught.value.trailing_metadata() or ()}  # type: ignore[attr-defined]
    assert "google.rpc.retryinfo-bin" not in keys
    assert running.spool.pending_rows() == 0


def _retry_delay(error: grpc.RpcError, code: grpc.StatusCode) -> tuple[int, int]:
    trailers = dict(error.trailing_metadata())  # type: ignore[attr-defined]
    plain = error_details_pb2.RetryInfo.FromString(trailers["google.rpc.retryinfo-bin"])
    status = status_pb2.Status.FromString(trailers["grpc-status-details-bin"])
    assert status.code == code.value[0]
    [detail] = status.details
    in_status = error_details_pb2.RetryInfo()
    assert detail.Unpack(in_status)
    return plain.retry_delay.seconds, in_status.retry_delay.seconds


def test_a_full_spool_is_resource_exhausted_with_retry_info(tmp_path: Path) -> None:
    for running in _start(tmp_path, max_bytes=4096):
        with pytest.raises(grpc.RpcError) as caught:
            for n in range(1, 200):  # nothing drains the spool here
                running.call(TRACES, _request(*(span(n * 10 + i) for i in range(10))))
        assert _code(caught) is grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "spool" in caught.value.details()  # type: ignore[attr-defined]
        assert _retry_delay(caught.value, grpc.StatusCode.RESOURCE_EXHAUSTED) == (
            RETRY_AFTER_S, RETRY_AFTER_S)


def test_a_spool_that_cannot_persist_is_unavailable_with_retry_info(
        running: Running, tmp_path: Path) -> None:
    running.call(TRACES, _request(span(1)))
    files = (tmp_path, tmp_path / "spool.sqlite", tmp_path / "spool.sqlite-wal")
    with immutable(*files), pytest.raises(grpc.RpcError) as caught:
        running.call(TRACES, _request(span(2)))
    assert _code(caught) is grpc.StatusCode.UNAVAILABLE
    assert _retry_delay(caught.value, grpc.StatusCode.UNAVAILABLE) == (
        RETRY_AFTER_S, RETRY_AFTER_S)


def _authorize(header: str | None) -> Denial | None:
    if header == "Bearer ingest-key":
        return None
    if header == "Bearer read-key":
        return ("forbidden", "this key has scope 'read'")
    return ("unauthenticated", "a valid API key is required")


@pytest.mark.parametrize(
    ("metadata", "code"),
    [
        pytest.param((), grpc.StatusCode.UNAUTHENTICATED, id="no key is unauthenticated"),
        pytest.param((("authorization", "Bearer read-key"),), grpc.StatusCode.PERMISSION_DENIED,
                     id="a key of another scope is permission denied"),
        pytest.param((("authorization", "Bearer ingest-key"),), grpc.StatusCode.OK,
                     id="an ingest key is let in"),
    ],
)
def test_the_authorization_metadata_decides(
        tmp_path: Path, metadata: tuple[tuple[str, str], ...], code: grpc.StatusCode) -> None:
    for running in _start(tmp_path, authorize=_authorize):
        try:
            running.call(TRACES, _request(span(1)), metadata=metadata)
            got = grpc.StatusCode.OK
        except grpc.RpcError as exc:
            got = exc.code()  # type: ignore[attr-defined]
        assert got is code
        assert running.spool.pending_rows() == (1 if code is grpc.StatusCode.OK else 0)


def test_a_port_in_use_is_a_clear_error(running: Running, tmp_path: Path) -> None:
    with pytest.raises(GrpcListenError, match=f"cannot listen for OTLP/gRPC on 127.0.0.1:"
                                              f"{running.port}"):
        grpc_server(IngestService(running.spool, CollectorMetrics(CollectorRegistry()),
                                  catalog=CATALOG, clock_ns=time.time_ns),
                    host="127.0.0.1", port=running.port, max_message_bytes=LIMIT,
                    authorize=lambda _header: None)
