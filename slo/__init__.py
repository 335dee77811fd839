"""SLO math and SLI queries (filled by the SLO engine issue).

Pure modules (standard library, :mod:`catalog` and each other only; no clock, no I/O):

- :mod:`slo.objective` — objectives as fractions (``objective_from_percent(Decimal("99.9"))``
  is ``0.999``) and the error budget ``1 - objective``.
- :mod:`slo.sli` — :class:`~slo.sli.Counts` and the window SLI Σgood / Σvalid (``None`` for an
  empty window).
- :mod:`slo.budget` — burn rate, budget consumed and remaining (not clamped), allowed bad
  events, time to exhaustion, :class:`~slo.budget.BudgetStatus`.
- :mod:`slo.burn` — multi-window, multi-burn-rate tiers: factors, thresholds,
  :func:`~slo.burn.evaluate_tiers` (warnings returned as data).
- :mod:`slo.timeslices` — OpenSLO ``Timeslices`` and ``RatioTimeslices`` budgeting.
- :mod:`slo.periods` — rolling and calendar (time-zone, DST-aware) periods.
- :mod:`slo.window_spec` — the window catalog format (``kind: AlertWindows``) and its
  validation.

- :mod:`slo.runs` — when a flow run starts, succeeds, fails and becomes determinate (the
  rules the SQL applies, stated in Python), operation keys and matches.
- :mod:`slo.rings` — every window ending at one instant counted from one grouping.
- :mod:`slo.maintenance` — maintenance windows (RFC 5545 rules) as UTC intervals.
- :mod:`slo.status` — an SLO's status at an instant: SLI, budget, windows, tiers, exhaustion.
- :mod:`slo.histogram` — equal-width "nice" histogram buckets for durations, with an overflow
  bucket past the 99th percentile.
- :mod:`slo.documents` — JSON bodies of the flow routes.

Reading files: :mod:`slo.window_loader` (window catalogs by name or path; built-in ones in
``slo/windows/``). Errors: :mod:`slo.errors`.

Adapters (the warehouse, HTTP): the ``flow_runs`` and ``flow_minutes`` aggregates are kept by
``warehouse/schema/004_flow_runs.sql``; :mod:`slo.run_source` reads merged runs,
:mod:`slo.sli_query` counts determinate runs per window ring, :mod:`slo.evaluation` evaluates
the SLOs of catalog flows at an instant, :mod:`slo.latency_query` and :mod:`slo.health_query`
answer the latency and health routes (and the dead-letter inflow per bucket),
:mod:`slo.flow_time_histogram` buckets flow times in SQL and ranks one run,
:mod:`slo.signals` gives the alert evaluator its counts, and :mod:`slo.routes` serves
``/api/v1/flows[/{flow}[/slos|/latency|/health]]``.
"""
