"""SLO math and the SLI, latency, health and attribution reads, from the flow rollups.

Pure modules (standard library, :mod:`catalog` and each other only; no clock, no I/O):

- :mod:`slo.objective` — objectives as fractions and the error budget ``1 - objective``.
- :mod:`slo.sli` — :class:`~slo.sli.Counts`, :class:`~slo.sli.RunCounts` and the window SLI
  Σgood / Σvalid.
- :mod:`slo.budget` — burn rate, budget consumed and remaining, time to exhaustion.
- :mod:`slo.burn` — multi-window, multi-burn-rate tiers: factors, thresholds, evaluation.
- :mod:`slo.timeslices` — OpenSLO ``Timeslices`` and ``RatioTimeslices`` budgeting.
- :mod:`slo.periods` — rolling and calendar (time-zone, DST-aware) periods.
- :mod:`slo.window_spec` — the window catalog format (``kind: AlertWindows``), validated.
- :mod:`slo.runs` — when a flow run starts, succeeds, fails and becomes determinate.
- :mod:`slo.rings` — every window ending at one instant, counted from one grouping.
- :mod:`slo.maintenance` — maintenance windows (RFC 5545 rules) as UTC intervals.
- :mod:`slo.status` — an SLO's status at an instant: SLI, budget, windows, tiers, exhaustion.
- :mod:`slo.attribution` — the error budget each step and partner spent.
- :mod:`slo.histogram` — "nice" equal-width histogram buckets for durations.
- :mod:`slo.sketch` — durations in logarithmic buckets, percentiles read back.
- :mod:`slo.segments` — a time range split into whole hours, whole minutes and edges.
- :mod:`slo.rollup` — a flow's rollup over some time, as a frozen value that adds up.
- :mod:`slo.ledger_rules` — what the run ledger needs of a flow, and its fingerprint.
- :mod:`slo.ledger_status` — the ledger's build progress and backlog; chunks of a build.
- :mod:`slo.percent` — percentages as people read them.
- :mod:`slo.page_cursor` — opaque page cursors.
- :mod:`slo.documents` — JSON bodies of the flow routes.

Reading files: :mod:`slo.window_loader` (window catalogs by name or path; the built-in ones in
``slo/windows/``).

Adapters (the warehouse, HTTP):

- :mod:`slo.ledger` — the follower that keeps the run ledger and the flow rollups current.
- :mod:`slo.ledger_sql` — the SQL turning runs' items into ``run_ledger`` rows.
- :mod:`slo.rollup_sql` — the SQL summing the ledger into minute and hour rollups.
- :mod:`slo.rollup_sums` — those sums run for flows, stretches of hours or touched minutes.
- :mod:`slo.rollup_read` — the rollups read for any set of time segments.
- :mod:`slo.sli_query` — good and valid runs per window ring, for many flows at once.
- :mod:`slo.evaluation` — the SLOs of catalog flows evaluated at an instant.
- :mod:`slo.latency_query` — flow time and time in each step over a range.
- :mod:`slo.health_query` — flow in and out per step, lag, retries, dead letters, yield.
- :mod:`slo.flow_time_histogram` — a flow's flow times as a histogram, and one run in it.
- :mod:`slo.attribution_query` — bad runs per step, for the budget attribution.
- :mod:`slo.attribution_report` — a flow's error budget by partner and step over a range.
- :mod:`slo.signals` — the counts the alert evaluator reads.
- :mod:`slo.run_states` — where given runs stand, by point lookups in the run ledger.
- :mod:`slo.search_query` — runs by any search key.
- :mod:`slo.dead_letters` — a flow's dead-letter queue.
- :mod:`slo.replay_log` — manual replays: attempts per run, first answer per Idempotency-Key.
- :mod:`slo.declared_maintenance` — maintenance declared now, left out of SLIs.
- :mod:`slo.queue_figures` — run counts and the dead-letter queue as ``/metrics`` gauges.
- :mod:`slo.operator_routes` — ``/api/v1/search`` and ``/api/v1/flows/{flow}/dead-letters``.
- :mod:`slo.routes` — ``/api/v1/flows[/{flow}[/slos|/latency|/health|/attribution]]``.
- :mod:`slo.errors` — the exception tree.
"""
