"""Assembles the alerts room for a server: rule set, metrics, channels, evaluator, collector.

The composition root (``flowscope/app.py``) reads the settings and calls :func:`build_alerting`
with plain values; nothing here reads the environment. The Prometheus collector
(:class:`~alerts.exposition.SLOCollector`) is registered on the registry passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from prometheus_client import CollectorRegistry

from alerts.evaluator import AlertEvaluator, utc_now
from alerts.exposition import SLOCollector
from alerts.facts import load_rule_set
from alerts.metrics import AlertMetrics
from alerts.notifiers import AlertmanagerNotifier, Dispatcher, Notifier, WebhookNotifier
from alerts.signals import FlowSignals
from alerts.store import AlertStore
from catalog.model import Catalog
from warehouse.port import Warehouse


def build_alerting(catalog: Catalog, *, registry: CollectorRegistry,
                   warehouse: Callable[[], Warehouse | None],
                   signals: Callable[[], FlowSignals | None],
                   metrics_signals: Callable[[], FlowSignals | None] | None = None,
                   alertmanager_url: str | None = None, webhook_url: str | None = None,
                   webhook_secret: bytes | None = None, interval: float = 30.0,
                   clock: Callable[[], datetime] = utc_now,
                   window_dirs: Sequence[Path] = (),
                   declared: Callable[[str, datetime], str | None] | None = None
                   ) -> AlertEvaluator:
    """The evaluator (not started) for ``catalog``.

    ``warehouse`` and ``signals`` return ``None`` until they are ready; ``metrics_signals``
    (default ``signals``) serve the ``/metrics`` scrape, which must answer quickly.
    Alertmanager gets alerts when ``alertmanager_url`` is set (its base URL), the generic
    webhook when ``webhook_url`` is set (signed with ``webhook_secret`` when given).
    ``interval`` is in seconds (default 30). ``declared(flow, at)`` says why a flow is in
    maintenance declared now (its notifications are then held back), or ``None``.
    """
    rules = load_rule_set(catalog, search_dirs=window_dirs)
    metrics = AlertMetrics(registry)
    notifiers: list[Notifier] = []
    if alertmanager_url:
        notifiers.append(AlertmanagerNotifier(alertmanager_url))
    if webhook_url:
        notifiers.append(WebhookNotifier(webhook_url, secret=webhook_secret))

    def store() -> AlertStore | None:
        wh = warehouse()
        return None if wh is None else AlertStore(wh)

    evaluator = AlertEvaluator(
        rules, signals=signals, store=store,
        dispatchers=[Dispatcher(n, metrics) for n in notifiers], metrics=metrics, clock=clock,
        interval=interval, declared=declared)
    registry.register(SLOCollector(rules, signals=metrics_signals or signals,
                                   alerts=lambda: evaluator.snapshot().alerts, clock=clock))
    return evaluator
