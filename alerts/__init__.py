"""Outcome-based alerts: burn-rate paging, outcome rules, Alertmanager and webhooks, Prometheus.

Pure modules (no clock, no I/O):

- :mod:`alerts.model` — labels, observations, alerts, transitions, notifications.
- :mod:`alerts.rules` — burn-rate tiers and catalog outcome rules → observations, with plain
  summaries (:mod:`alerts.wording`).
- :mod:`alerts.lifecycle` — inactive → pending → firing → resolved, deduplicated by
  fingerprint, every transition recorded.
- :mod:`alerts.silences` — label matchers (``=``, ``!=``, ``=~``, ``!~``) with expiry;
  :mod:`alerts.maintenance` — catalog maintenance windows.
- :mod:`alerts.dispatch` — which notifications each channel gets; Alertmanager and webhook
  encodings; HMAC signatures.
- :mod:`alerts.prometheus_rules` — the Prometheus rule file (``flowscope rules prometheus``).

Adapters: :mod:`alerts.signals` (the port the SLI queries satisfy, and an in-memory double),
:mod:`alerts.facts` (reads the counts the rules need), :mod:`alerts.store` (history and
silences in ClickHouse), :mod:`alerts.notifiers` (HTTP channels and their delivery threads),
:mod:`alerts.evaluator` (the loop), :mod:`alerts.exposition` (scrape-time Prometheus
collector), :mod:`alerts.routes` (HTTP), :mod:`alerts.service` (assembly for the server).
Errors: :mod:`alerts.errors`.
"""
