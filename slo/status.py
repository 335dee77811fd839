"""The status of a flow's SLOs at one instant: SLI, budget, windows, tiers, exhaustion. Pure.

:func:`slo_status` assembles, from counts a query made (:mod:`slo.evaluation`), what on-call
reads for one SLO at ``at``:

- ``counts``: determinate runs of the period so far ``[period start, at)``, maintenance
  excluded; ``sli``, ``error_ratio`` and ``budget_remaining`` (``1 - error_ratio / (1 -
  objective)``, not clamped) over it. With timeslice budgeting (``spec.budgeting``) those three
  come from the period's complete slices instead (:mod:`slo.timeslices`).
- ``windows``: for each alerting window ``w``, the runs that became determinate in
  ``[at - w, at)``, their error ratio and burn rate (``error_ratio / (1 - objective)``).
- ``tiers``: :func:`slo.burn.evaluate_tiers` over those windows, factors scaled to the SLO's
  period (its rolling length, or the calendar period's length).
- ``exhaustion``: :func:`slo.budget.time_to_exhaustion` at the burn rate of the last hour
  (:data:`EXHAUSTION_WINDOW`); ``None`` when that hour has no determinate run or no burn.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from catalog.model import SLOSpec
from slo.budget import budget_remaining, burn_rate, time_to_exhaustion
from slo.burn import Severity, TierEvaluation, WindowCatalog, evaluate_tiers
from slo.objective import error_budget, objective_from_percent
from slo.periods import Period
from slo.sli import Counts
from slo.timeslices import TimesliceSummary, ratio_timeslices_sli, summarize_timeslices

EXHAUSTION_WINDOW = timedelta(hours=1)
"""The window whose burn rate projects the time to budget exhaustion."""


@dataclass(frozen=True)
class WindowResult:
    """Runs that became determinate in ``[at - window, at)``; ratios ``None`` when empty."""

    window: timedelta
    counts: Counts
    error_ratio: float | None
    burn_rate: float | None


@dataclass(frozen=True)
class SLOStatus:
    """One SLO of one flow at ``at`` (see the module docstring).

    ``objective`` is a fraction (0.999); ``period_length`` the length factors and exhaustion
    use; ``slices`` the timeslice summary when the SLO budgets by timeslices.
    """

    flow: str
    spec: SLOSpec
    at: datetime
    objective: float
    period: Period
    period_length: timedelta
    counts: Counts
    sli: float | None
    error_ratio: float | None
    budget_remaining: float | None
    windows: tuple[WindowResult, ...]
    tiers: TierEvaluation | None
    window_catalog: str | None
    exhaustion: timedelta | None
    slices: TimesliceSummary | None = None
    warnings: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The SLO's name in the catalog."""
        return self.spec.name

    @property
    def severity(self) -> Severity | None:
        """``page`` when a page tier fires, else ``ticket`` when a ticket tier fires."""
        return None if self.tiers is None else self.tiers.severity

    def window(self, length: timedelta) -> WindowResult | None:
        """The result of the window of that length, if it was counted."""
        return next((w for w in self.windows if w.window == length), None)


@dataclass(frozen=True)
class FlowStatus:
    """Every SLO of one flow at ``at``."""

    flow: str
    at: datetime
    slos: tuple[SLOStatus, ...]
    warnings: tuple[str, ...] = ()

    @property
    def severity(self) -> Severity | None:
        """The most urgent firing severity over the flow's SLOs."""
        found = {s.severity for s in self.slos}
        return "page" if "page" in found else "ticket" if "ticket" in found else None


def window_result(window: timedelta, counts: Counts, objective: float, *,
                  budget: float | None = None) -> WindowResult:
    """A window's counts with their error ratio and burn rate; ``budget`` is ``1 -
    objective`` when the caller already has it (it is then not recomputed)."""
    ratio = counts.error_ratio
    if budget is None:
        return WindowResult(window, counts, ratio, burn_rate(ratio, objective))
    return WindowResult(window, counts, ratio, None if ratio is None else ratio / budget)


def alert_windows(catalog: WindowCatalog | None) -> tuple[timedelta, ...]:
    """The windows to count for an SLO: the catalog's and :data:`EXHAUSTION_WINDOW`, ascending."""
    found = set(catalog.windows()) if catalog is not None else set()
    return tuple(sorted(found | {EXHAUSTION_WINDOW}))


def slo_status(flow: str, spec: SLOSpec, *, at: datetime, period: Period, counts: Counts,
               window_counts: Mapping[timedelta, Counts], window_catalog: WindowCatalog | None,
               slices: Iterable[Counts] | None = None,
               warnings: Iterable[str] = ()) -> SLOStatus:
    """Assemble the status of ``spec`` (see the module docstring).

    ``counts`` covers the period so far; ``window_counts`` each window of
    :func:`alert_windows`; ``slices`` the period's complete timeslices, in order, when the SLO
    budgets by timeslices (ignored otherwise).
    """
    objective = objective_from_percent(spec.objective)
    length = spec.period if spec.period is not None else period.length
    notes = list(warnings)
    sli, error_ratio = counts.sli, counts.error_ratio
    summary: TimesliceSummary | None = None
    if spec.budgeting != "occurrences" and slices is None:
        notes.append(f"{spec.budgeting} budgeting needs slice counts; counted occurrences")
    elif spec.budgeting == "timeslices" and slices is not None:
        target = float(spec.timeslice_target) if spec.timeslice_target is not None else objective
        summary = summarize_timeslices(slices, target)
        sli, error_ratio = summary.sli, summary.counts.error_ratio
    elif spec.budgeting == "ratio_timeslices" and slices is not None:
        sli = ratio_timeslices_sli(slices)
        error_ratio = None if sli is None else 1 - sli
    remaining = budget_remaining(error_ratio, objective)
    budget = error_budget(objective)
    windows = tuple(window_result(w, window_counts.get(w, Counts(0, 0)), objective,
                                  budget=budget) for w in alert_windows(window_catalog))
    tiers = None
    if window_catalog is not None:
        tiers = evaluate_tiers(window_catalog, objective=objective,
                               window_counts={w.window: w.counts for w in windows}, period=length)
        notes.extend(tiers.warnings)
    hour = next(w for w in windows if w.window == EXHAUSTION_WINDOW)
    exhaustion = time_to_exhaustion(remaining, hour.burn_rate, length)
    return SLOStatus(
        flow=flow, spec=spec, at=at, objective=objective, period=period, period_length=length,
        counts=counts, sli=sli, error_ratio=error_ratio, budget_remaining=remaining,
        windows=windows, tiers=tiers,
        window_catalog=None if window_catalog is None else window_catalog.name,
        exhaustion=exhaustion, slices=summary, warnings=tuple(notes))
