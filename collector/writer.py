"""The batch writer: moves spooled rows into the warehouse, exactly once, in few large inserts.

Requests are acknowledged as soon as their rows are fsynced in the spool; the writer coalesces
them afterwards. Every insert costs the engine a fixed price whatever its size (each
materialized view runs its query, each table and view target gets a new part that background
merges must fold in later): about 50 to 80 ms of CPU for a ten-row insert into ``otel_traces``
on the reference machine, against about 20 µs per row at 50,000 rows (``bench/ingest.py``). So
one background thread, per kind (spans, events), waits until either

- ``max_rows`` rows are pending (default 50,000; ``FLOWSCOPE_BATCH_MAX_ROWS``), or
- the oldest pending row has waited ``max_age_s`` (default 0.4 s; ``FLOWSCOPE_BATCH_MAX_AGE``),

then claims a batch of up to ``max_rows`` rows, reads its Arrow payloads, concatenates them and
inserts them with the batch's deduplication token, then completes the batch. The rule is
:func:`insert_due`, a pure function. Under load that gives inserts of ``max_rows`` rows; at a
few requests per second, one insert per kind every ``max_age_s`` at most, so rows are
queryable within about ``max_age_s`` plus one insert after their acknowledgement (0.1 to 0.5 s
for a small one on the reference machine): within a second at the default. With nothing
pending the thread sleeps until ingest notifies it (no polling).

When the warehouse fails, the batch stays claimed and is retried with the same token after an
exponential backoff (0.5 s doubling to 30 s); ingest keeps acknowledging into the spool until
its bound. Failures are counted in metrics and logged without the data.
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

MAX_ROWS = 50_000
"""Default cap on rows per insert, and the pending rows that trigger one at once."""
MAX_AGE_S = 0.4
"""Default longest wait, in seconds, of an acknowledged row before its insert starts."""
_PRUNE_EVERY_S = 300.0


class Sink(Protocol):
    """Where batches go: the :class:`warehouse.port.Warehouse` satisfies it."""

    def insert_arrow(self, table: str, data: pa.Table, *, dedup_token: str | None = None) -> None:
        """Insert ``data`` into ``table``; a replay with the same token is stored once."""


def read_payloads(payloads: list[bytes]) -> pa.Table:
    """Concatenate Arrow IPC stream payloads into one table."""
    tables = [pa.ipc.open_stream(p).read_all() for p in payloads]
    return pa.concat_tables(tables) if len(tables) > 1 else tables[0]


def insert_due(rows: int, oldest_age_s: float, *, max_rows: int, max_age_s: float) -> float | None:
    """Seconds until the pending rows of one kind should be inserted: ``0.0`` now, ``None``
    when nothing is pending (wait for new rows).

    Due at once when ``rows`` reach ``max_rows`` or the oldest row has waited ``max_age_s``;
    otherwise when it will have.
    """
    if rows <= 0:
        return None
    if rows >= max_rows:
        return 0.0
    return max(0.0, max_age_s - oldest_age_s)


class BatchWriter:
    """Drains a :class:`Spool` into a :class:`Sink` on a daemon thread (see the module doc).

    ``max_rows`` (default :data:`MAX_ROWS`) caps a batch and triggers an insert at once;
    ``max_age_s`` (default :data:`MAX_AGE_S`) is the longest a row waits for company.
    """

    def __init__(
        self,
        spool: Spool,
        sink: Sink,
        metrics: CollectorMetrics,
        *,
        max_rows: int = MAX_ROWS,
        max_age_s: float = MAX_AGE_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._spool = spool
        self._sink = sink
        self._metrics = metrics
        self._max_rows = max_rows
        self._max_age_s = max_age_s
        self._monotonic = monotonic
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_prune = monotonic()
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
        """Tell the writer new rows are pending (it then times their insert)."""
        self._wake.set()

    def stop(self, *, drain_timeout_s: float = 10.0) -> None:
        """Deliver what is pending (up to ``drain_timeout_s``), then stop the thread."""
        deadline = self._monotonic() + drain_timeout_s
        self._max_age_s = 0.0  # everything pending is due now
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

    def deliver_due(self) -> float | None:
        """Insert the batches that are due now; returns seconds until the next one is (``None``:
        nothing pending). Raises on a sink failure (the batch stays claimed for a retry)."""
        wait: float | None = None
        for kind in TABLES:
            while True:
                pending = self._spool.pending(kind)
                due = insert_due(pending.rows, pending.oldest_age_s,
                                 max_rows=self._max_rows, max_age_s=self._max_age_s)
                if due != 0.0:
                    break
                batch = self._spool.claim(kind, max_rows=self._max_rows)
                if batch is None:
                    break
                self._deliver(batch)
            if due is not None and (wait is None or due < wait):
                wait = due
        return wait

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
                wait = self.deliver_due()
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
            # a notify() between deliver_due() and here leaves the event set: no wake-up is lost
            self._wake.wait(_PRUNE_EVERY_S if wait is None else wait)
            self._wake.clear()

    def _maybe_prune(self) -> None:
        now = self._monotonic()
        if now - self._last_prune > _PRUNE_EVERY_S:
            self._last_prune = now
            self._spool.prune_seen()
