"""OTLP/gRPC on a real ``flowscope serve``, driven by the OpenTelemetry SDK's own gRPC exporters:
the same durability, tagging, deduplication and keys as OTLP/HTTP."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import grpc
import httpx
import pytest
from opentelemetry._logs import SeverityNumber
from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode

from collector.grpc_ingest import TRACE_SERVICE
from flowscope.access import KeyStore
from tests.flowscope.conftest import Server
from tests.flowscope.orders import lookup, otlp_request
from tests.ports import free_port

TRACES = f"/{TRACE_SERVICE}/Export"


@pytest.fixture(scope="module")
def grpc_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("grpc"), grpc=True).start()
    try:
        yield srv
    finally:
        srv.stop()


def _exporter(server: Server, **kwargs: object) -> OTLPSpanExporter:
    return OTLPSpanExporter(endpoint=f"127.0.0.1:{server.grpc_port}", insecure=True,
                            **kwargs)  # type: ignore[arg-type]


def _spans(order_id: str, services: tuple[str, ...] = ("storefront",)) -> list[ReadableSpan]:
    """Finished SDK spans of ``order_id``, one per service (the last one failed)."""
    spans: list[ReadableSpan] = []
    t0 = time.time_ns() - 2_000_000_000
    for i, service in enumerate(services):
        memory = InMemorySpanExporter()
        provider = TracerProvider(resource=Resource.create({"service.name": service}))
        provider.add_span_processor(SimpleSpanProcessor(memory))
        span = provider.get_tracer("tests").start_span(
            f"{service} call", kind=SpanKind.SERVER, attributes={"order.id": order_id},
            start_time=t0 + i * 100_000_000)
        if i == len(services) - 1 and i > 0:
            span.set_status(Status(StatusCode.ERROR, "card declined"))
        span.end(end_time=t0 + i * 100_000_000 + 50_000_000)
        spans += memory.get_finished_spans()
        provider.shutdown()
    return spans


def test_the_sdk_grpc_exporters_send_an_order_that_the_lookup_returns(
        grpc_server: Server) -> None:
    order = f"A-{uuid.uuid4().hex[:8]}"
    exporter = _exporter(grpc_server, compression=grpc.Compression.Gzip)
    assert exporter.export(_spans(order, ("storefront", "payments"))) is SpanExportResult.SUCCESS
    exporter.shutdown()
    logs = LoggerProvider(resource=Resource.create({"service.name": "erp-sync"}))
    logs.add_log_record_processor(SimpleLogRecordProcessor(OTLPLogExporter(
        endpoint=f"127.0.0.1:{grpc_server.grpc_port}", insecure=True)))
    logs.get_logger("tests").emit(
        timestamp=time.time_ns(), severity_number=SeverityNumber.INFO, body="invoice posted",
        attributes={"event.name": "InvoicePosted", "order.id": order, "event.id": f"i-{order}"})
    logs.shutdown()
    with httpx.Client(base_url=grpc_server.url, timeout=30) as client:
        body = lookup(client, order, expect=3)
    assert body["flow"] == "order-to-cash"
    assert [(i["kind"], i["service"], i["status"]) for i in body["items"]] == [
        ("span", "storefront", "unset"), ("span", "payments", "error"),
        ("event", "erp-sync", "ok")]


def test_a_request_resent_over_the_other_transport_is_stored_once(grpc_server: Server) -> None:
    order = f"A-{uuid.uuid4().hex[:8]}"
    body = otlp_request(order, spans=2)
    with grpc.insecure_channel(f"127.0.0.1:{grpc_server.grpc_port}") as channel:
        channel.unary_unary(TRACES)(body, timeout=10)
    with httpx.Client(base_url=grpc_server.url, timeout=30) as client:
        resent = client.post("/v1/traces", content=body,
                             headers={"content-type": "application/x-protobuf"})
        assert resent.status_code == 200
        grpc_server.wait_drained()
        assert len(lookup(client, order, expect=2)["items"]) == 2


def test_keys_are_required_once_they_exist(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = KeyStore(data / "keys.yaml")
    ingest, read = store.create("ingest"), store.create("read")
    server = Server(data, grpc=True).start()
    try:
        order = f"A-{uuid.uuid4().hex[:8]}"
        results = [
            _exporter(server, timeout=5).export(_spans(order)),
            _exporter(server, timeout=5, headers={"authorization": f"Bearer {read}"}).export(
                _spans(order)),
            _exporter(server, headers={"authorization": f"Bearer {ingest}"}).export(
                _spans(order)),
        ]
        assert results == [SpanExportResult.FAILURE] * 2 + [SpanExportResult.SUCCESS]
        with (grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel,
              pytest.raises(grpc.RpcError) as caught):
            channel.unary_unary(TRACES)(otlp_request(order), timeout=10,
                                        metadata=(("authorization", f"Bearer {read}"),))
        assert caught.value.code() is grpc.StatusCode.PERMISSION_DENIED  # type: ignore[attr-defined]
        assert read not in caught.value.details()  # type: ignore[attr-defined]
        headers = {"authorization": f"Bearer {read}"}
        with httpx.Client(base_url=server.url, timeout=30, headers=headers) as client:
            assert len(lookup(client, order, expect=1)["items"]) == 1
    finally:
        server.stop()
    assert ingest not in server.log.read_text() and read not in server.log.read_text()


def test_the_sdk_exporter_waits_out_a_full_spool_and_its_spans_land_once(
        tmp_path: Path) -> None:
    env = {"FLOWSCOPE_FAULT_INSERT_FAILURES": "4", "FLOWSCOPE_SPOOL_MAX_BYTES": str(64 * 1024)}
    server = Server(tmp_path / "data", grpc=True, env=env).start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
            for spans in (50, 1):  # fill the spool until not even one span fits
                with pytest.raises(grpc.RpcError) as caught:
                    for _ in range(2000):
                        filler = otlp_request(f"F-{uuid.uuid4().hex[:8]}", spans=spans)
                        channel.unary_unary(TRACES)(filler, timeout=10)
                assert caught.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED  # type: ignore[attr-defined]
        order = f"A-{uuid.uuid4().hex[:8]}"
        started = time.monotonic()
        assert _exporter(server, timeout=20).export(_spans(order)) is SpanExportResult.SUCCESS
        assert time.monotonic() - started >= 4  # it waited for the RetryInfo delay
        server.wait_drained()
        with httpx.Client(base_url=server.url, timeout=30) as client:
            assert len(lookup(client, order, expect=1)["items"]) == 1
    finally:
        server.stop()


def test_a_grpc_port_in_use_stops_serve_with_the_reason(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = subprocess.run(
            [sys.executable, "-m", "flowscope", "serve", "--port", str(free_port()),
             "--grpc-port", str(port), "--data-dir", str(tmp_path)],
            capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 1
    assert f"cannot listen for OTLP/gRPC on 127.0.0.1:{port}" in run.stderr
    assert "--grpc-port" in run.stderr and "Traceback" not in run.stderr


def _log_request(service: str, order: str) -> bytes:
    from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
    from opentelemetry.proto.common.v1 import common_pb2
    from opentelemetry.proto.logs.v1 import logs_pb2
    from opentelemetry.proto.resource.v1 import resource_pb2

    def attr(key: str, value: str) -> common_pb2.KeyValue:
        return common_pb2.KeyValue(key=key, value=common_pb2.AnyValue(string_value=value))

    record = logs_pb2.LogRecord(time_unix_nano=time.time_ns(),
                                attributes=[attr("event.name", "OrderPlaced"),
                                            attr("order.id", order)])
    request = logs_service_pb2.ExportLogsServiceRequest(resource_logs=[logs_pb2.ResourceLogs(
        resource=resource_pb2.Resource(attributes=[attr("service.name", service)]),
        scope_logs=[logs_pb2.ScopeLogs(log_records=[record])])])
    return request.SerializeToString()


def test_a_key_limited_to_its_sources_sends_log_events_of_those_sources_only(
        tmp_path: Path) -> None:
    from opentelemetry.proto.collector.logs.v1 import logs_service_pb2

    data = tmp_path / "data"
    erp = KeyStore(data / "keys.yaml").create("ingest", sources=("/erp",))
    server = Server(data, grpc=True).start()
    try:
        order = f"A-{uuid.uuid4().hex[:8]}"
        metadata = (("authorization", f"Bearer {erp}"),)
        with grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
            export = channel.unary_unary("/opentelemetry.proto.collector.logs.v1.LogsService/"
                                         "Export")
            planted = logs_service_pb2.ExportLogsServiceResponse.FromString(
                export(_log_request("/shop", order), timeout=10, metadata=metadata))
            own = logs_service_pb2.ExportLogsServiceResponse.FromString(
                export(_log_request("/erp", order), timeout=10, metadata=metadata))
        assert planted.partial_success.rejected_log_records == 1
        assert "/shop" in planted.partial_success.error_message
        assert own.partial_success.rejected_log_records == 0
    finally:
        server.stop()
