"""Bad runs per step, for the error budget each partner consumed (:mod:`slo.attribution`).

For every SLO asked for (counted by runs: ``budgeting: occurrences``), one query over the merged
runs of the flows (:func:`slo.sli_query.rules_sql`, the same rules, modes and maintenance
exclusions as the SLI) counts the runs that became determinate and bad inside the SLO's period
``[start, end)``, grouped by the step they are attributed to: the last step reached at or before
the run became determinate (a step is reached at the first start of its operations,
:func:`slo.runs.step_match`, read from ``OpFirst``). Every value is a bound parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from catalog.model import Flow, SLOSpec
from slo.maintenance import excluded_intervals
from slo.rings import to_ns
from slo.runs import step_match
from slo.sli_query import (
    NEVER_NS,
    STEP_SELECTS,
    FlowRules,
    rules_parameters,
    rules_sql,
    step_key_parts,
)
from warehouse.port import Warehouse


@dataclass(frozen=True)
class SloPeriod:
    """An SLO of ``flow`` and the period ``[start, end)`` (aware) its budget covers."""

    flow: str
    spec: SLOSpec
    start: datetime
    end: datetime


# Per step of the run's flow, the earliest first start among the run's operation keys it
# selects (never when none).
_FIRSTS = f"""arrayMap((p, n) -> arrayMin(arrayConcat([toInt64({NEVER_NS})], arrayMap(
            (k, v) -> if({STEP_SELECTS}, toUnixTimestamp64Nano(v), toInt64({NEVER_NS})),
            mapKeys(OpFirst), mapValues(OpFirst)))),
        {{step_prefix:Array(Array(String))}}[fi], {{step_infix:Array(Array(String))}}[fi])"""

_BY_STEP = """
SELECT si, if(arrayMax(seen) < 0, 0, arrayLastIndex(x -> x = arrayMax(seen), seen)) AS step,
       count() AS bad
FROM (
    SELECT si, arrayMap(x -> if(x <= det, x, -1), {firsts}) AS seen
    FROM (
        SELECT fi, OpFirst, si, det
        FROM (
            SELECT fi, OpFirst,
                   arrayJoin(arrayFilter(e -> {{slo_flow:Array(UInt32)}}[e] = fi,
                                         range(1, length({{slo_flow:Array(UInt32)}}) + 1))) AS si,
                   [{dets}][{{slo_mode:Array(UInt32)}}[si] + 1] AS det,
                   [{goods}][{{slo_mode:Array(UInt32)}}[si] + 1] AS good
            FROM ({runs})
        )
        WHERE det >= {{p0:Array(Int64)}}[si] AND det < {{p1:Array(Int64)}}[si] AND NOT good
    )
)
GROUP BY si, step
"""


def _rules(flow: Flow, periods: Sequence[SloPeriod]) -> FlowRules:
    mine = [p for p in periods if p.flow == flow.name]
    intervals, _ = excluded_intervals(flow.maintenance, min(p.start for p in mine),
                                      max(p.end for p in mine))
    return FlowRules.of(flow, intervals)


def bad_runs_by_step(wh: Warehouse, flows: Sequence[Flow], periods: Sequence[SloPeriod]
                     ) -> tuple[dict[int, int], ...]:
    """Per entry of ``periods`` (in order): bad runs by 1-based step position in the steps of
    its flow (0: the run had reached no step), in one query for all ``flows``. Runs that became
    determinate inside a maintenance window of their flow are left out, as in the SLI; a
    maintenance rule that cannot be expanded excludes nothing (the SLO status warns about it).
    Raises :class:`ValueError` for a period of a flow not in ``flows`` and
    :class:`~warehouse.errors.WarehouseError` when the query fails."""
    if not periods:
        return ()
    used = [f for f in flows if any(p.flow == f.name for p in periods)]
    position = {f.name: i for i, f in enumerate(used, start=1)}
    unknown = sorted({p.flow for p in periods} - set(position))
    if unknown:
        raise ValueError(f"no flow named {', '.join(unknown)} among the flows given")
    rules = [_rules(f, periods) for f in used]
    modes = 1 + max(len(r.thresholds) for r in rules)
    sql = _BY_STEP.format(
        dets=", ".join(f"det_{m}" for m in range(modes)),
        goods=", ".join(f"toUInt8(good_{m})" for m in range(modes)),
        firsts=_FIRSTS, runs=rules_sql(wh, rules, modes, extra=("OpFirst",)))
    matches = [[step_match(s) for s in f.steps] for f in used]
    by_name = {r.name: r for r in rules}
    params = rules_parameters(rules, modes)
    params.update(
        slo_flow=[position[p.flow] for p in periods],
        slo_mode=[by_name[p.flow].mode(p.spec.latency.threshold if p.spec.latency else None)
                  for p in periods],
        p0=[to_ns(p.start) for p in periods], p1=[to_ns(p.end) for p in periods],
        step_prefix=[[step_key_parts(m)[0] for m in ms] for ms in matches],
        step_infix=[[step_key_parts(m)[1] for m in ms] for ms in matches])
    found: list[dict[int, int]] = [{} for _ in periods]
    for si, step, bad in wh.query(sql, params):
        found[int(si) - 1][int(step)] = int(bad)
    return tuple(found)
