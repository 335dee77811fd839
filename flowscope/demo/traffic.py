"""Live demo traffic: planned runs played through the OpenTelemetry SDK as their moments come.

New runs of all three flows start at ``rate`` per second (a Poisson process); each is planned
(:mod:`flowscope.demo.plan`) and its items are queued by the time they happen: a span is
exported when it ends (through the SDK's ``BatchSpanProcessor`` and OTLP/HTTP exporter, one
``TracerProvider`` per service so each has its own ``service.name``), an event is POSTed as a
structured CloudEvent at its time. Span ids are the planned ones (a small ``IdGenerator``), so
a child exported before its parent still points at it.
"""

from __future__ import annotations

import heapq
import itertools
import random
import threading
import time
from collections.abc import Callable, Sequence

import httpx
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.id_generator import IdGenerator, RandomIdGenerator
from opentelemetry.trace import (
    NonRecordingSpan,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
    Tracer,
    set_span_in_context,
)

from flowscope.demo.flows import plan_lead, plan_order, plan_refund
from flowscope.demo.plan import (
    NS,
    SERVICES,
    PlannedEvent,
    PlannedSpan,
    Run,
    Volume,
    behaviour_at,
    in_outage,
)
from flowscope.demo.wire import cloudevent

_KINDS = {
    1: SpanKind.INTERNAL,
    2: SpanKind.SERVER,
    3: SpanKind.CLIENT,
    4: SpanKind.PRODUCER,
    5: SpanKind.CONSUMER,
}


class PlannedIds(IdGenerator):
    """Hands out the next planned ids (set just before a span starts), else random ones."""

    def __init__(self) -> None:
        self.span_id: int | None = None
        self.trace_id: int | None = None
        self._random = RandomIdGenerator()

    def generate_span_id(self) -> int:
        value, self.span_id = self.span_id, None
        return value if value is not None else self._random.generate_span_id()

    def generate_trace_id(self) -> int:
        value, self.trace_id = self.trace_id, None
        return value if value is not None else self._random.generate_trace_id()


class LiveTraffic:
    """Starts ``rate`` runs per second (mixed per ``volume``) until :meth:`stop`.

    ``outages`` are Stripe incidents as ``[start, end)`` Unix ns intervals; runs starting
    before ``release_ns`` (Unix ns; ``None``: no release) behave as before the demo's release.
    ``on_run`` is called with each run once all its items are queued.
    """

    def __init__(
        self,
        base_url: str,
        *,
        rate: float = 1.0,
        volume: Volume | None = None,
        outages: Sequence[tuple[int, int]] = (),
        release_ns: int | None = None,
        seed: int | None = None,
        headers: dict[str, str] | None = None,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.rate = rate
        self.outages = tuple(outages)
        self.release_ns = release_ns
        self.random = random.Random(seed)
        self.clock = clock
        volume = volume or Volume()
        total = volume.orders + volume.leads + volume.refunds
        self.mix = (
            (plan_order, volume.orders / total),
            (plan_lead, volume.leads / total),
            (plan_refund, volume.refunds / total),
        )
        self.stop_event = threading.Event()
        self.ids = PlannedIds()
        self.providers: dict[str, TracerProvider] = {}
        self.tracers: dict[str, Tracer] = {}
        for name in SERVICES:
            provider = TracerProvider(
                resource=Resource.create({"service.name": name, "deployment.environment": "demo"}),
                id_generator=self.ids,
            )
            exporter = OTLPSpanExporter(
                endpoint=f"{self.base_url}/v1/traces", headers=headers, timeout=10
            )
            provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=500))
            self.providers[name] = provider
            self.tracers[name] = provider.get_tracer("flowscope.demo")
        self.http = httpx.Client(timeout=10, headers=headers)
        self.queue: list[tuple[int, int, PlannedSpan | PlannedEvent]] = []
        self._order = itertools.count()
        self.runs_started = 0
        self.items_sent = 0

    def start_run(self, now_ns: int) -> Run:
        """Plan one run starting at ``now_ns`` and queue its items."""
        plan = self.random.choices([p for p, _ in self.mix], [w for _, w in self.mix])[0]
        behaviour = behaviour_at(now_ns, self.release_ns)
        run = plan(self.random, now_ns, in_outage(now_ns, self.outages), behaviour)
        for span in run.spans:
            heapq.heappush(self.queue, (span.end_ns, next(self._order), span))
        for event in run.events:
            heapq.heappush(self.queue, (event.time_ns, next(self._order), event))
        self.runs_started += 1
        return run

    def send_due(self, now_ns: int) -> int:
        """Send every queued item whose time has come; returns how many were sent."""
        sent = 0
        while self.queue and self.queue[0][0] <= now_ns:
            _, _, item = heapq.heappop(self.queue)
            if isinstance(item, PlannedSpan):
                self.emit_span(item)
            else:
                self.post_event(item)
            sent += 1
        self.items_sent += sent
        return sent

    def emit_span(self, planned: PlannedSpan) -> None:
        """Record ``planned`` through its service's SDK tracer with its planned times and ids."""
        tracer = self.tracers[planned.service]
        trace_id = int.from_bytes(planned.trace_id, "big")
        if planned.parent_id:
            parent = SpanContext(
                trace_id,
                int.from_bytes(planned.parent_id, "big"),
                is_remote=True,
                trace_flags=TraceFlags(TraceFlags.SAMPLED),
            )
            context = set_span_in_context(NonRecordingSpan(parent))
        else:
            context = None
            self.ids.trace_id = trace_id
        self.ids.span_id = int.from_bytes(planned.span_id, "big")
        span = tracer.start_span(
            planned.name,
            context=context,
            kind=_KINDS.get(planned.kind, SpanKind.INTERNAL),
            attributes=dict(planned.attributes),
            start_time=planned.start_ns,
        )
        if planned.error:
            span.set_status(Status(StatusCode.ERROR, planned.error))
        span.end(end_time=planned.end_ns)

    def post_event(self, event: PlannedEvent) -> None:
        """POST one structured CloudEvent."""
        self.http.post(
            f"{self.base_url}/api/v1/events",
            json=cloudevent(event),
            headers={"content-type": "application/cloudevents+json"},
        )

    def run(self, on_run: Callable[[Run], None] = lambda _run: None) -> None:
        """Loop until :meth:`stop`; a failed request (server restarting) waits a second."""
        next_start = self.clock()
        while not self.stop_event.is_set():
            now = self.clock()
            try:
                while next_start <= now:
                    on_run(self.start_run(next_start))
                    next_start += int(self.random.expovariate(self.rate) * NS)
                self.send_due(now)
            except httpx.HTTPError:
                self.stop_event.wait(1.0)
            wake = min(next_start, self.queue[0][0] if self.queue else next_start)
            self.stop_event.wait(min(1.0, max(0.01, (wake - self.clock()) / NS)))

    def stop(self) -> None:
        """Stop the loop and flush every exporter (items not yet due are dropped)."""
        self.stop_event.set()
        for provider in self.providers.values():
            provider.shutdown()
        self.http.close()
