"""The batch writer: moves spooled rows into the warehouse, exactly once.

One background thread loops over the kinds (spans, events): once at least ``min_rows`` rows
(default 25,000) are pending or the oldest pending row has waited ``max_linger_s`` (default
0.3 s), it claims a batch from the spool, reads
its Arrow payloads, concatenate them, insert with the batch's deduplication token, then complete
the batch. When the warehouse fails, the batch stays claimed and is retried with the same token
after an exponential backoff (0.5 s doubling to 30 s); ingest keeps acknowledging into the spool
until its bound. Failures are counted in metrics and logged without the data.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

import pyarrow as pa

from collector.metrics import CollectorMetrics
from collector.spool import Batch, Spool

log = logging.getLogger("flowscope.writer")

TABLES: dict[str, str] = {"spans": "otel_traces", "events": "business_events"}
"""Spool kind → warehouse table."""


class Sink(Protocol):
    """Where batches go: the :class:`warehouse.port.Warehouse` satisfies it."""

    def insert_arrow(self, table: str, data: pa.Table, *, dedup_token: str | None = None) -> None:
        """Insert ``data`` into ``table``; a replay with the same token is stored once."""


def read_payloads(payloads: list[bytes]) -> pa.Table:
    """Concatenate Arrow IPC stream payloads into one table."""
    tables = [pa.ipc.open_stream(p).read_all() for p in payloads]
    return pa.concat_tables(tables) if len(tables) > 1 else tables[0]


class BatchWriter:
    """Drains a :class:`Spool` into a :class:`Sink` on a daemon thread.

    ``max_rows`` (default 100,000) caps a batch; ``min_rows`` and ``max_linger_s`` trade insert
    efficiency (ClickHouse prefers few large inserts) against freshness; ``linger_s`` (default
    0.05 s) is how long the loop idles between checks.
    """

    def __init__(
        self,
        spool: Spool,
        sink: Sink,
        metrics: CollectorMetrics,
        *,
        max_rows: int = 100_000,
        min_rows: int = 25_000,
        max_linger_s: float = 0.3,
        linger_s: float = 0.05,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._spool = spool
        self._sink = sink
        self._metrics = metrics
        self._max_rows = max_rows
        self._linger_s = linger_s
        self._min_rows = min_rows
        self._max_linger_s = max_linger_s
        self._monotonic = monotonic
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_prune = 0.0
        self.last_error: str | None = None

    @property
    def running(self) -> bool:
        """True while the writer thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the thread (replaying whatever the spool holds first)."""
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="flowscope-writer", daemon=True)
        self._thread.start()

    def notify(self) -> None:
        """Tell the writer new data is pending, so it does not wait for its linger."""
        self._wake.set()

    def stop(self, *, drain_timeout_s: float = 10.0) -> None:
        """Deliver what is pending (up to ``drain_timeout_s``), then stop the thread."""
        deadline = self._monotonic() + drain_timeout_s
        while self.running and self._monotonic() < deadline and self._spool.stats().entries:
            self._wake.set()
            time.sleep(0.02)
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30.0)

    def drain_once(self) -> int:
        """Insert every batch pending now; returns rows delivered. Raises on a sink failure."""
        delivered = 0
        for kind in TABLES:
            while (batch := self._spool.claim(kind, max_rows=self._max_rows)) is not None:
                delivered += self._deliver(batch)
        return delivered

    def _deliver(self, batch: Batch) -> int:
        if not batch.entry_ids:
            self._spool.complete(batch)
            return 0
        table = read_payloads(self._spool.payloads(batch))
        started = self._monotonic()
        self._sink.insert_arrow(TABLES[batch.kind], table, dedup_token=batch.token)
        self._metrics.insert_seconds.labels(batch.kind).observe(self._monotonic() - started)
        self._metrics.batch_rows.labels(batch.kind).observe(table.num_rows)
        self._metrics.written.labels(batch.kind).inc(table.num_rows)
        self._spool.complete(batch)
        return int(table.num_rows)

    def _run(self) -> None:
        backoff = 0.5
        while not self._stop.is_set():
            try:
                delivered = self.drain_once() if self._due() else 0
                backoff = 0.5
                self.last_error = None
                self._maybe_prune()
            except Exception as exc:  # noqa: BLE001 - the loop must survive any sink failure
                self.last_error = f"{type(exc).__name__}: {exc}"[:500]
                self._metrics.write_failures.inc()
                log.warning("warehouse insert failed, retrying in %.1fs: %s", backoff, exc)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            if not delivered:
                self._wake.wait(self._linger_s)
                self._wake.clear()

    def _due(self) -> bool:
        rows = self._spool.pending_rows()
        if rows == 0:
            return False
        return rows >= self._min_rows or self._spool.stats().oldest_age_s >= self._max_linger_s

    def _maybe_prune(self) -> None:
        now = self._monotonic()
        if now - self._last_prune > 300.0:
            self._last_prune = now
            self._spool.prune_seen()
