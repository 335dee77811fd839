"""Operational health of a flow over ``[start, end)``: flow in and out of each step, lag,
retries, dead letters, first-pass yield, exceptions.

Runs counted are those that **entered** in the range (their first item lies in
``[start, end)``). Per step, in catalog order (a step's operations: :func:`slo.runs.step_match`):

- ``entered``: runs that reached the step; ``left``: of those, runs that reached a later step
  or succeeded; ``waiting``: reached, not left and not failed (in flight at the step).
- ``lag_seconds``: at ``end``, how long the oldest waiting run has been at the step (since
  its first item there); ``None`` when no run waits.
- ``retried_runs``: runs in which one of the step's operations (a span name or event type)
  occurred more than once (distinct span/event ids); ``retries``: the extra attempts.
- ``dead_letters``: runs with a dead-lettered item of the step.
- ``items`` / ``errors``: spans and events of the step, and those with an error status or a
  failure outcome, read from the minute aggregates (``flow_minutes``): whole minutes, from
  the minute containing ``start`` up to ``end``, whatever the runs.

Flow level: ``runs`` entered, ``succeeded``, ``failed`` and ``in_flight``; ``first_pass_yield``
= runs that succeeded with no retry, no dead letter and no failure event / runs entered;
``exceptions_per_1000_runs`` = their error items x 1000 / runs entered; ``dead_letter_inflow``
= runs (any) first dead-lettered within the range; ``oldest_dead_letter_age_seconds`` = at
``end``, the longest a dead-lettered run has waited without a success after its dead letter
(a replay to success ends the wait).

:func:`dead_letter_series` counts the same inflow per bucket of a range (e.g. per hour).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from catalog.model import Flow
from slo.rings import duration_ns, from_ns, to_ns
from slo.run_source import merged_runs
from slo.runs import DEAD_LETTER_PATTERN, FLOW_MINUTES, operation_key, step_match
from slo.sli_query import (
    NEVER_NS,
    STEP_SELECTS,
    FlowRules,
    rules_parameters,
    rules_sql,
    step_key_parts,
)
from warehouse.port import Warehouse

_NS_PER_S = 1_000_000_000
_COLUMNS = ("FirstSeen", "FailureAt", "DeadLetterAt", "Errors", "OpFirst", "OpItems")


@dataclass(frozen=True)
class StepHealth:
    """Health of one step (see the module docstring)."""

    step: str
    entered: int
    left: int
    waiting: int
    lag_seconds: float | None
    retried_runs: int
    retries: int
    dead_letters: int
    items: int
    errors: int


@dataclass(frozen=True)
class FlowHealth:
    """Health of one flow over ``[start, end)`` (see the module docstring)."""

    flow: str
    start: datetime
    end: datetime
    runs: int
    succeeded: int
    failed: int
    in_flight: int
    first_pass_yield: float | None
    exceptions_per_1000_runs: float | None
    dead_letter_inflow: int
    oldest_dead_letter_age_seconds: float | None
    steps: tuple[StepHealth, ...]


_STEP_OPS = f"""arrayMap((p, n) -> arrayFilter(k -> {STEP_SELECTS}, mapKeys(OpItems)),
            {{step_prefix:Array(String)}}, {{step_infix:Array(String)}})"""
"""Per step, the run's operation keys it selects (:data:`slo.sli_query.STEP_SELECTS`)."""

