"""A separate process that sends one order across three services with the real OTel SDK.

Usage: ``python otel_sender.py URL ORDER_ID``. Prints a JSON list of the spans it exported
(service, name, duration_ms, start_ns) so the test can compare with what flowscope stored.

Span times are explicit, so durations are known exactly. The erp-sync span gets ``order.id`` only
through W3C baggage, copied onto the span by a processor, as the OTel baggage span processor does.
The order's success is logged as an OTel log record with an ``event.name``.
"""

from __future__ import annotations

import json
import sys
import time

from opentelemetry import baggage, context
from opentelemetry._logs import SeverityNumber
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode, set_span_in_context


class BaggageToAttributes(SpanProcessor):
    """Copies every baggage entry onto each new span as an attribute (same key)."""

    def on_start(self, span: Span, parent_context: context.Context | None = None) -> None:
        for key, value in baggage.get_all(parent_context).items():
            span.set_attribute(key, str(value))

    def on_end(self, span: ReadableSpan) -> None:
        pass


def main() -> None:
    url, order_id = sys.argv[1], sys.argv[2]
    exported: list[dict[str, object]] = []
    providers = {}
    for service in ("storefront", "payments", "erp-sync"):
        provider = TracerProvider(resource=Resource.create({"service.name": service}))
        provider.add_span_processor(BaggageToAttributes())
        provider.add_span_processor(
            SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"{url}/v1/traces"))
        )
        providers[service] = provider

    t0 = time.time_ns() - 5_000_000_000
    ms = 1_000_000
    plan = [
        (
            "storefront",
            "checkout",
            0,
            120,
            StatusCode.UNSET,
            {"order.id": order_id, "user.email": "a@b.c", "card.number": "4111"},
        ),
        (
            "payments",
            "charge card",
            20,
            70,
            StatusCode.ERROR,
            {"order.id": order_id, "partner": "stripe"},
        ),
        ("erp-sync", "post invoice", 150, 185, StatusCode.OK, {}),
    ]
    parent_ctx = None
    for service, name, start, end, status, attrs in plan:
        tracer = providers[service].get_tracer("otel_sender")
        ctx = baggage.set_baggage("order.id", order_id) if service == "erp-sync" else parent_ctx
        span = tracer.start_span(
            name, context=ctx, kind=SpanKind.SERVER, attributes=attrs, start_time=t0 + start * ms
        )
        if status is not StatusCode.UNSET:
            span.set_status(
                Status(status, "card declined, retried" if status is StatusCode.ERROR else None)
            )
        span.end(end_time=t0 + end * ms)
        if parent_ctx is None:
            parent_ctx = set_span_in_context(span)
        exported.append(
            {
                "service": service,
                "name": name,
                "duration_ms": float(end - start),
                "start_ns": t0 + start * ms,
            }
        )
    for provider in providers.values():
        provider.shutdown()

    logs = LoggerProvider(resource=Resource.create({"service.name": "erp-sync"}))
    logs.add_log_record_processor(
        SimpleLogRecordProcessor(OTLPLogExporter(endpoint=f"{url}/v1/logs"))
    )
    logger = logs.get_logger("otel_sender")
    logger.emit(
        timestamp=t0 + 190 * ms,
        severity_number=SeverityNumber.INFO,
        body="invoice posted",
        attributes={
            "event.name": "InvoicePosted",
            "order.id": order_id,
            "event.id": f"inv-{order_id}",
        },
    )
    logs.shutdown()
    print(json.dumps(exported))


if __name__ == "__main__":
    main()
