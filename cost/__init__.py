"""Cost allocation and ROI: what each successful run costs, and what the automation returned.

Pure modules (standard library, :mod:`catalog.model` and each other only; no clock, no I/O;
money is always :class:`decimal.Decimal`):

- :mod:`cost.money` — the precision contract: exact sums, quotients rounded once, exact splits.
- :mod:`cost.currency` — minor units, display rounding, exchange rates, one currency per
  catalog.
- :mod:`cost.usage` — the inputs the cost queries fill: date ranges, activity, spend lines.
- :mod:`cost.amortisation` — monthly fees per day of their month.
- :mod:`cost.breakdown` — a flow's cost line by line, and the figures derived from it.
- :mod:`cost.allocation` — a flow's cost over a date range from its model, usage and spend.
- :mod:`cost.roi` — savings against the manual baseline, net return, payback date.
- :mod:`cost.release` — cost per success and successes before and after a release.
- :mod:`cost.spend_lines` — submitted spend lines (JSON, CSV) checked field by field.
- :mod:`cost.documents` — JSON bodies of the cost routes.

Adapters:

- :mod:`cost.queries` — daily usage per flow, read from the flow rollups with the SLO room's
  run semantics.
- :mod:`cost.spend_store` — the ``cost_spend`` table.
- :mod:`cost.reports` — a flow's cost, the ROI report and the release comparison.
- :mod:`cost.routes` — ``/api/v1/flows/{flow}/cost``, ``/releases``, ``/api/v1/roi``,
  ``/api/v1/costs``.
- :mod:`cost.errors` — the exception tree.
"""
