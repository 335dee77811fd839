"""Counters of the alerts room, registered on the registry the caller passes in.

=============================================  ===========================================
``flowscope_alert_notifications_total``        notifications by ``channel`` and ``result``
                                               (``sent``, ``failed`` after every retry,
                                               ``dropped`` when the queue overflowed)
``flowscope_alert_delivery_attempts_total``    HTTP deliveries by ``channel``, ``result``
                                               (``ok`` or ``error``); retries show here
``flowscope_alert_evaluations_total``          evaluations by ``result`` (``ok``,
                                               ``partial``: some rules had no data,
                                               ``skipped``: no data source yet)
``flowscope_alert_rule_failures_total``        rules that could not be evaluated, by
                                               ``flow``
``flowscope_alert_store_failures_total``       history or silence reads/writes that failed
``flowscope_alert_evaluation_seconds``         time per evaluation (histogram)
=============================================  ===========================================
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram


class AlertMetrics:
    """The alerts room's counters on ``registry`` (a fresh registry per test)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.notifications = Counter(
            "flowscope_alert_notifications", "Alert notifications by channel and result.",
            ["channel", "result"], registry=registry)
        self.attempts = Counter(
            "flowscope_alert_delivery_attempts", "Alert delivery attempts by channel and result.",
            ["channel", "result"], registry=registry)
        self.evaluations = Counter(
            "flowscope_alert_evaluations", "Alert evaluations by result.", ["result"],
            registry=registry)
        self.rule_failures = Counter(
            "flowscope_alert_rule_failures", "Alert rules that could not be evaluated.",
            ["flow"], registry=registry)
        self.store_failures = Counter(
            "flowscope_alert_store_failures", "Failed reads or writes of alert history and "
            "silences.", registry=registry)
        self.evaluation_seconds = Histogram(
            "flowscope_alert_evaluation_seconds", "Time spent in one alert evaluation.",
            registry=registry, buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 30))
