"""The error budget of a flow's SLOs by partner and by step over a range, from the warehouse.

Adapter behind ``GET /api/v1/flows/{flow}/attribution``: the valid runs of each SLO come from
:meth:`slo.signals.WarehouseSignals.slo_counts` (the SLI's counts, maintenance left out), the
bad runs by step from :func:`slo.attribution_query.bad_runs_by_step`, and the split from the
pure :func:`slo.attribution.partner_budgets` and :func:`slo.attribution.step_budgets`. SLOs
counted by time slices (``budgeting: timeslices``) have no runs to attribute and are skipped
with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from catalog.model import Catalog, Flow, SLOSpec
from slo.attribution import PartnerBudget, StepBudget, partner_budgets, step_budgets
from slo.attribution_query import SloPeriod, bad_runs_by_step
from slo.errors import SLOValueError
from slo.objective import objective_from_percent
from slo.periods import slo_period
from slo.signals import WarehouseSignals
from warehouse.port import Warehouse


@dataclass(frozen=True)
class SloAttribution:
    """One SLO over ``[start, end)``: ``valid`` runs, ``bad`` of them, and who spent its
    budget (``partners`` most first, ``steps`` in catalog order)."""

    spec: SLOSpec
    start: datetime
    end: datetime
    valid: int
    bad: int
    partners: tuple[PartnerBudget, ...]
    steps: tuple[StepBudget, ...]

    @property
    def consumed(self) -> float | None:
        """The fraction of the error budget all bad runs used (``None`` without valid runs):
        the sum of the parts, ``1 - budget remaining``."""
        if not self.valid:
            return None
        return self.bad / (self.valid * (1 - objective_from_percent(self.spec.objective)))


@dataclass(frozen=True)
class FlowAttribution:
    """Every SLO of ``flow`` counted by runs, and the ``skipped`` ones as ``(name, why)``."""

    flow: str
    end: datetime
    slos: tuple[SloAttribution, ...]
    skipped: tuple[tuple[str, str], ...] = ()


def attribute_budget(wh: Warehouse, flow: Flow, end: datetime,
                     start: datetime | None = None) -> FlowAttribution:
    """Who spent the error budget of each SLO of ``flow`` counted by runs, over ``[start,
    end)`` (aware), or over each SLO's own period at ``end`` when ``start`` is ``None``.

    Raises :class:`ValueError` when ``start`` is not before ``end``,
    :class:`~slo.errors.SLOError` for a period that cannot be computed and
    :class:`~warehouse.errors.WarehouseError` when a query fails.
    """
    if start is not None and start >= end:
        raise SLOValueError(f"the range must end after it starts ({start.isoformat()} to "
                            f"{end.isoformat()})")
    counted = [s for s in flow.slos if s.budgeting == "occurrences"]
    skipped = tuple((s.name, "counted by time slices: no runs to attribute")
                    for s in flow.slos if s.budgeting != "occurrences")
    periods = [SloPeriod(flow.name, s, slo_period(s, end).start if start is None else start,
                         end) for s in counted]
    signals = WarehouseSignals(Catalog(flows=(flow,)), lambda: wh)
    valid = [signals.slo_counts(flow.name, p.spec.name, p.start, p.end).valid for p in periods]
    found = bad_runs_by_step(wh, [flow], periods)
    slos = []
    for period, runs, bad in zip(periods, valid, found, strict=True):
        objective = objective_from_percent(period.spec.objective)
        slos.append(SloAttribution(
            period.spec, period.start, period.end, runs, sum(bad.values()),
            partner_budgets(flow.steps, bad, runs, objective),
            step_budgets(flow.steps, bad, runs, objective)))
    return FlowAttribution(flow.name, end, tuple(slos), skipped)
