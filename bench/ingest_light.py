"""Light-load part of the ingest benchmark: what a quiet server costs, and how fresh its data is.

A ``flowscope serve`` on a copy of the dashboard benchmark's data directory (three flows with
35 days of history, :mod:`bench.dashboard_data`; ``history_spans`` spans, 0 for an empty
database) receives one whole order-to-cash run of ten spans every second (10 spans/s), timed
now, so the alert evaluator's windows and the rollups see live data. Two shapes of traffic:

- ``sdk``: as instrumented services send it: one OpenTelemetry SDK ``TracerProvider`` per
  service of the flow (six, started 5/6 s apart so their timers are out of phase), each with
  the SDK's default ``BatchSpanProcessor`` (an export every 5 s) and OTLP/HTTP exporter:
  about 1.2 requests/s of 5 to 20 spans;
- ``single``: the whole run in one request every second (1 request/s of 10 spans).
After a warm-up (start-up, the first evaluation, the first merges) it measures over
``seconds`` (default 60):

- the server's CPU as a fraction of one core, split by thread group (:mod:`bench.process_cpu`:
  Python threads — HTTP, decoding, spool, the writer's and evaluator's Python code — the
  engine's threads — inserts, materialized views, queries — and background merges);
- time from each acknowledgement until the request's rows are in ClickHouse, read from the
  spool itself (its entry is deleted only once the insert returned), never by asking the
  server, so the measurement costs the server nothing; p50, p99 and max;
- inserts made (``flowscope_warehouse_insert_seconds_count``, read once at the end).

It runs twice: with alert evaluation on (``FLOWSCOPE_EVAL_INTERVAL``, default 30 s) and off
(an interval longer than the run: one evaluation at start-up, before the window).
"""

from __future__ import annotations

import shutil
import sqlite3
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import httpx

from bench.dashboards import percentile
from bench.process_cpu import group_delta, process_cpu_s, thread_cpu

RATE_RUNS_PER_S = 1.0
"""Whole runs (ten spans each) sent per second: 10 spans/s."""
WARMUP_S = 15.0
SDK_EXPORT_DELAY_S = 5.0
"""The SDK's default ``BatchSpanProcessor`` schedule delay (``OTEL_BSP_SCHEDULE_DELAY``)."""


def pending_before(spool: Path, at: float) -> int:
    """Spool entries received at or before ``at`` (epoch seconds) that are still pending."""
    with closing(sqlite3.connect(f"file:{spool}?mode=ro", uri=True, timeout=5)) as db:
        return int(db.execute("SELECT count(*) FROM entries WHERE received_at <= ?",
                              (at,)).fetchone()[0])


def _inserts(url: str) -> float:
    total = 0.0
    for line in httpx.get(f"{url}/metrics", timeout=30).text.splitlines():
        if line.startswith("flowscope_warehouse_insert_seconds_count"):
            total += float(line.rsplit(" ", 1)[1])
    return total


class _Traffic:
    """Sends one run per second in the given ``shape``; records ack latencies and ack→queryable
    lags of the requests acknowledged while :attr:`measuring`."""

    def __init__(self, url: str, spool: Path, shape: str) -> None:
        self.url = url
        self.spool = spool
        self.shape = shape
        self.lags: list[float] = []
        self.acks: list[float] = []
        self.failures = 0
        self.measuring = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> _Traffic:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def acknowledged(self, sent: float, acked: float, ok: bool) -> None:
        """Record one request (epoch seconds), then wait until its rows are queryable."""
        if not ok:
            self.failures += 1
            return
        measuring = self.measuring
        if measuring:
            self.acks.append(acked - sent)
        while pending_before(self.spool, acked) and not self._stop.is_set():
            time.sleep(0.005)
        if measuring:
            self.lags.append(time.time() - acked)

    def _run(self) -> None:
        if self.shape == "sdk":
            self._run_sdk()
        else:
            self._run_single()

    def _paced(self, send_run: Any) -> None:
        next_at = time.monotonic()
        run = int(time.time())
        while not self._stop.is_set():
            run += 1
            send_run(run)
            next_at += 1 / RATE_RUNS_PER_S
            self._stop.wait(max(0.0, next_at - time.monotonic()))

    def _run_single(self) -> None:
        from bench.dashboard_data import FLOWS
        from bench.otlp_payloads import make_run_request

        flow = FLOWS[0]
        headers = {"content-type": "application/x-protobuf"}
        with httpx.Client(base_url=self.url, timeout=30) as client:

            def send_run(run: int) -> None:
                body = make_run_request(run, time.time_ns(), key=flow.key, steps=flow.spans)
                sent = time.time()
                resp = client.post("/v1/traces", content=body, headers=headers)
                self.acknowledged(sent, time.time(), resp.status_code == 200)

            self._paced(send_run)

    def _run_sdk(self) -> None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExportResult

        from bench.dashboard_data import FLOWS

        traffic = self

        class TimedExporter(OTLPSpanExporter):
            def export(self, spans: Any) -> SpanExportResult:
                sent = time.time()
                result = super().export(spans)
                traffic.acknowledged(sent, time.time(), result is SpanExportResult.SUCCESS)
                return result

        flow = FLOWS[0]
        services = list(dict.fromkeys(s for s, _ in flow.spans))
        providers: dict[str, TracerProvider] = {}
        for i, service in enumerate(services):
            # services start at different moments: their 5 s export timers are out of phase
            if i and self._stop.wait(SDK_EXPORT_DELAY_S / len(services)):
                break
            provider = TracerProvider(resource=Resource.create({"service.name": service}))
            provider.add_span_processor(BatchSpanProcessor(
                TimedExporter(endpoint=f"{self.url}/v1/traces", timeout=30)))
            providers[service] = provider
        tracers = {s: p.get_tracer("bench.light") for s, p in providers.items()}

        def send_run(run: int) -> None:
            for service, name in flow.spans:
                with tracers[service].start_as_current_span(
                        name, attributes={flow.key: f"L-{run}"}):
                    pass

        try:
            if len(providers) == len(services):
                self._paced(send_run)
        finally:
            for provider in providers.values():
                provider.shutdown()


