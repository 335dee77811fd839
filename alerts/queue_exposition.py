"""Run counts, the dead-letter queue and maintenance for ``/metrics``, computed at scrape time.

=================================================  ===========================================
``flowscope_flow_runs_total{flow,outcome}``        counter: runs that ``started``, and that
                                                   became determinate as ``succeeded`` or
                                                   ``failed``, since the epoch
``flowscope_dead_letters_waiting{flow}``           runs waiting in the dead-letter queue now
``flowscope_dead_letter_oldest_age_seconds{flow}``  how long the oldest of them has waited (0:
                                                   none waits)
``flowscope_flow_maintenance{flow}``               1 while the flow is in maintenance (a catalog
                                                   window or one declared now), else 0
=================================================  ===========================================

The outcome alerts of the Prometheus rule file (:mod:`alerts.prometheus_rules`) read them. A
flow whose figures cannot be read is left out of that scrape (logged): a scrape never fails
because of the warehouse.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Protocol

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from catalog.model import Catalog
from slo.sli import RunCounts

log = logging.getLogger("flowscope.alerts")


class QueueSource(Protocol):
    """Where the figures come from (:class:`slo.queue_figures.QueueFigures`, adapted)."""

    def run_totals(self, flow: str, at: datetime) -> RunCounts:
        """Runs of ``flow`` started, succeeded and failed before ``at``."""
        ...

    def waiting(self, flow: str) -> tuple[int, datetime | None]:
        """Dead letters of ``flow`` waiting now, and when the oldest was dead-lettered."""
        ...


class QueueCollector(Collector):
    """Yields the metrics of the module docstring for every flow of ``catalog``."""

    def __init__(self, catalog: Catalog, *, source: Callable[[], QueueSource | None],
                 in_maintenance: Callable[[str, datetime], bool],
                 clock: Callable[[], datetime]) -> None:
        self.catalog = catalog
        self.source = source
        self.in_maintenance = in_maintenance
        self.clock = clock

    def describe(self) -> list[Metric]:
        """Nothing: the figures are computed at scrape time, never at registration."""
        return []

    def collect(self) -> Iterator[Metric]:
        """The metric families, read at this instant."""
        at = self.clock()
        runs = CounterMetricFamily("flowscope_flow_runs", "Runs started, and runs that became "
                                   "determinate by outcome, since the epoch.",
                                   labels=["flow", "outcome"])
        waiting = GaugeMetricFamily("flowscope_dead_letters_waiting",
                                    "Runs waiting in the dead-letter queue.", labels=["flow"])
        oldest = GaugeMetricFamily("flowscope_dead_letter_oldest_age_seconds",
                                   "How long the oldest waiting dead letter has waited (0: none).",
                                   labels=["flow"])
        maintenance = GaugeMetricFamily("flowscope_flow_maintenance",
                                        "1 while the flow is in maintenance.", labels=["flow"])
        source = self.source()
        for flow in self.catalog.flows:
            maintenance.add_metric([flow.name], 1.0 if self.in_maintenance(flow.name, at)
                                   else 0.0)
            if source is None:
                continue
            try:
                totals = source.run_totals(flow.name, at)
                count, since = source.waiting(flow.name)
            except Exception as exc:  # noqa: BLE001 - a scrape must not fail
                log.warning("no run or dead-letter figures for %s: %s: %s", flow.name,
                            type(exc).__name__, exc)
                continue
            for outcome, value in (("started", totals.started), ("succeeded", totals.succeeded),
                                   ("failed", totals.failed)):
                runs.add_metric([flow.name, outcome], value)
            waiting.add_metric([flow.name], count)
            age = max((at - since).total_seconds(), 0.0) if since is not None else 0.0
            oldest.add_metric([flow.name], age)
        yield from (runs, waiting, oldest, maintenance)
