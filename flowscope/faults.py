"""Fault injection — a testing aid for the fault tests, off unless a test setting asks for it.

``FLOWSCOPE_FAULT_INSERT_FAILURES=N`` (seconds, default unset = off): every insert the batch
writer makes fails with :class:`warehouse.errors.WarehouseUnavailable` during the first ``N``
seconds after the writer starts, as if the warehouse were down; queries and migrations are
untouched. Ingest keeps acknowledging into the spool up to its bound, then answers 503; after
the window the writer's retries deliver everything. The server logs a warning when it is on.
Never set it in production.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping

import pyarrow as pa

from collector.writer import Sink
from warehouse.errors import WarehouseUnavailable

log = logging.getLogger("flowscope.faults")

INSERT_FAILURES = "FLOWSCOPE_FAULT_INSERT_FAILURES"
"""Environment variable: seconds during which writer inserts fail (testing aid)."""


class FailingInserts:
    """A :class:`collector.writer.Sink` whose inserts fail until ``until`` (monotonic seconds)."""

    def __init__(
        self, sink: Sink, *, until: float, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._sink = sink
        self._until = until
        self._monotonic = monotonic
        self.failed = 0

    def insert_arrow(self, table: str, data: pa.Table, *, dedup_token: str | None = None) -> None:
        """Fail with :class:`WarehouseUnavailable` inside the window, else insert."""
        if self._monotonic() < self._until:
            self.failed += 1
            raise WarehouseUnavailable(f"insert into {table} failed: injected fault (testing aid)")
        self._sink.insert_arrow(table, data, dedup_token=dedup_token)


def writer_sink(
    sink: Sink, environ: Mapping[str, str], *, monotonic: Callable[[], float] = time.monotonic
) -> Sink:
    """``sink``, wrapped in :class:`FailingInserts` when ``FLOWSCOPE_FAULT_INSERT_FAILURES`` is set.

    An unparsable or non-positive value leaves the sink as it is.
    """
    text = environ.get(INSERT_FAILURES, "").strip()
    try:
        seconds = float(text) if text else 0.0
    except ValueError:
        log.warning("%s=%r is not a number of seconds; no faults injected", INSERT_FAILURES, text)
        seconds = 0.0
    if not 0 < seconds < float("inf"):
        return sink
    log.warning("%s: warehouse inserts fail for %.1fs (testing aid)", INSERT_FAILURES, seconds)
    return FailingInserts(sink, until=monotonic() + seconds, monotonic=monotonic)
