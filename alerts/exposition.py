"""SLO and alert figures for ``/metrics``, computed at scrape time by a custom Collector.

====================================================  =========================================
``flowscope_slo_events_total{flow,slo,result}``       counter: determinate runs of the SLO so
                                                      far, ``result`` = ``good`` | ``bad``
``flowscope_slo_objective_ratio{flow,slo}``           the objective as a fraction (0.999)
``flowscope_slo_budget_remaining_ratio{flow,slo}``    error budget left over the current period
                                                      (not clamped; absent without runs)
``flowscope_slo_burn_rate{flow,slo,window}``          burn rate over each window of the flow's
                                                      window catalog (absent without runs)
``flowscope_alert_firing{alertname,flow,slo,          1 for each firing alert (labels absent on
severity,owner,rule}``                                an alert are empty)
====================================================  =========================================

The counts come from the :class:`~alerts.signals.FlowSignals` at the moment of the scrape; when
they are not ready or fail, only the objective and the alerts are exposed (a scrape never
fails because of the warehouse).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from alerts.facts import RuleSet, count_slo
from alerts.model import Alert
from alerts.signals import FlowSignals
from catalog.durations import format_duration
from slo.budget import budget_remaining, burn_rate
from slo.objective import objective_from_percent
from slo.sli import Counts

log = logging.getLogger("flowscope.alerts")

FIRING_LABELS = ("alertname", "flow", "slo", "severity", "owner", "rule")


class SLOCollector(Collector):
    """Yields the metrics of the module docstring for every flow and SLO of ``rules``."""

    def __init__(self, rules: RuleSet, *, signals: Callable[[], FlowSignals | None],
                 alerts: Callable[[], Sequence[Alert]], clock: Callable[[], datetime]) -> None:
        self.rules = rules
        self.signals = signals
        self.alerts = alerts
        self.clock = clock

    def describe(self) -> list[Metric]:
        """Nothing: the figures are computed at scrape time, never at registration."""
        return []

    def collect(self) -> Iterator[Metric]:
        """The metric families, read at this instant."""
        at = self.clock()
        events = CounterMetricFamily(
            "flowscope_slo_events", "Determinate runs counted by each SLO, by result.",
            labels=["flow", "slo", "result"])
        objective = GaugeMetricFamily(
            "flowscope_slo_objective_ratio", "SLO objective as a fraction of good runs.",
            labels=["flow", "slo"])
        remaining = GaugeMetricFamily(
            "flowscope_slo_budget_remaining_ratio",
            "Error budget left over the current SLO period (1 = untouched, <0 = breached).",
            labels=["flow", "slo"])
        burn = GaugeMetricFamily(
            "flowscope_slo_burn_rate", "Error ratio over the window divided by 1 - objective.",
            labels=["flow", "slo", "window"])
        signals = self.signals()
        for flow in self.rules.catalog.flows:
            windows = self.rules.windows_of(flow)
            for slo in flow.slos:
                target = objective_from_percent(slo.objective)
                objective.add_metric([flow.name, slo.name], target)
                if signals is None:
                    continue
                try:
                    counts = count_slo(signals, flow, slo, windows, at, total=True)
                except Exception as exc:  # noqa: BLE001 - a scrape must not fail
                    log.warning("no SLO figures for %s/%s: %s: %s", flow.name, slo.name,
                                type(exc).__name__, exc)
                    continue
                totals = counts.total or Counts(0, 0)
                events.add_metric([flow.name, slo.name, "good"], totals.good)
                events.add_metric([flow.name, slo.name, "bad"], totals.bad)
                left = budget_remaining(counts.period.error_ratio, target)
                if left is not None:
                    remaining.add_metric([flow.name, slo.name], left)
                for window, window_count in sorted(counts.windows.items()):
                    rate = burn_rate(window_count.error_ratio, target)
                    if rate is not None:
                        burn.add_metric([flow.name, slo.name, format_duration(window)], rate)
        firing = GaugeMetricFamily(
            "flowscope_alert_firing", "1 for each firing flowscope alert.",
            labels=list(FIRING_LABELS))
        for alert in self.alerts():
            if alert.status == "firing":
                firing.add_metric([alert.label(name) for name in FIRING_LABELS], 1)
        yield from (events, objective, remaining, burn, firing)