_HEALTH = """
SELECT
    countIf(entered) AS runs,
    countIf(entered AND succeeded) AS ok,
    countIf(entered AND failed) AS ko,
    countIf(entered AND succeeded AND NOT retried AND DeadLetterAt IS NULL
            AND FailureAt IS NULL) AS first_pass,
    sumIf(Errors, entered) AS errors,
    countIf(dl >= {{t0:Int64}} AND dl < {{t1:Int64}}) AS inflow,
    min(if(dl < {{t1:Int64}} AND NOT (g > dl AND g < {{t1:Int64}}), dl, {never})) AS oldest_dl,
    sumForEach(arrayMap(x -> toUInt64(x AND entered), reached)) AS s_entered,
    sumForEach(arrayMap(x -> toUInt64(x AND entered), left)) AS s_left,
    sumForEach(arrayMap(x -> toUInt64(x AND entered), waiting)) AS s_waiting,
    minForEach(arrayMap((x, t) -> if(x AND entered, t, {never}), waiting, firsts)) AS s_oldest,
    sumForEach(arrayMap(x -> toUInt64(x > 0 AND entered), extras)) AS s_retried,
    sumForEach(arrayMap(x -> if(entered, x, 0), extras)) AS s_retries,
    sumForEach(arrayMap(x -> toUInt64(x AND entered), dead)) AS s_dead
FROM (
    SELECT *,
        arrayExists(k -> OpItems[k] > 1, mapKeys(OpItems)) AS retried,
        {step_ops} AS ops,
        arrayMap(x -> notEmpty(x), ops) AS reached,
        arrayMap(x -> if(empty(x), {never}, arrayMin(arrayMap(
            k -> toUnixTimestamp64Nano(OpFirst[k]), x))), ops) AS firsts,
        arrayMap(x -> toUInt64(arraySum(arrayMap(k -> OpItems[k] - 1, x))), ops) AS extras,
        arrayMap(x -> arrayExists(k -> match(splitByChar(char(31), k)[2], {{pattern:String}}),
                                  x), ops) AS dead,
        arrayMap(i -> reached[i] AND (succeeded OR arrayExists(j -> j > i AND reached[j],
                 arrayEnumerate(reached))), arrayEnumerate(reached)) AS left,
        arrayMap((r, l) -> r AND NOT l AND NOT failed, reached, left) AS waiting
    FROM (
        -- only runs that entered or were ever dead-lettered count below: the per-step arrays
        -- above are computed for those alone, not for every run of the flow
        SELECT *,
            toUnixTimestamp64Nano(FirstSeen) >= {{t0:Int64}}
                AND toUnixTimestamp64Nano(FirstSeen) < {{t1:Int64}} AS entered,
            f != {never} AND NOT succeeded AS failed,
            ifNull(toUnixTimestamp64Nano(DeadLetterAt), {never}) AS dl
        FROM ({runs})
        WHERE entered OR dl < {never}
    )
)
"""


def _minutes(wh: Warehouse, flow: str, start: datetime, end: datetime
             ) -> list[tuple[str, int, int]]:
    sql = (f"SELECT ServiceName, Name, Kind, sum(Items), sum(Errors) "  # noqa: S608
           f"FROM {wh.database}.{FLOW_MINUTES} WHERE Flow = {{flow:String}} "
           "AND Minute >= toStartOfMinute(fromUnixTimestamp64Nano({t0:Int64}, 'UTC')) "
           "AND Minute < fromUnixTimestamp64Nano({t1:Int64}, 'UTC') "
           "GROUP BY ServiceName, Name, Kind")
    rows = wh.query(sql, {"flow": flow, "t0": to_ns(start), "t1": to_ns(end)})
    kinds = {"span": "span", "event": "event"}
    return [(operation_key(str(s), str(n), "span" if kinds.get(str(k)) == "span" else "event"),
             int(i), int(e)) for s, n, k, i, e in rows]


def _seconds(end_ns: int, since_ns: Any) -> float | None:
    since = int(since_ns)
    return None if since >= NEVER_NS else max(end_ns - since, 0) / _NS_PER_S


def _column(values: Sequence[Any], index: int) -> int:
    return int(values[index]) if index < len(values) else 0


