"""Bad runs per step, for the error budget each partner consumed (:mod:`slo.attribution`).

For each SLO asked for (counted by runs: ``budgeting: occurrences``), one query over the merged
runs of the flow (:func:`slo.sli_query.rules_sql`, the same rules, modes and maintenance
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
from slo.errors import MaintenanceError
from slo.maintenance import maintenance_intervals
from slo.rings import to_ns
from slo.runs import step_match
from slo.sli_query import NEVER_NS, FlowRules, rules_parameters, rules_sql
from warehouse.port import Warehouse


@dataclass(frozen=True)
class SloPeriod:
    """An SLO of the flow and the period ``[start, end)`` (aware) its budget covers."""

    spec: SLOSpec
    start: datetime
    end: datetime


_FIRSTS = f"""arrayMap(i -> arrayMin(arrayConcat([toInt64({NEVER_NS})], arrayMap(
            v -> toUnixTimestamp64Nano(v), mapValues(mapFilter((k, v) ->
                ({{step_service:Array(String)}}[i] != '' OR {{step_name:Array(String)}}[i] != '')
                AND ({{step_service:Array(String)}}[i] = ''
                     OR splitByChar(char(31), k)[1] = {{step_service:Array(String)}}[i])
                AND ({{step_name:Array(String)}}[i] = ''
                     OR splitByChar(char(31), k)[2] = {{step_name:Array(String)}}[i]),
                OpFirst))))), range(1, length({{step_service:Array(String)}}) + 1))"""

_BY_STEP = """
SELECT si, if(arrayMax(seen) < 0, 0, arrayLastIndex(x -> x = arrayMax(seen), seen)) AS step,
       count() AS bad
FROM (
    SELECT si, arrayMap(x -> if(x <= det, x, -1), firsts) AS seen
    FROM (
        SELECT arrayJoin(range(1, length({{slo_mode:Array(UInt32)}}) + 1)) AS si,
               [{dets}][{{slo_mode:Array(UInt32)}}[si] + 1] AS det,
               [{goods}][{{slo_mode:Array(UInt32)}}[si] + 1] AS good,
               {firsts} AS firsts
        FROM ({runs})
    )
    WHERE det >= {{p0:Array(Int64)}}[si] AND det < {{p1:Array(Int64)}}[si] AND NOT good
)
GROUP BY si, step
"""


def bad_runs_by_step(wh: Warehouse, flow: Flow, periods: Sequence[SloPeriod]
                     ) -> tuple[dict[int, int], ...]:
    """Per entry of ``periods`` (in order): bad runs by 1-based step position in
    ``flow.steps`` (0: the run had reached no step). Runs that became determinate inside a
    maintenance window of the flow are left out, as in the SLI; a maintenance rule that cannot
    be expanded excludes nothing (the SLO status warns about it). Raises
    :class:`~warehouse.errors.WarehouseError` when the query fails."""
    if not periods:
        return ()
    earliest = min(p.start for p in periods)
    latest = max(p.end for p in periods)
    try:
        intervals = maintenance_intervals(flow.maintenance, earliest, latest)
    except MaintenanceError:
        intervals = ()
    rules = FlowRules.of(flow, intervals)
    modes = 1 + len(rules.thresholds)
    runs = rules_sql(wh, [rules], modes, extra=("OpFirst",))
    sql = _BY_STEP.format(
        dets=", ".join(f"det_{m}" for m in range(modes)),
        goods=", ".join(f"toUInt8(good_{m})" for m in range(modes)),
        firsts=_FIRSTS, runs=runs)
    matches = [step_match(s) for s in flow.steps]
    params = rules_parameters([rules], modes)
    params.update(
        slo_mode=[rules.mode(p.spec.latency.threshold if p.spec.latency else None)
                  for p in periods],
        p0=[to_ns(p.start) for p in periods], p1=[to_ns(p.end) for p in periods],
        step_service=[m.service or "" for m in matches],
        step_name=[m.name or "" for m in matches])
    found: list[dict[int, int]] = [{} for _ in periods]
    for si, step, bad in wh.query(sql, params):
        found[int(si) - 1][int(step)] = int(bad)
    return tuple(found)
