"""SQL for the flow rollups: how ``run_ledger`` rows sum into ``flow_rollup_minutes`` and how
rollup rows merge (minutes into hours, and any rows into a window's answer).

Every rollup column has two expressions: :func:`ledger_expression` aggregates ledger rows,
counting a fact only when ``keep`` accepts its instant (every fact for a whole minute; only
facts inside ``[lo, hi)`` for the partial minute at a window's edge), and :data:`MERGE` merges
rollup rows (sums, element-wise sums, element-wise minimum, map sums). The same expressions
recompute a minute, roll minutes into hours and answer reads, so the three can't disagree.

Columns (per flow and minute or hour; "runs entered" are runs whose first item lies there):

- ``Entered``, ``Succeeded``, ``Failed``, ``FirstPass``, ``Errors``: runs entered, of them
  succeeded / failed / first-pass so far, and their error items;
- ``StepEntered``, ``StepLeft``, ``StepWaiting``, ``StepRetried``, ``StepRetries``,
  ``StepDead`` (per step, runs entered): reached, left, waiting, retried, extra attempts, dead;
  ``StepWaitingSince``: the earliest arrival at the step of a waiting run (never: none);
- ``Started``: runs started; ``Valid``/``GoodRuns`` (per mode): runs that became determinate,
  and good ones; ``BadSteps``: bad runs by ``mode * 65536 + step`` (step 0: none reached);
- ``FlowTimes``/``FlowTimeHist``: succeeded runs with a start (by success) and their flow times
  in log buckets (:mod:`slo.sketch`); ``StepTimes``/``StepTimeHist``, ``StepWaits``/
  ``StepWaitHist``: per step, by first arrival, the time in the step and the wait before it
  (hist key ``step * 4096 + bucket``, step from 0);
- ``DeadLetters``, ``Replays``, ``OpenDead``: first dead letters, replays (success after a
  dead letter), dead letters still waiting;
- ``Items``, ``ItemErrors``, ``Calls``, ``Spans``, ``CpuNs``, ``StepErrors``,
  ``PartnerCalls``: activity (each item once) per flow, step and partner.

Pure string building; identifiers come from this module, values are bound by callers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from slo.ledger_sql import NEVER_NS
from slo.sketch import STEP_KEY

ROLLUP_COLUMNS = (
    "Entered", "Succeeded", "Failed", "FirstPass", "Errors", "StepEntered", "StepLeft",
    "StepWaiting", "StepRetried", "StepRetries", "StepDead", "StepWaitingSince", "Started",
    "Valid", "GoodRuns", "BadSteps", "FlowTimes", "FlowTimeHist", "StepTimes", "StepTimeHist",
    "StepWaits", "StepWaitHist", "DeadLetters", "Replays", "OpenDead", "Items", "ItemErrors",
    "Calls", "Spans", "CpuNs", "StepErrors", "PartnerCalls")
"""The value columns of ``flow_rollup_minutes`` / ``flow_rollup_hours``, in table order."""

ACTIVITY_COLUMNS = ("Items", "ItemErrors", "Calls", "Spans", "CpuNs", "StepErrors",
                    "PartnerCalls")
"""Columns counted per minute of activity rather than per instant."""

MERGE: dict[str, str] = {
    **{c: f"sum({c})" for c in ("Entered", "Succeeded", "Failed", "FirstPass", "Errors",
                                 "Started", "FlowTimes", "DeadLetters", "Replays", "OpenDead",
                                 "Items", "ItemErrors")},
    **{c: f"sumForEach({c})" for c in ("StepEntered", "StepLeft", "StepWaiting",
                                        "StepRetried", "StepRetries", "StepDead", "Valid",
                                        "GoodRuns", "StepTimes", "StepWaits", "Calls", "Spans",
                                        "CpuNs", "StepErrors", "PartnerCalls")},
    "StepWaitingSince": "minForEach(StepWaitingSince)",
    **{c: f"sumMap({c})" for c in ("BadSteps", "FlowTimeHist", "StepTimeHist",
                                    "StepWaitHist")},
}
"""How rollup rows of one column merge (rows of a minute into an hour, or into an answer)."""


def _u64(expression: str) -> str:
    return f"arrayMap(x -> toUInt64(x), {expression})"


def _hist(keys: str, kind: str) -> str:
    """A map of ``keys`` (an array) to 1, for sumMap."""
    return f"mapFromArrays(CAST({keys}, 'Array({kind})'), arrayMap(x -> toUInt64(1), {keys}))"


def ledger_expressions(keep: Callable[[str], str], activity: str) -> dict[str, str]:
    """Per rollup column, the aggregate over ``run_ledger`` rows that counts a fact stored as
    ``x`` (an instant: microseconds into the row's minute plus one, 0 for none) when
    ``keep(x)`` (SQL) holds, and the minute's activity when ``activity`` (SQL) holds."""
    entered = keep("EnteredAt")

    def at_entry(expression: str) -> str:
        return f"if({entered}, {expression}, [])"

    def step_hist(values: str) -> str:
        keys = (f"arrayFilter(k -> k >= 0, arrayMap((x, v, i) -> if({keep('x')} AND v > 0, "
                f"toInt64((i - 1) * {STEP_KEY} + v - 1), -1), StepFirst, {values}, "
                f"arrayEnumerate(StepFirst)))")
        return _hist(keys, "UInt32")

    bad_keys = (f"arrayFilter(k -> k >= 0, arrayMap((d, g, b, m) -> if({keep('d')} AND g = 0, "
                f"toInt64((m - 1) * 65536 + b), -1), Det, Good, BadStep, arrayEnumerate(Det)))")
    never = f"toInt64({NEVER_NS})"
    waiting_since = f"arrayMap(x -> if(x = 0, {never}, x), WaitingSince)"
    flow_time_keys = f"if({keep('SuccessAt')} AND FlowTime > 0, [FlowTime - 1], [])"
    return {
        "Entered": f"countIf({entered})",
        "Succeeded": f"countIf({entered} AND Outcome = 1)",
        "Failed": f"countIf({entered} AND Outcome = 2)",
        "FirstPass": f"countIf({entered} AND FirstPass = 1)",
        "Errors": f"sumIf(toUInt64(Errors), {entered})",
        "StepEntered": f"sumForEach({at_entry(_u64('Reached'))})",
        "StepLeft": f"sumForEach({at_entry(_u64('Left'))})",
        "StepWaiting": f"sumForEach({at_entry('arrayMap(x -> toUInt64(x > 0), WaitingSince)')})",
        "StepRetried": f"sumForEach({at_entry('arrayMap(x -> toUInt64(x > 0), Extras)')})",
        "StepRetries": f"sumForEach({at_entry(_u64('Extras'))})",
        "StepDead": f"sumForEach({at_entry(_u64('Dead'))})",
        "StepWaitingSince": f"minForEach({at_entry(waiting_since)})",
        "Started": f"countIf({keep('StartAt')})",
        "Valid": f"sumForEach(arrayMap(d -> toUInt64({keep('d')}), Det))",
        "GoodRuns": f"sumForEach(arrayMap((d, g) -> toUInt64({keep('d')} AND g = 1), Det, Good))",
        "BadSteps": f"sumMap({_hist(bad_keys, 'UInt32')})",
        "FlowTimes": f"countIf({keep('SuccessAt')} AND FlowTime > 0)",
        "FlowTimeHist": f"sumMap({_hist(flow_time_keys, 'UInt16')})",
        "StepTimes": (f"sumForEach(arrayMap((x, v) -> toUInt64({keep('x')} AND v > 0), "
                      f"StepFirst, StepTime))"),
        "StepTimeHist": f"sumMap({step_hist('StepTime')})",
        "StepWaits": (f"sumForEach(arrayMap((x, v) -> toUInt64({keep('x')} AND v > 0), "
                      f"StepFirst, StepWait))"),
        "StepWaitHist": f"sumMap({step_hist('StepWait')})",
        "DeadLetters": f"countIf({keep('DeadAt')})",
        "Replays": f"countIf({keep('ReplayAt')})",
        "OpenDead": f"countIf({keep('DeadAt')} AND OpenDead = 1)",
        "Items": f"sumIf(toUInt64(Items), {activity})",
        "ItemErrors": f"sumIf(toUInt64(ItemErrors), {activity})",
        "Calls": f"sumForEach(if({activity}, {_u64('Calls')}, []))",
        "Spans": f"sumForEach(if({activity}, {_u64('Spans')}, []))",
        "CpuNs": f"sumForEach(if({activity}, CpuNs, []))",
        "StepErrors": f"sumForEach(if({activity}, {_u64('StepErrors')}, []))",
        "PartnerCalls": f"sumForEach(if({activity}, {_u64('PartnerCalls')}, []))",
    }


def whole_minute(x: str) -> str:
    """``keep`` for a whole minute: the fact happened there (its instant is set)."""
    return f"{x} != 0"


def within(lo: str, hi: str) -> Callable[[str], str]:
    """``keep`` for part of a minute: the fact's instant lies in ``[lo, hi)`` (SQL
    expressions in microseconds since the epoch)."""
    def keep(x: str) -> str:
        at = f"(toInt64(toUnixTimestamp(Minute)) * 1000000 + {x} - 1)"
        return f"({x} != 0 AND {at} >= {lo} AND {at} < {hi})"
    return keep


def select_list(expressions: dict[str, str], columns: Sequence[str]) -> str:
    """``expr AS Column, ...`` for ``columns`` (a subset of :data:`ROLLUP_COLUMNS`, in order)."""
    return ",\n    ".join(f"{expressions[c]} AS {c}" for c in columns)


def check_columns(columns: Sequence[str]) -> None:
    """Raise :class:`ValueError` for a name that is not a rollup column."""
    unknown = [c for c in columns if c not in ROLLUP_COLUMNS]
    if unknown:
        raise ValueError(f"unknown rollup column(s): {', '.join(unknown)}")
