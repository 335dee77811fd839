"""Composition root: ``create_app()`` wires settings, catalog, spool, writer and warehouse.

Start-up order: the data directory is made private (:mod:`flowscope.data_dir`), the spool
opens, so ingest acknowledges durable data at once; a bootstrap thread then connects to the
warehouse (every read bounded by the :class:`~warehouse.port.QueryLimits` of the settings),
applies migrations and starts the batch writer (which replays whatever the spool held) and the
run ledger's follower (which builds the flow rollups the reads use, :mod:`slo.ledger`), then the
operator console's threads (search keys over older data, resuming flows after maintenance,
:mod:`flowscope.operate`).
``/readyz`` answers 200 only once that is done, and says in ``rollups`` whether the follower is
still building or catching up. If the warehouse is unreachable the bootstrap retries every 5 s
and the spool keeps accepting up to its bound.

Middleware, outermost first: :class:`~flowscope.page_security.SecurityHeaders`,
:class:`~flowscope.access.audit_http.AuditTrail`, :class:`~flowscope.access.guard.AccessGuard`
(keys, sessions, login; refusals aggregated by a :class:`~flowscope.access.denials.DenialLog`),
:class:`~flowscope.request_limits.BodyLimit`. What a route raises is answered by the error
boundary, :mod:`flowscope.http_errors`, the same way on every route. Each router gets the parts
it uses (the catalog, the warehouse once it is ready, a clock...), never the whole
:class:`Runtime`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pyarrow as pa
from a2wsgi import WSGIMiddleware
from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from starlette.types import ASGIApp

from alerts.evaluator import AlertEvaluator
from alerts.routes import alerts_router
from alerts.service import build_alerting
from catalog.model import EMPTY_CATALOG, Catalog
from collector.correlation_rules import publish_rules
from collector.ingest import IngestService
from collector.metrics import CollectorMetrics, SpoolCollector
from collector.routes import ingest_router
from collector.search_backfill import SearchBackfill
from collector.search_rules import publish_search_rules
from collector.spool import Spool
from collector.writer import BatchWriter
from cost.routes import cost_router
from dashboards.app import build_dash
from dashboards.facade import ReadModel
from dashboards.operator import OperatorViews
from flowscope.access.audit import AuditLog, pending_path, record_catalog_load
from flowscope.access.audit_http import AuditTrail, audit_router
from flowscope.access.clients import TrustedProxies
from flowscope.access.denials import DenialLog
from flowscope.access.guard import AccessGuard
from flowscope.access.keys import key_store
from flowscope.api import lookup_router, operations_router
from flowscope.csv_export import CsvExport
from flowscope.data_dir import secure_data_dir, secure_file
from flowscope.faults import writer_sink
from flowscope.http_errors import install_error_handlers
from flowscope.operate import Console, build_console, console_routers, queue_collector, ready_hook
from flowscope.otlp_grpc import otlp_grpc_server
from flowscope.page_security import SecurityHeaders, dashboard_policy
from flowscope.request_limits import BodyLimit
from flowscope.settings import Settings
from flowscope.signals import AlertSignals
from slo.ledger import RunLedger
from slo.routes import slo_router
from slo.signals import WarehouseSignals
from warehouse.adoption import adopt_tables
from warehouse.errors import WarehouseError, public_message
from warehouse.migrations import apply_migrations
from warehouse.port import Warehouse

log = logging.getLogger("flowscope")

GRPC_GRACE_S = 5.0
"""Seconds OTLP/gRPC calls in flight get to finish when the server stops."""


@dataclass
class Runtime:
    """The live parts of one server process, shared by its routes."""

    settings: Settings
    catalog: Catalog
    registry: CollectorRegistry
    metrics: CollectorMetrics
    spool: Spool
    ingest: IngestService
    warehouse: Warehouse | None = None
    writer: BatchWriter | None = None
    ready: threading.Event = field(default_factory=threading.Event)
    stopping: threading.Event = field(default_factory=threading.Event)
    startup_error: str | None = None
    notify_writer: Callable[[], None] = field(default=lambda: None)
    audit: AuditLog = field(default_factory=AuditLog)
    alerting: AlertEvaluator | None = None
    ledger: RunLedger | None = None
    console: Console | None = None
    on_ready: list[Callable[[Warehouse], None]] = field(default_factory=list)

    def ready_warehouse(self) -> Warehouse | None:
        """The warehouse once it is connected and migrated, else ``None``: what every reader
        is given."""
        return self.warehouse if self.ready.is_set() else None

    def readiness(self) -> tuple[bool, dict[str, Any]]:
        """Whether the server is ready (migrated and writing), and the body of ``/readyz``:
        ``status``, ``error`` (why the warehouse is not ready, in public words),
        ``writer_error``, ``rollups`` (the follower building or catching up) and ``search_keys``
        (older data being indexed for new search keys)."""
        writer = self.writer
        ready = self.ready.is_set() and writer is not None and writer.running
        body: dict[str, Any] = {"status": "ready" if ready else "starting"}
        if self.startup_error:
            body["error"] = self.startup_error
        if writer is not None and writer.last_error:
            body["writer_error"] = "the writer cannot deliver to the warehouse; retrying"
        if self.ledger is not None:
            status = self.ledger.status()
            body["rollups"] = {
                "current": status.current, "detail": status.describe(),
                "building": [{"flow": p.flow, "done": p.done, "total": p.total}
                             for p in status.building],
                "pending_runs": status.pending_runs}
        backfill = self.warehouse.attachments.get("search_backfill") if (
            self.warehouse is not None) else None
        if isinstance(backfill, SearchBackfill) and backfill.building():
            body["search_keys"] = {"indexing": [
                {"flow": p.flow, "done": p.done, "total": p.total} for p in backfill.building()]}
        return ready, body

    def bootstrap(self) -> None:
        """Connect, migrate and start the writer; retry every 5 s until it works or we stop."""
        while not self.stopping.is_set():
            try:
                wh = Warehouse.connect(self.settings.dsn(), cluster=self.settings.cluster,
                                       limits=self.settings.query_limits())
                try:
                    applied = apply_migrations(wh, ttl_days=self.settings.ttl_days)
                except Exception:
                    wh.close()
                    raise
                if applied:
                    log.info("applied migrations: %s", ", ".join(applied))
                for table in adopt_tables(wh):
                    log.info("set non_replicated_deduplication_window on %s (created without it,"
                             " e.g. by an OpenTelemetry Collector)", table)
                publish_rules(wh, self.catalog, clock_ns=time.time_ns)
                publish_search_rules(wh, self.catalog, clock_ns=time.time_ns)
                self.warehouse = wh
                writer = BatchWriter(
                    self.spool,
                    writer_sink(wh, os.environ),
                    self.metrics,
                    max_rows=self.settings.batch_max_rows,
                    max_age_s=self.settings.batch_max_age,
                )
                self.writer = writer
                self.notify_writer = writer.notify
                writer.start()
                self.ledger = RunLedger.of(wh)
                if self.settings.follow_rollups:
                    threading.Thread(
                        target=self.ledger.follow, args=(lambda: self.catalog.flows,
                                                         self.stopping),
                        name="flowscope-ledger", daemon=True).start()
                self.audit.attach(wh)
                self.startup_error = None
                self.ready.set()
                for hook in self.on_ready:
                    hook(wh)
                return
            except Exception as exc:  # noqa: BLE001 - keep serving ingest; report in /readyz
                # /readyz is open to anyone: it says what kind of failure, the log says which
                self.startup_error = (public_message(exc) if isinstance(exc, WarehouseError)
                                      else f"{type(exc).__name__}; the server log has details")
                log.error("warehouse not ready, retrying in 5s: %s: %s", type(exc).__name__, exc)
                self.stopping.wait(5.0)

    def shutdown(self) -> None:
        """Deliver what is pending, then close writer, warehouse and spool."""
        self.stopping.set()
        if self.alerting is not None:
            self.alerting.stop()
        if self.writer is not None:
            self.writer.stop()
        self.audit.close()
        if self.warehouse is not None:
            self.warehouse.close()
        self.spool.close()


def build_runtime(
    settings: Settings,
    *,
    catalog: Catalog | None = None,
    clock: Callable[[], float] = time.time,
) -> Runtime:
    """Build the parts without starting threads. Loads the catalog file when one is set."""
    secure_data_dir(settings.data_dir)
    keys_file = settings.keys_path()
    if keys_file.exists() and keys_file.parent.resolve() != settings.data_dir.resolve():
        secure_file(keys_file)
    if catalog is None:
        if settings.catalog is not None:
            from catalog.sources import load_catalog_sources

            catalog = load_catalog_sources(settings.catalog)
        else:
            catalog = EMPTY_CATALOG
    registry = CollectorRegistry(auto_describe=True)
    metrics = CollectorMetrics(registry)
    spool = Spool(settings.spool_path(), clock=clock, max_bytes=settings.spool_max_bytes)
    registry.register(SpoolCollector(spool))
    holder: list[Runtime] = []
    ingest = IngestService(
        spool,
        metrics,
        catalog=catalog,
        clock_ns=lambda: int(clock() * 1e9),
        on_spooled=lambda: holder[0].notify_writer() if holder else None,
    )
    audit = AuditLog(pending_path(settings.data_dir), clock=clock)
    if settings.catalog is not None:
        record_catalog_load(audit, settings.catalog, catalog)
    runtime = Runtime(settings, catalog, registry, metrics, spool, ingest, audit=audit)
    holder.append(runtime)
    secret = settings.webhook_secret

    def now() -> datetime:
        return datetime.fromtimestamp(clock(), UTC)

    console = build_console(catalog, runtime.ready_warehouse, audit=audit, clock=now,
                            environ=os.environ)
    runtime.console = console
    runtime.on_ready.append(ready_hook(console, runtime.stopping))
    registry.register(queue_collector(console, runtime.ready_warehouse, clock=now))
    signals = AlertSignals(WarehouseSignals(catalog, runtime.ready_warehouse))
    # a scrape reads the rollups as they stand: it never waits for the follower
    scraped = AlertSignals(WarehouseSignals(catalog, runtime.ready_warehouse, catch_up=False))
    runtime.alerting = build_alerting(
        catalog,
        registry=registry,
        warehouse=runtime.ready_warehouse,
        signals=lambda: signals if runtime.ready.is_set() else None,
        metrics_signals=lambda: scraped if runtime.ready.is_set() else None,
        alertmanager_url=settings.alertmanager_url,
        webhook_url=settings.webhook_url,
        webhook_secret=secret.get_secret_value().encode() if secret is not None else None,
        interval=settings.eval_interval,
        clock=now,
        declared=console.maintenance.muting,
    )
    return runtime


def dashboards_asgi(runtime: Runtime, clock: Callable[[], datetime]) -> tuple[ASGIApp, str]:
    """The Dash dashboards over ``runtime``, as an ASGI app to mount at ``/dashboards``, and
    their Content-Security-Policy (allowing the renderer's inline scripts by hash)."""
    model = ReadModel(runtime.catalog, runtime.ready_warehouse, alerting=runtime.alerting,
                      clock=clock, catalog_path=runtime.settings.catalog,
                      scorecard_max_age=timedelta(seconds=runtime.settings.dashboard_cache))
    console = runtime.console
    views = None if console is None else OperatorViews(
        runtime.catalog, runtime.ready_warehouse,
        console.replays, console.maintenance, console.stored, clock)
    dash = build_dash(model, operator_views=views)
    return cast(ASGIApp, WSGIMiddleware(dash.server)), dashboard_policy(dash.csp_hashes())


def create_app(
    settings: Settings | None = None,
    *,
    catalog: Catalog | None = None,
    clock: Callable[[], float] = time.time,
) -> FastAPI:
    """The flowscope ASGI app: ingest, query API, ``/metrics``, ``/healthz``, ``/readyz``.

    With ``settings.grpc_port`` (not 0) it also binds the OTLP/gRPC port here, and serves it
    while the app runs. Raises :class:`collector.grpc_ingest.GrpcListenError` when that port
    cannot be bound.
    """
    settings = settings or Settings()
    # Arrow's default jemalloc pool keeps freed batches around; the system allocator keeps the
    # server's peak RSS under ingest about 130 MiB lower at the same throughput (bench/ingest.py).
    pa.set_memory_pool(pa.system_memory_pool())
    runtime = build_runtime(settings, catalog=catalog, clock=clock)
    proxies = TrustedProxies.parse(settings.trusted_proxies)
    denials = DenialLog(runtime.audit, clock=clock)
    store = key_store(settings.keys_path())
    grpc = otlp_grpc_server(runtime.ingest, settings, store) if settings.grpc_port else None

    def now() -> datetime:
        return datetime.fromtimestamp(clock(), UTC)

    async def flush_denials() -> None:
        while True:
            await asyncio.sleep(5.0)
            await asyncio.to_thread(denials.flush)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        threading.Thread(target=runtime.bootstrap, name="flowscope-bootstrap", daemon=True).start()
        if runtime.alerting is not None:
            runtime.alerting.start()
        if grpc is not None:
            grpc.start()
        flusher = asyncio.create_task(flush_denials())
        try:
            yield
        finally:
            if grpc is not None:  # calls in flight finish (up to 5 s) before the spool closes
                grpc.stop(grace=GRPC_GRACE_S).wait()
            flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flusher
            denials.flush(everything=True)
            runtime.shutdown()

    app = FastAPI(
        title="flowscope",
        version="0.1.0",
        description="Integration observability and SLO analytics for business flows.",
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    install_error_handlers(app)
    dashboards, dashboard_csp = dashboards_asgi(runtime, now)
    app.add_middleware(CsvExport)  # innermost: CSV of the tabular read routes
    app.add_middleware(BodyLimit, import_bytes=settings.max_body_bytes)
    app.add_middleware(AccessGuard, store=store, proxies=proxies, denials=denials)
    app.add_middleware(AuditTrail, audit=runtime.audit, proxies=proxies)
    app.add_middleware(SecurityHeaders, dashboard_csp=dashboard_csp)
    warehouse = runtime.ready_warehouse
    app.include_router(ingest_router(runtime.ingest, max_body_bytes=settings.max_body_bytes))
    app.include_router(operations_router(runtime.readiness, runtime.registry))
    app.include_router(lookup_router(warehouse))
    app.include_router(slo_router(runtime.catalog, warehouse, catalog_path=settings.catalog,
                                  clock=now))
    app.include_router(cost_router(runtime.catalog, warehouse, clock=now))
    app.include_router(audit_router(warehouse, runtime.audit, denials, clock=now))
    if runtime.console is not None:
        for router in console_routers(runtime.console, warehouse, clock=now, proxies=proxies):
            app.include_router(router)
    app.mount("/dashboards", dashboards)
    if runtime.alerting is not None:
        app.include_router(alerts_router(runtime.alerting, clock=now))
    return app
