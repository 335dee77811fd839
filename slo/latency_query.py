"""Latency of a flow over ``[start, end)``: flow time and time in (and waiting before) each step.

- **Flow time** = success - start (0 when the success is stamped first) of the runs that
  succeeded (success strictly before any failure, :mod:`slo.runs`) with a known start and
  whose success lies in ``[start, end)``. With ``step`` set, also per bucket
  ``[start + i * step, start + (i + 1) * step)`` of success time.
- **Time in a step** = the last end (start + duration) minus the first start of the step's
  operations in a run (its spans and events, :func:`slo.runs.step_match`), for the runs whose
  first item at that step lies in ``[start, end)``.
- **Waiting before a step** = its first start minus the last end of the steps before it (in
  catalog order) that the run reached, 0 when they overlap; runs that reached no earlier step
  have none.

Percentiles are computed by ClickHouse's ``quantilesExactInclusive``: exact, with linear
interpolation between the two closest ranks (position ``p * (n - 1)`` of the sorted values, as
Excel's PERCENTILE.INC and numpy's default "linear" method). Durations are milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from catalog.model import Flow
from slo.rings import duration_ns, from_ns, to_ns
from slo.run_source import merged_runs
from slo.runs import step_match
from slo.sli_query import NEVER_NS, FlowRules, rules_parameters, rules_sql
from warehouse.port import Warehouse

PERCENTILES = (0.5, 0.95, 0.99)
MAX_BUCKETS = 1_000
"""Most buckets a latency series may have."""

_NS_PER_MS = 1_000_000


@dataclass(frozen=True)
class LatencySummary:
    """How many durations, and their 50th, 95th and 99th percentiles in milliseconds
    (``None`` when there are none)."""

    count: int
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None


@dataclass(frozen=True)
class StepLatency:
    """Time in a step and waiting before it."""

    step: str
    time: LatencySummary
    wait: LatencySummary


@dataclass(frozen=True)
class LatencyBucket:
    """Flow time of the runs that succeeded in ``[start, end)``."""

    start: datetime
    end: datetime
    flow_time: LatencySummary


@dataclass(frozen=True)
class FlowLatency:
    """Latency of one flow over ``[start, end)`` (see the module docstring)."""

    flow: str
    start: datetime
    end: datetime
    flow_time: LatencySummary
    steps: tuple[StepLatency, ...]
    series: tuple[LatencyBucket, ...] = ()


def summary(count: int, quantiles: Any) -> LatencySummary:
    """A :class:`LatencySummary` from a count and nanosecond percentiles."""
    if count == 0:
        return LatencySummary(0)
    p50, p95, p99 = (float(q) / _NS_PER_MS for q in quantiles)
    return LatencySummary(count, p50, p95, p99)


def _quantiles(expression: str, condition: str | None = None) -> str:
    levels = ", ".join(str(p) for p in PERCENTILES)
    if condition is None:
        return f"quantilesExactInclusive({levels})({expression})"
    return f"quantilesExactInclusiveIf({levels})({expression}, {condition})"


def flow_times_sql(wh: Warehouse, rules: FlowRules) -> str:
    """A SELECT of ``ft``, the flow time (ns), and ``g``, the success (ns), of every run of
    ``rules``' flow that succeeded in ``[t0, t1)`` with a known start (see the module
    docstring); parameters those of :func:`slo.sli_query.rules_parameters` and ``t0``/``t1``."""
    return (f"SELECT greatest(g - s, 0) AS ft, g\nFROM ({rules_sql(wh, [rules], 1)})\n"
            f"WHERE succeeded AND s != {NEVER_NS} AND g >= {{t0:Int64}} AND g < {{t1:Int64}}")


def _flow_time(wh: Warehouse, rules: FlowRules, start: datetime, end: datetime,
               step: timedelta | None) -> tuple[LatencySummary, tuple[LatencyBucket, ...]]:
    body = f"{_quantiles('ft')}\nFROM ({flow_times_sql(wh, rules)})"
    params = rules_parameters([rules], 1)
    params.update(t0=to_ns(start), t1=to_ns(end))
    whole = wh.query(f"SELECT count() AS runs, {body}", params)
    overall = summary(int(whole[0][0]), whole[0][1]) if whole else LatencySummary(0)
    if step is None:
        return overall, ()
    params["step"] = duration_ns(step)
    rows = wh.query(f"SELECT intDiv(g - {{t0:Int64}}, {{step:Int64}}) AS bucket, "
                    f"count() AS runs, {body}\nGROUP BY bucket", params)
    found = {int(r[0]): summary(int(r[1]), r[2]) for r in rows}
    count = -(-(end - start) // step)
    series = tuple(
        LatencyBucket(start + i * step, min(start + (i + 1) * step, end),
                      found.get(i, LatencySummary(0)))
        for i in range(count))
    return overall, series


_STEPS = """
SELECT step, countIf(first >= {{t0:Int64}} AND first < {{t1:Int64}}) AS runs,
    {time_quantiles},
    countIf(first >= {{t0:Int64}} AND first < {{t1:Int64}} AND previous > 0) AS waited,
    {wait_quantiles}