def flow_health(wh: Warehouse, flow: Flow, start: datetime, end: datetime) -> FlowHealth:
    """Health of ``flow`` over ``[start, end)`` (aware). Raises :class:`ValueError` when
    ``end`` is not after ``start``, :class:`~warehouse.errors.WarehouseError` when the
    warehouse fails."""
    if end <= start:
        raise ValueError(f"the range must end after it starts, got {start.isoformat()} to "
                         f"{end.isoformat()}")
    rules = FlowRules.of(flow)
    matches = [step_match(s) for s in flow.steps]
    runs = rules_sql(wh, [rules], 1, extra=_COLUMNS)
    sql = _HEALTH.format(never=NEVER_NS, step_ops=_STEP_OPS, runs=runs)
    params = rules_parameters([rules], 1)
    params.update(t0=to_ns(start), t1=to_ns(end), pattern=DEAD_LETTER_PATTERN,
                  step_prefix=[step_key_parts(m)[0] for m in matches],
                  step_infix=[step_key_parts(m)[1] for m in matches])
    (row,) = wh.query(sql, params)
    (entered, ok, ko, first_pass, errors, inflow, oldest_dl, s_entered, s_left, s_waiting,
     s_oldest, s_retried, s_retries, s_dead) = row
    end_ns = to_ns(end)
    minutes = _minutes(wh, flow.name, start, end)
    steps = []
    for i, (step, match) in enumerate(zip(flow.steps, matches, strict=True)):
        mine = [(items, errs) for key, items, errs in minutes if match.matches(key)]
        steps.append(StepHealth(
            step=step.name, entered=_column(s_entered, i), left=_column(s_left, i),
            waiting=_column(s_waiting, i),
            lag_seconds=_seconds(end_ns, s_oldest[i]) if i < len(s_oldest) else None,
            retried_runs=_column(s_retried, i), retries=_column(s_retries, i),
            dead_letters=_column(s_dead, i), items=sum(m[0] for m in mine),
            errors=sum(m[1] for m in mine)))
    runs_in = int(entered)
    return FlowHealth(
        flow=flow.name, start=from_ns(to_ns(start)), end=from_ns(end_ns), runs=runs_in,
        succeeded=int(ok), failed=int(ko), in_flight=runs_in - int(ok) - int(ko),
        first_pass_yield=int(first_pass) / runs_in if runs_in else None,
        exceptions_per_1000_runs=int(errors) * 1000 / runs_in if runs_in else None,
        dead_letter_inflow=int(inflow),
        oldest_dead_letter_age_seconds=_seconds(end_ns, oldest_dl),
        steps=tuple(steps))


MAX_BUCKETS = 1_000
"""Most buckets a dead-letter series may have."""

_DEAD_LETTERS = """
SELECT intDiv(dl - {{t0:Int64}}, {{step:Int64}}) AS bucket, count() AS runs
FROM (SELECT toUnixTimestamp64Nano(DeadLetterAt) AS dl FROM ({runs}))
WHERE dl >= {{t0:Int64}} AND dl < {{t1:Int64}}
GROUP BY bucket
"""


@dataclass(frozen=True)
class DeadLetterBucket:
    """Runs first dead-lettered in ``[start, end)``."""

    start: datetime
    end: datetime
    runs: int


def dead_letter_series(wh: Warehouse, flow: Flow, start: datetime, end: datetime,
                       step: timedelta) -> tuple[DeadLetterBucket, ...]:
    """The dead-letter inflow of ``flow`` (runs, any, whose first dead-lettered item lies in
    the bucket; as :attr:`FlowHealth.dead_letter_inflow`) per bucket
    ``[start + i * step, start + (i + 1) * step)`` of ``[start, end)`` (aware; the last bucket
    ends at ``end``), one entry per bucket in order. Raises :class:`ValueError` for a reversed
    range or a step giving more than :data:`MAX_BUCKETS` buckets,
    :class:`~warehouse.errors.WarehouseError` when the warehouse fails."""
    if end <= start:
        raise ValueError(f"the range must end after it starts, got {start.isoformat()} to "
                         f"{end.isoformat()}")
    if step <= timedelta(0) or (end - start) / step > MAX_BUCKETS:
        raise ValueError(f"step must be positive and give at most {MAX_BUCKETS} buckets, got "
                         f"{step} over {end - start}")
    sql = _DEAD_LETTERS.format(runs=merged_runs(wh.database, wh.cluster, ["DeadLetterAt"]))
    rows = wh.query(sql, {"flows": [flow.name], "t0": to_ns(start), "t1": to_ns(end),
                          "step": duration_ns(step)})
    found = {int(b): int(n) for b, n in rows}
    count = -(-(end - start) // step)
    return tuple(DeadLetterBucket(start + i * step, min(start + (i + 1) * step, end),
                                  found.get(i, 0))
                 for i in range(count))
