"""Collector metrics on an injected prometheus-client registry (never the global one).

Exposed names (``/metrics``):

- ``flowscope_items_received_total{signal}`` — spans or events seen in requests;
- ``flowscope_items_accepted_total{signal}`` — persisted in the spool (2xx);
- ``flowscope_items_duplicate_total{signal}`` — dropped as already stored (re-sent request
  or event id);
- ``flowscope_items_rejected_total{signal, reason}`` — refused (``invalid``, ``decode``,
  ``too_large``, ``media_type``, ``spool_full``, ``spool_unavailable``, ``source``: an event
  from a source its key may not use);
- ``flowscope_warehouse_rows_written_total{signal}``, ``flowscope_warehouse_write_failures_total``;
- ``flowscope_warehouse_insert_seconds{signal}`` and ``flowscope_warehouse_batch_rows{signal}``
  histograms;
- ``flowscope_spool_entries``, ``flowscope_spool_rows``, ``flowscope_spool_bytes`` and
  ``flowscope_spool_oldest_age_seconds`` gauges, read from the spool at scrape time.

``signal`` is ``spans`` or ``events``.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from collector.spool import Spool


class CollectorMetrics:
    """The counters and histograms of ingest and writing, registered on ``registry``."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.received = Counter(
            "flowscope_items_received",
            "Items seen in ingest requests.",
            ["signal"],
            registry=registry,
        )
        self.accepted = Counter(
            "flowscope_items_accepted",
            "Items persisted in the spool.",
            ["signal"],
            registry=registry,
        )
        self.duplicates = Counter(
            "flowscope_items_duplicate",
            "Items dropped as already stored.",
            ["signal"],
            registry=registry,
        )
        self.rejected = Counter(
            "flowscope_items_rejected",
            "Items refused, by reason.",
            ["signal", "reason"],
            registry=registry,
        )
        self.written = Counter(
            "flowscope_warehouse_rows_written",
            "Rows inserted into the warehouse.",
            ["signal"],
            registry=registry,
        )
        self.write_failures = Counter(
            "flowscope_warehouse_write_failures",
            "Failed warehouse inserts (retried).",
            registry=registry,
        )
        self.insert_seconds = Histogram(
            "flowscope_warehouse_insert_seconds",
            "Warehouse insert latency in seconds.",
            ["signal"],
            registry=registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
        )
        self.batch_rows = Histogram(
            "flowscope_warehouse_batch_rows",
            "Rows per warehouse insert.",
            ["signal"],
            registry=registry,
            buckets=(1, 10, 100, 1_000, 5_000, 10_000, 50_000, 100_000, 500_000),
        )


class SpoolCollector(Collector):
    """Reads the spool's depth and oldest age at scrape time."""

    def __init__(self, spool: Spool) -> None:
        self._spool = spool

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """Yield the spool gauges; nothing when the spool cannot be read."""
        try:
            stats = self._spool.stats()
        except Exception:  # noqa: BLE001 - a scrape must not fail because the spool did
            return
        yield GaugeMetricFamily(
            "flowscope_spool_entries", "Spooled requests pending.", stats.entries
        )
        yield GaugeMetricFamily("flowscope_spool_rows", "Spooled rows pending.", stats.rows)
        yield GaugeMetricFamily(
            "flowscope_spool_bytes", "Spooled payload bytes pending.", stats.bytes
        )
        yield GaugeMetricFamily(
            "flowscope_spool_oldest_age_seconds",
            "Age of the oldest pending spool entry in seconds.",
            stats.oldest_age_s,
        )