FROM (
    SELECT
        arrayMap(i -> arrayFilter(k ->
            NOT ({{step_service:Array(String)}}[i] = '' AND {{step_name:Array(String)}}[i] = '')
            AND ({{step_service:Array(String)}}[i] = ''
                 OR splitByChar(char(31), k)[1] = {{step_service:Array(String)}}[i])
            AND ({{step_name:Array(String)}}[i] = ''
                 OR splitByChar(char(31), k)[2] = {{step_name:Array(String)}}[i]),
            mapKeys(OpFirst)), range(1, length({{step_service:Array(String)}}) + 1)) AS ops,
        arrayMap(x -> if(empty(x), {never}, arrayMin(arrayMap(
            k -> toUnixTimestamp64Nano(OpFirst[k]), x))), ops) AS firsts,
        arrayMap(x -> if(empty(x), 0, arrayMax(arrayMap(
            k -> toUnixTimestamp64Nano(OpLastEnd[k]), x))), ops) AS lasts,
        arrayMap(i -> arrayMax(arrayConcat([toInt64(0)], arraySlice(lasts, 1, i - 1))),
                 arrayEnumerate(ops)) AS previous_ends
    FROM ({source})
)
ARRAY JOIN arrayEnumerate(ops) AS step, firsts AS first, lasts AS last, previous_ends AS previous
WHERE first != {never}
GROUP BY step ORDER BY step
"""


def _steps(wh: Warehouse, flow: Flow, start: datetime, end: datetime
           ) -> tuple[StepLatency, ...]:
    if not flow.steps:
        return ()
    in_range = "first >= {t0:Int64} AND first < {t1:Int64}"
    sql = _STEPS.format(
        never=NEVER_NS,
        time_quantiles=_quantiles("greatest(last - first, 0)", in_range),
        wait_quantiles=_quantiles("greatest(first - previous, 0)",
                                  f"{in_range} AND previous > 0"),
        source=merged_runs(wh.database, wh.cluster, ["OpFirst", "OpLastEnd"]))
    matches = [step_match(s) for s in flow.steps]
    params = {"flows": [flow.name], "t0": to_ns(start), "t1": to_ns(end),
              "step_service": [m.service or "" for m in matches],
              "step_name": [m.name or "" for m in matches]}
    found = {int(r[0]): (summary(int(r[1]), r[2]), summary(int(r[3]), r[4]))
             for r in wh.query(sql, params)}
    empty = (LatencySummary(0), LatencySummary(0))
    return tuple(StepLatency(s.name, *found.get(i, empty))
                 for i, s in enumerate(flow.steps, start=1))


def flow_latency(wh: Warehouse, flow: Flow, start: datetime, end: datetime, *,
                 step: timedelta | None = None) -> FlowLatency:
    """Latency of ``flow`` over ``[start, end)`` (aware), with a series when ``step`` is set.

    Raises :class:`ValueError` when ``end`` is not after ``start`` or the series would have
    more than :data:`MAX_BUCKETS` buckets, and
    :class:`~warehouse.errors.WarehouseError` when the warehouse fails.
    """
    if end <= start:
        raise ValueError(f"the range must end after it starts, got {start.isoformat()} to "
                         f"{end.isoformat()}")
    if step is not None and (step <= timedelta(0) or (end - start) / step > MAX_BUCKETS):
        raise ValueError(f"step must be positive and give at most {MAX_BUCKETS} buckets, got "
                         f"{step} over {end - start}")
    overall, series = _flow_time(wh, FlowRules.of(flow), start, end, step)
    return FlowLatency(flow.name, from_ns(to_ns(start)), from_ns(to_ns(end)), overall,
                       _steps(wh, flow, start, end), series)
