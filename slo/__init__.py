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

Reading files: :mod:`slo.window_loader` (window catalogs by name or path; built-in ones in
``slo/windows/``). Errors: :mod:`slo.errors`.
"""
