"""Cost allocation and ROI (filled by the cost issue).

Pure modules (standard library, :mod:`catalog.model` and each other only; no clock, no I/O;
money is always :class:`decimal.Decimal`):

- :mod:`cost.money` — the precision contract (exact sums and products, quotients rounded once
  to 18 places by :func:`~cost.money.divide`), display rounding, and exact largest-remainder
  splits (:func:`~cost.money.split_exactly`, :func:`~cost.money.round_parts`).
- :mod:`cost.currency` — minor units (``USD`` 2, ``JPY`` 0), :func:`~cost.currency.round_money`,
  :class:`~cost.currency.ExchangeRates`, and the one-currency-per-catalog rule.
- :mod:`cost.usage` — the inputs the cost queries fill: :class:`~cost.usage.DateRange`,
  :class:`~cost.usage.Activity`, :class:`~cost.usage.DailyUsage`,
  :class:`~cost.usage.SpendLine` (and :func:`~cost.usage.apportion_spend`).
- :mod:`cost.amortisation` — monthly fees per day (:func:`~cost.amortisation.amortise_fixed`).
- :mod:`cost.breakdown` — :class:`~cost.breakdown.CostBreakdown` and its figures: total, by
  category/step/partner, cost per success, marginal cost per run, cost of failure.
- :mod:`cost.allocation` — :func:`~cost.allocation.allocate` a flow's cost over a date range
  from its cost model, usage and imported spend.
- :mod:`cost.roi` — savings against the manual baseline, cumulative net return, payback date.
- :mod:`cost.release` — cost per success and successes before vs after a release.

- :mod:`cost.spend_lines` — submitted spend lines (JSON, CSV) checked field by field, and
  partner spend split exactly over the flows that use the partner.
- :mod:`cost.documents` — JSON bodies of the cost routes (money as display-rounded strings
  whose parts add up to the shown totals).

Adapters: :mod:`cost.queries` (daily usage per flow from the warehouse, with the SLO engine's
run semantics), :mod:`cost.spend_store` (the ``cost_spend`` table), :mod:`cost.reports` (a
flow's cost and the ROI report), :mod:`cost.routes` (``/api/v1/flows/{flow}/cost``,
``/api/v1/roi``, ``/api/v1/costs``).

Errors: :mod:`cost.errors`.
"""