@contextmanager
def served(data_dir: Path, catalog: Path, env: dict[str, str] | None = None
           ) -> Iterator[tuple[Any, int, Path]]:
    """A ``flowscope serve`` on ``data_dir``, ready: (server, its pid, its spool file)."""
    from tests.flowscope.conftest import Server

    server = Server(data_dir, catalog=catalog, env=env)
    server.start(wait=False)
    try:
        server.wait_ready(timeout=300)
        assert server.proc is not None
        yield server, server.proc.pid, data_dir / "spool" / "spool.sqlite"
    finally:
        server.stop()


def measure(work: Path, history: Path | None, catalog: Path, *, seconds: float,
            eval_interval: float, shape: str) -> dict[str, Any]:
    """One light-load window on a fresh copy of ``history`` (or an empty directory)."""
    data_dir = work / "ingest-light"
    shutil.rmtree(data_dir, ignore_errors=True)
    if history is not None:
        shutil.copytree(history, data_dir, symlinks=True)  # the engine links metadata dirs
    env = {"FLOWSCOPE_EVAL_INTERVAL": str(eval_interval)}
    with served(data_dir, catalog, env) as (server, pid, spool):
        with _Traffic(server.url, spool, shape) as traffic:
            time.sleep(WARMUP_S)
            inserts0 = _inserts(server.url)
            threads0, cpu0, t0 = thread_cpu(pid), process_cpu_s(pid), time.monotonic()
            traffic.measuring = True
            time.sleep(seconds)
            traffic.measuring = False
            threads1, cpu1, t1 = thread_cpu(pid), process_cpu_s(pid), time.monotonic()
            inserts = _inserts(server.url) - inserts0
        wall = t1 - t0
        split = group_delta(threads0, threads1)
        lags = traffic.lags
        return {
            "shape": shape,
            "eval_interval_s": eval_interval,
            "seconds": round(wall, 1),
            "requests_per_s": round(len(traffic.acks) / wall, 2),
            "server_cpu_core_fraction": round((cpu1 - cpu0) / wall, 4),
            "cpu_core_fraction_by_thread_group": {g: round(v / wall, 4) for g, v in split.items()},
            "inserts_per_minute": round(inserts * 60 / wall, 1),
            "ack_p50_ms": round(statistics.median(traffic.acks) * 1000, 1),
            "queryable_after_ack_p50_s": round(statistics.median(lags), 3),
            "queryable_after_ack_p99_s": round(percentile(lags, 0.99), 3),
            "queryable_after_ack_max_s": round(max(lags), 3),
            "failed_requests": traffic.failures,
        }


def run(work: Path, *, seconds: float = 60.0, history_spans: int = 1_000_000,
        shapes: tuple[str, ...] = ("sdk", "single")) -> dict[str, Any]:
    """Per traffic shape, both windows (evaluation on at 30 s, then off), on
    ``history_spans`` spans of history."""
    from bench.dashboard_data import prepare

    history = None
    catalog = work / "ingest-light-catalog.yaml"
    if history_spans:
        prepared = prepare(work, history_spans)
        history, catalog = prepared.data_dir, prepared.catalog
    else:
        from bench.dashboard_data import catalog_text

        catalog.write_text(catalog_text(1, _now()))
    out: dict[str, Any] = {"history_spans": history_spans}
    for shape in shapes:
        out[shape] = {
            "evaluation_on": measure(work, history, catalog, seconds=seconds,
                                     eval_interval=30.0, shape=shape),
            "evaluation_off": measure(work, history, catalog, seconds=seconds,
                                      eval_interval=86_400.0, shape=shape),
        }
    return out


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)
