"""``flowscope demo``: the server on the embedded engine plus live traffic from real clients.

The traffic is what a user's services would send: spans through the OpenTelemetry SDK's
OTLP/HTTP exporter (one tracer provider per service, so each has its own ``service.name``) and
business events as CloudEvents over HTTP, all over loopback. Orders go storefront → payments
(stripe) → erp-sync (netsuite) → warehouse; about 3 % fail at payment.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer, set_span_in_context

from flowscope.settings import Settings

SERVICES = ("storefront", "payments", "erp-sync", "warehouse")
EXAMPLE_CATALOG = Path(__file__).resolve().parent.parent / "examples" / "catalog.yaml"


class DemoTraffic:
    """Sends order-to-cash traffic to ``base_url`` until stopped; ``rate`` orders per second."""

    def __init__(self, base_url: str, *, rate: float = 2.0, seed: int | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.rate = rate
        self.random = random.Random(seed)
        self.stop_event = threading.Event()
        self.providers: dict[str, TracerProvider] = {}
        self.tracers: dict[str, Tracer] = {}
        for name in SERVICES:
            provider = TracerProvider(resource=Resource.create({"service.name": name}))
            exporter = OTLPSpanExporter(endpoint=f"{self.base_url}/v1/traces", timeout=10)
            provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=500))
            self.providers[name] = provider
            self.tracers[name] = provider.get_tracer("flowscope.demo")
        self.http = httpx.Client(timeout=10)
        self.last_order: str | None = None

    def event(self, kind: str, order_id: str, source: str) -> None:
        """Post one CloudEvent in structured mode."""
        body = {
            "specversion": "1.0",
            "id": uuid.uuid4().hex,
            "source": f"/demo/{source}",
            "servicename": source,
            "type": kind,
            "orderid": order_id,
            "datacontenttype": "application/json",
            "data": {"order": {"id": order_id}},
        }
        self.http.post(
            f"{self.base_url}/api/v1/events",
            json=body,
            headers={"content-type": "application/cloudevents+json"},
        )

    def order(self) -> str:
        """Run one order through the four services; returns its id."""
        rnd = self.random
        order_id = f"A-{rnd.randint(1000, 999999)}"
        attrs = {"order.id": order_id}
        self.event("OrderPlaced", order_id, "storefront")
        store = self.tracers["storefront"]
        with store.start_as_current_span(
            "checkout", kind=SpanKind.SERVER, attributes=attrs
        ) as root:
            time.sleep(rnd.uniform(0.005, 0.02))
            ctx = set_span_in_context(root)
            failed = rnd.random() < 0.03
            self._hop("payments", "charge card", ctx, attrs, 0.01, 0.05, failed, partner="stripe")
            if failed:
                root.set_status(Status(StatusCode.ERROR, "payment declined"))
        if failed:
            self.event("PaymentFailed", order_id, "payments")
            return order_id
        time.sleep(rnd.uniform(0.01, 0.05))
        self._hop("erp-sync", "post invoice", None, attrs, 0.02, 0.08, False, partner="netsuite")
        self._hop("warehouse", "reserve stock", None, attrs, 0.005, 0.03, False)
        self.event("InvoicePosted", order_id, "erp-sync")
        return order_id

    def _hop(
        self,
        service: str,
        name: str,
        ctx: Context | None,
        attrs: dict[str, str],
        low: float,
        high: float,
        failed: bool,
        partner: str | None = None,
    ) -> None:
        extra = dict(attrs)
        if partner:
            extra["partner"] = partner
        tracer = self.tracers[service]
        with tracer.start_as_current_span(
            name,
            context=ctx,
            kind=SpanKind.SERVER,
            attributes=extra,
        ) as span:
            time.sleep(self.random.uniform(low, high))
            if failed:
                span.set_status(Status(StatusCode.ERROR, f"{partner or service} refused the call"))

    def run(self, on_order: Callable[[str], None] = lambda _id: None) -> None:
        """Loop until :meth:`stop`; errors (server restarting) are retried after a second."""
        while not self.stop_event.is_set():
            try:
                order_id = self.order()
                self.last_order = order_id
                on_order(order_id)
            except httpx.HTTPError:
                self.stop_event.wait(1.0)
            self.stop_event.wait(self.random.expovariate(self.rate))

    def stop(self) -> None:
        """Stop the loop and flush every exporter."""
        self.stop_event.set()
        for provider in self.providers.values():
            provider.shutdown()
        self.http.close()


def wait_ready(base_url: str, timeout_s: float = 120.0) -> bool:
    """Poll ``/readyz`` until it answers 200 or ``timeout_s`` passes."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    return False


def run_demo(settings: Settings) -> None:
    """Serve on the embedded engine with the example catalog and live demo traffic."""
    import uvicorn

    from flowscope.app import create_app

    if settings.catalog is None and EXAMPLE_CATALOG.exists():
        settings = settings.model_copy(update={"catalog": EXAMPLE_CATALOG})
    base = f"http://{settings.host}:{settings.port}"
    traffic = DemoTraffic(base)
    first: list[str] = []

    def announce(order_id: str) -> None:
        if not first:
            first.append(order_id)
            print(
                f"\nflowscope demo running at {base}\n"
                f"  API docs:      {base}/docs\n"
                f"  metrics:       {base}/metrics\n"
                f"  trace an order: flowscope trace {order_id} --url {base}\n"
                f"                  {base}/api/v1/correlations/{order_id}\n",
                flush=True,
            )

    def drive() -> None:
        if wait_ready(base):
            traffic.run(on_order=announce)

    threading.Thread(target=drive, name="flowscope-demo-traffic", daemon=True).start()
    try:
        uvicorn.run(
            create_app(settings), host=settings.host, port=settings.port, log_level="warning"
        )
    finally:
        traffic.stop_event.set()
