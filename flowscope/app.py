"""Composition root: ``create_app()`` wires settings, catalog, spool, writer and warehouse.

Start-up order: the spool opens first, so ingest acknowledges durable data at once; a bootstrap
thread then connects to the warehouse, applies migrations and starts the batch writer (which
replays whatever the spool held). ``/readyz`` answers 200 only once that is done. If the
warehouse is unreachable the bootstrap retries every 5 s and the spool keeps accepting up to its
bound.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import pyarrow as pa
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from catalog.model import EMPTY_CATALOG, Catalog
from collector.ingest import IngestService
from collector.metrics import CollectorMetrics, SpoolCollector
from collector.routes import ingest_router
from collector.spool import Spool
from collector.writer import BatchWriter
from flowscope.access import AccessGuard, KeyStore
from flowscope.api import query_router
from flowscope.settings import Settings
from warehouse.migrations import apply_migrations
from warehouse.port import Warehouse

log = logging.getLogger("flowscope")


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

    def bootstrap(self) -> None:
        """Connect, migrate and start the writer; retry every 5 s until it works or we stop."""
        while not self.stopping.is_set():
            try:
                wh = Warehouse.connect(self.settings.dsn(), cluster=self.settings.cluster)
                try:
                    applied = apply_migrations(wh, ttl_days=self.settings.ttl_days)
                except Exception:
                    wh.close()
                    raise
                if applied:
                    log.info("applied migrations: %s", ", ".join(applied))
                self.warehouse = wh
                max_rows = self.settings.batch_max_rows
                writer = BatchWriter(
                    self.spool, wh, self.metrics, max_rows=max_rows, min_rows=max_rows // 2
                )
                self.writer = writer
                self.notify_writer = writer.notify
                writer.start()
                self.startup_error = None
                self.ready.set()
                return
            except Exception as exc:  # noqa: BLE001 - keep serving ingest; report in /readyz
                self.startup_error = f"{type(exc).__name__}: {exc}"[:500]
                log.error("warehouse not ready, retrying in 5s: %s", self.startup_error)
                self.stopping.wait(5.0)

    def shutdown(self) -> None:
        """Deliver what is pending, then close writer, warehouse and spool."""
        self.stopping.set()
        if self.writer is not None:
            self.writer.stop()
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
    if catalog is None:
        if settings.catalog is not None:
            from catalog.spec import load_catalog

            catalog = load_catalog(settings.catalog)
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
    runtime = Runtime(settings, catalog, registry, metrics, spool, ingest)
    holder.append(runtime)
    return runtime


def create_app(
    settings: Settings | None = None,
    *,
    catalog: Catalog | None = None,
    clock: Callable[[], float] = time.time,
) -> FastAPI:
    """The flowscope ASGI app: ingest, query API, ``/metrics``, ``/healthz``, ``/readyz``."""
    settings = settings or Settings()
    # Arrow's default jemalloc pool keeps freed batches around; the system allocator keeps the
    # server's peak RSS under ingest about 130 MiB lower at the same throughput (bench/ingest.py).
    pa.set_memory_pool(pa.system_memory_pool())
    runtime = build_runtime(settings, catalog=catalog, clock=clock)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        threading.Thread(target=runtime.bootstrap, name="flowscope-bootstrap", daemon=True).start()
        try:
            yield
        finally:
            runtime.shutdown()

    app = FastAPI(
        title="flowscope",
        version="0.1.0",
        description="Integration observability and SLO analytics for business flows.",
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    app.add_middleware(AccessGuard, store=KeyStore(settings.keys_path()))
    app.include_router(ingest_router(runtime.ingest, max_body_bytes=settings.max_body_bytes))
    app.include_router(query_router(runtime))
    return app
