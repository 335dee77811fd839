"""Outcome-based alerts: burn-rate paging, outcome rules, Alertmanager and webhooks, Prometheus.

Pure modules (no clock, no I/O):

- :mod:`alerts.model` — labels, observations, alerts, transitions, notifications.
- :mod:`alerts.rules` — burn-rate tiers and catalog outcome rules → observations.
- :mod:`alerts.wording` — alert summaries in plain words, with numbers.
- :mod:`alerts.lifecycle` — inactive → pending → firing → resolved, deduplicated by
  fingerprint, every transition recorded.
- :mod:`alerts.silences` — label matchers (``=``, ``!=``, ``=~``, ``!~``) with expiry.
- :mod:`alerts.maintenance` — catalog maintenance windows: is a flow in planned downtime?
- :mod:`alerts.dispatch` — which notifications each channel gets; Alertmanager and webhook
  encodings; HMAC signatures.
- :mod:`alerts.prometheus_rules` — the Prometheus rule file (``flowscope rules prometheus``).
- :mod:`alerts.prometheus_outcomes` — a flow's outcome rules as Prometheus alerting rules.
- :mod:`alerts.operations` — what the operator's services share: audit and call ports, checks.

Adapters:

- :mod:`alerts.signals` — the port the SLI queries satisfy, and an in-memory double.
- :mod:`alerts.facts` — reads the counts the rules need and evaluates them.
- :mod:`alerts.store` — alert history and silences in ClickHouse.
- :mod:`alerts.notifiers` — HTTP channels and their delivery threads.
- :mod:`alerts.evaluator` — the loop evaluating every rule every interval.
- :mod:`alerts.exposition` — the scrape-time Prometheus collector of SLO and alert figures.
- :mod:`alerts.metrics` — the room's counters, on the registry passed in.
- :mod:`alerts.routes` — ``/api/v1/alerts`` and ``/api/v1/silences``.
- :mod:`alerts.signed_call` — a signed POST to a flow's replay or pause webhook.
- :mod:`alerts.replay` — manual replays with guardrails (idempotency, rate limits, audit).
- :mod:`alerts.maintenance_now` — maintenance declared now, with the pause webhook.
- :mod:`alerts.operate_routes` — the operator's write routes: replays and maintenance.
- :mod:`alerts.queue_exposition` — run counts, dead letters and maintenance on ``/metrics``.
- :mod:`alerts.service` — the room assembled for a server.
- :mod:`alerts.errors` — the exception tree.
"""
