"""Bad runs per step, for the error budget each partner consumed (:mod:`slo.attribution`).

For every SLO asked for (counted by runs: ``budgeting: occurrences``), one read of the flow
rollups (:func:`slo.rollup_read.read_rollups`, with the same modes and maintenance exclusions
as the SLI) counts the runs that became determinate and bad inside the SLO's period
``[start, end)``, grouped by the step they are attributed to: the last step reached at or before
the run became determinate (a step is reached at the first start of its operations,
:func:`slo.runs.step_match`), kept per run in the run ledger. The cost is the periods' rollup
rows, never the history before them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from catalog.model import Flow, SLOSpec
from slo.declared_maintenance import flow_exclusions
from slo.errors import SLOValueError
from slo.ledger import ensure_current
from slo.rings import to_ns
from slo.rollup import Rollup
from slo.rollup_read import read_rollups
from slo.sli_query import FlowRules
from warehouse.port import Warehouse


@dataclass(frozen=True)
class SloPeriod:
    """An SLO of ``flow`` and the period ``[start, end)`` (aware) its budget covers."""

    flow: str
    spec: SLOSpec
    start: datetime
    end: datetime


def _rules(wh: Warehouse, flow: Flow, periods: Sequence[SloPeriod]) -> FlowRules:
    mine = [p for p in periods if p.flow == flow.name]
    intervals, _ = flow_exclusions(wh, flow, min(p.start for p in mine),
                                   max(p.end for p in mine))
    return FlowRules.of(flow, intervals)


def bad_runs_by_step(wh: Warehouse, flows: Sequence[Flow], periods: Sequence[SloPeriod]
                     ) -> tuple[dict[int, int], ...]:
    """Per entry of ``periods`` (in order): bad runs by 1-based step position in the steps of
    its flow (0: the run had reached no step), in one read for all ``flows``. Runs that became
    determinate inside a maintenance window of their flow are left out, as in the SLI; a
    maintenance rule that cannot be expanded excludes nothing (the SLO status warns about it).
    Raises :class:`ValueError` for a period of a flow not in ``flows`` and
    :class:`~warehouse.errors.WarehouseError` when the read fails."""
    if not periods:
        return ()
    used = [f for f in flows if any(p.flow == f.name for p in periods)]
    names = {f.name for f in used}
    unknown = sorted({p.flow for p in periods} - names)
    if unknown:
        raise SLOValueError(f"no flow named {', '.join(unknown)} among the flows given")
    ensure_current(wh, used)
    rules = {f.name: _rules(wh, f, periods) for f in used}
    windows: dict[str, list[tuple[int, int]]] = {}
    for p in periods:
        window = (to_ns(p.start), to_ns(p.end))
        if window not in windows.setdefault(p.flow, []):
            windows[p.flow].append(window)
    # round k reads the k-th distinct window of every flow, all flows in one query
    rollups: dict[tuple[str, tuple[int, int]], Rollup] = {}
    for k in range(max(len(w) for w in windows.values())):
        chosen = {f: w[k] for f, w in windows.items() if k < len(w)}
        found = read_rollups(wh, {f: rules[f].segments([(1, lo, hi)])
                                  for f, (lo, hi) in chosen.items()}, ["BadSteps"])
        for f, window in chosen.items():
            rollups[(f, window)] = found.get((f, 1), Rollup())
    found_steps: list[dict[int, int]] = []
    for p in periods:
        mode = rules[p.flow].mode(p.spec.latency.threshold if p.spec.latency else None)
        found_steps.append(rollups[(p.flow, (to_ns(p.start), to_ns(p.end)))].bad_by_step(mode))
    return tuple(found_steps)
