"""Reading the flow rollups for any set of time segments (adapter).

:func:`read_rollups` answers, per flow and segment id, one merged :class:`~slo.rollup.Rollup`,
in one query for every flow: whole hours from ``flow_rollup_hours``, whole minutes from
``flow_rollup_minutes`` and the partial minutes at the edges from ``run_ledger`` (each fact kept
only when its instant lies in the segment), as :func:`slo.segments.plan` lays out. A read costs
the rows of its window, never what lies before it.

Activity columns (items, calls, CPU time) are kept per minute, not per instant: a partial
minute at an edge counts whole for every segment it overlaps (a window counts the activity of
the minutes it touches).

:func:`read_failed` reads what runs that failed did (``flow_rollup_failed_hours``) for whole
UTC days. Every value is a bound parameter. Raises
:class:`~warehouse.errors.WarehouseError` when the warehouse fails.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from slo.rollup import Rollup, from_row
from slo.rollup_sql import (
    MERGE,
    check_columns,
    ledger_expressions,
    select_list,
    within,
)
from slo.segments import HOUR_NS, MINUTE_NS, Plan, Segment, plan
from warehouse.port import Warehouse

_NS_PER_S = 10**9
_NS_PER_US = 1_000


def _seconds(ns: int) -> int:
    return ns // _NS_PER_S


def _moment(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


MAX_COVER = 16
"""Most time intervals a read's ``WHERE`` names for the primary key, per table: its ranges
merged across the smallest gaps until this many are left (a window's two edge stretches of
minutes are read as two short intervals, not as the month between them)."""


def cover(ranges: Sequence[tuple[int, int]], limit: int = MAX_COVER) -> list[tuple[int, int]]:
    """At most ``limit`` sorted, disjoint ``[lo, hi)`` intervals covering every one of
    ``ranges`` (any unit), merging the pairs closest together first. Pure."""
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    while len(merged) > max(limit, 1):
        gap = min(range(len(merged) - 1), key=lambda i: merged[i + 1][0] - merged[i][1])
        merged[gap:gap + 2] = [(merged[gap][0], merged[gap + 1][1])]
    return merged


def _cover_condition(prefix: str, count: int) -> str:
    return " OR ".join(f"(Minute >= {{{prefix}_c{i}_lo:DateTime('UTC')}} "
                       f"AND Minute < {{{prefix}_c{i}_hi:DateTime('UTC')}})" for i in range(count))


def _ranges_part(table: str, prefix: str, columns: Sequence[str], covering: int) -> str:
    lo, hi, ids = (f"{{{prefix}_{x}:Array(Array(Int64))}}[fi]" for x in ("lo", "hi", "id"))
    return f"""
    SELECT fi, {ids}[ri] AS seg, {', '.join(columns)}
    FROM (
        SELECT *, transform(Flow, {{flows:Array(String)}}, {{positions:Array(UInt32)}},
                            toUInt32(0)) AS fi,
            arrayFirstIndex((a, b) -> toInt64(toUnixTimestamp(Minute)) >= a
                                      AND toInt64(toUnixTimestamp(Minute)) < b, {lo}, {hi}) AS ri
        FROM {table} FINAL
        WHERE Flow IN {{flows:Array(String)}} AND ({_cover_condition(prefix, covering)})
    )
    WHERE ri > 0"""  # noqa: S608


def _raw_part(table: str, columns: Sequence[str]) -> str:
    lo, hi = "{s_lo:Array(Array(Int64))}[fi][sj]", "{s_hi:Array(Array(Int64))}[fi][sj]"
    expressions = ledger_expressions(within(lo, hi), "1")
    return f"""
    SELECT fi, {{s_id:Array(Array(Int64))}}[fi][sj] AS seg,
        {select_list(expressions, columns)}
    FROM (
        SELECT *, transform(Flow, {{flows:Array(String)}}, {{positions:Array(UInt32)}},
                            toUInt32(0)) AS fi,
            toInt64(toUnixTimestamp(Minute)) AS t
        FROM {table} FINAL
        WHERE Flow IN {{flows:Array(String)}} AND Minute IN {{raw:Array(DateTime('UTC'))}}
    )
    ARRAY JOIN arrayFilter(j -> {{s_lo:Array(Array(Int64))}}[fi][j] < (t + 60) * 1000000
                                AND {{s_hi:Array(Array(Int64))}}[fi][j] > t * 1000000,
                           arrayEnumerate({{s_lo:Array(Array(Int64))}}[fi])) AS sj
    WHERE has({{r_min:Array(Array(Int64))}}[fi], t)
    GROUP BY fi, seg"""  # noqa: S608


def read_rollups(wh: Warehouse, requests: Mapping[str, Sequence[Segment]],
                 columns: Sequence[str]) -> dict[tuple[str, int], Rollup]:
    """Per ``(flow, segment id)`` with any data, the :class:`Rollup` of the ``columns`` asked
    for (rollup column names; the others stay empty) over the flow's segments in
    ``requests`` (flow name → non-overlapping segments in ns)."""
    check_columns(columns)
    flows = [f for f, segs in requests.items() if segs]
    plans: dict[str, Plan] = {f: plan(requests[f]) for f in flows}
    flows = [f for f in flows if not plans[f].empty]
    if not flows or not columns:
        return {}
    db = wh.database
    params: dict[str, Any] = {"flows": flows, "positions": list(range(1, len(flows) + 1))}
    parts: list[str] = []
    for prefix, level, table in (("h", "hours", "flow_rollup_hours"),
                                 ("m", "minutes", "flow_rollup_minutes")):
        ranges = {f: getattr(plans[f], level) for f in flows}
        if not any(ranges.values()):
            continue
        params[f"{prefix}_lo"] = [[_seconds(r.lo) for r in ranges[f]] for f in flows]
        params[f"{prefix}_hi"] = [[_seconds(r.hi) for r in ranges[f]] for f in flows]
        params[f"{prefix}_id"] = [[r.id for r in ranges[f]] for f in flows]
        covering = cover([(_seconds(r.lo), _seconds(r.hi)) for rs in ranges.values()
                          for r in rs])
        for i, (lo, hi) in enumerate(covering):
            params[f"{prefix}_c{i}_lo"], params[f"{prefix}_c{i}_hi"] = _moment(lo), _moment(hi)
        parts.append(_ranges_part(f"{db}.{table}", prefix, columns, len(covering)))
    if any(plans[f].raw_minutes for f in flows):
        params["raw"] = sorted({_moment(_seconds(m)) for f in flows
                                for m in plans[f].raw_minutes})
        params["r_min"] = [[_seconds(m) for m in plans[f].raw_minutes] for f in flows]
        params["s_lo"] = [[s.lo // _NS_PER_US for s in plans[f].segments] for f in flows]
        params["s_hi"] = [[s.hi // _NS_PER_US for s in plans[f].segments] for f in flows]
        params["s_id"] = [[s.id for s in plans[f].segments] for f in flows]
        parts.append(_raw_part(f"{db}.run_ledger", columns))
    union = "\n    UNION ALL\n".join(parts)
    sql = (f"SELECT fi, seg, {select_list(MERGE, columns)}\n"
           f"FROM ({union}\n)\nGROUP BY fi, seg")
    found: dict[tuple[str, int], Rollup] = {}
    for row in wh.query(sql, params):
        found[(flows[int(row[0]) - 1], int(row[1]))] = from_row(columns, row[2:])
    return found


def read_window(wh: Warehouse, flow: str, start_ns: int, end_ns: int,
                columns: Sequence[str]) -> Rollup:
    """The :class:`Rollup` of ``flow`` over ``[start_ns, end_ns)``."""
    found = read_rollups(wh, {flow: [Segment(1, start_ns, end_ns)]}, columns)
    return found.get((flow, 1), Rollup())


@dataclass(frozen=True)
class FailedDay:
    """What runs of a flow that failed by the end of a range did on one UTC ``day``:
    dead letters and replays (interventions), and per step calls, spans and CPU nanoseconds,
    per partner calls."""

    day: date
    dead_letters: int
    replays: int
    calls: tuple[int, ...]
    spans: tuple[int, ...]
    cpu_ns: tuple[int, ...]
    partner_calls: tuple[int, ...]


def read_failed(wh: Warehouse, flows: Sequence[str], first: date, last: date
                ) -> dict[str, tuple[FailedDay, ...]]:
    """Per flow, per day of ``[first, last]`` with any, what runs that failed on or before
    ``last`` did that day (``flow_rollup_failed_hours``)."""
    if not flows:
        return {}
    start = datetime(first.year, first.month, first.day, tzinfo=UTC)
    end = start + timedelta(days=(last - first).days + 1)
    rows = wh.query(
        f"SELECT Flow, toDate(Minute) AS Day, sum(DeadLetters), sum(Replays), "  # noqa: S608
        f"sumForEach(Calls), sumForEach(Spans), sumForEach(CpuNs), sumForEach(PartnerCalls) "
        f"FROM {wh.database}.flow_rollup_failed_hours FINAL "
        "WHERE Flow IN {flows:Array(String)} AND Minute >= {start:DateTime('UTC')} "
        "AND Minute < {end:DateTime('UTC')} AND FailDay <= {last:Date} "
        "GROUP BY Flow, Day ORDER BY Flow, Day",
        {"flows": list(flows), "start": start, "end": end, "last": last})
    found: dict[str, list[FailedDay]] = {}
    for flow, day, dead, replays, calls, spans, cpu, partners in rows:
        found.setdefault(str(flow), []).append(FailedDay(
            day if isinstance(day, date) else date.fromisoformat(str(day)), int(dead),
            int(replays), tuple(int(x) for x in calls), tuple(int(x) for x in spans),
            tuple(int(x) for x in cpu), tuple(int(x) for x in partners)))
    return {f: tuple(days) for f, days in found.items()}


def oldest_open_dead_letter(wh: Warehouse, flow: str) -> int | None:
    """When (ns) the oldest dead letter of ``flow`` still waiting for a success happened, or
    ``None``: the earliest hour holding one (a read of the flow's hour rows), then its minutes'
    ledger rows."""
    db = wh.database
    rows = wh.query(
        f"SELECT min(Minute) FROM {db}.flow_rollup_hours FINAL "  # noqa: S608
        "WHERE Flow = {flow:String} AND OpenDead > 0 HAVING count() > 0", {"flow": flow})
    if not rows or rows[0][0] is None:
        return None
    hour = rows[0][0]
    start = hour if isinstance(hour, datetime) and hour.tzinfo else (
        hour.replace(tzinfo=UTC) if isinstance(hour, datetime) else hour)
    found = wh.query(
        f"SELECT min(toInt64(toUnixTimestamp(Minute)) * 1000000 + DeadAt - 1) "  # noqa: S608
        f"FROM {db}.run_ledger FINAL WHERE Flow = {{flow:String}} "
        "AND Minute >= {start:DateTime('UTC')} AND Minute < {end:DateTime('UTC')} "
        "AND OpenDead = 1 HAVING count() > 0",
        {"flow": flow, "start": start, "end": start + timedelta(hours=1)})
    if not found or found[0][0] is None:
        return None
    return int(found[0][0]) * _NS_PER_US


__all__ = ["HOUR_NS", "MINUTE_NS", "FailedDay", "cover", "oldest_open_dead_letter",
           "read_failed", "read_rollups", "read_window"]
