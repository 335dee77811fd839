"""Where given runs stand, read from the run ledger by point lookups (adapter + pure core).

A run's ledger rows (``run_ledger``, one per run and minute, see
``warehouse/schema/008_run_ledger.sql``) are found through ``run_index`` (flow and correlation
id → the minutes holding its rows), so asking about a page of runs reads those runs' rows and
nothing else, however much history the flow has.

A run's **state** (:func:`state_of`), in this order:

- ``dead-lettered``: an item of it was dead-lettered and no success followed (it waits in the
  dead-letter queue);
- ``replayed``: it was dead-lettered and succeeded later (it left the queue);
- ``succeeded`` / ``failed``: its first terminal item decided (:mod:`slo.runs`);
- ``running``: none of the above yet.

Times are nanoseconds since the epoch, exact to the microsecond (the ledger's precision).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from catalog.model import Flow
from slo.ledger import ensure_current
from warehouse.port import Warehouse

RunStateName = Literal["running", "succeeded", "failed", "dead-lettered", "replayed"]
STATES: tuple[RunStateName, ...] = ("running", "succeeded", "failed", "dead-lettered",
                                    "replayed")
_NS_PER_US = 1_000


@dataclass(frozen=True)
class RunState:
    """What the ledger says about one run (times in ns, ``None`` when it has none).

    ``last_step`` is the latest step (in catalog order) the run reached, ``last_step_at`` when
    it first got there; ``dead_steps`` the 0-based positions of the steps one of whose items was
    dead-lettered; ``ended_at`` the first terminal item (success or failure);
    ``dead_lettered_at`` the first dead-lettered item; ``left_queue_at`` the success that
    followed it.
    """

    flow: str
    correlation_id: str
    state: RunStateName
    entered_at: int | None
    started_at: int | None
    ended_at: int | None
    last_step: str | None
    last_step_at: int | None
    dead_lettered_at: int | None
    left_queue_at: int | None
    dead_steps: tuple[int, ...] = ()


def state_of(*, outcome: int, open_dead: bool, dead_at: int | None, replay_at: int | None
             ) -> RunStateName:
    """The state of a run (module docstring) from its ledger facts: ``outcome`` 0 open,
    1 succeeded, 2 failed. Pure."""
    if open_dead:
        return "dead-lettered"
    if dead_at is not None and replay_at is not None:
        return "replayed"
    if outcome == 1:
        return "succeeded"
    return "failed" if outcome == 2 else "running"


def _us(column: str) -> str:
    """SQL: the instant a ledger offset column holds, in µs since the epoch."""
    return f"toInt64(toUnixTimestamp(Minute)) * 1000000 + toInt64({column}) - 1"


_STATES_SQL = f"""
SELECT CorrelationId,
    minIf({_us('EnteredAt')}, EnteredAt > 0) AS entered,
    anyIf(Outcome, EnteredAt > 0) AS outcome,
    anyIf(Reached, EnteredAt > 0) AS reached,
    anyIf(Dead, EnteredAt > 0) AS dead,
    minIf({_us('StartAt')}, StartAt > 0) AS started,
    minIf({_us('Det[1]')}, length(Det) > 0 AND Det[1] > 0) AS ended,
    minIf({_us('DeadAt')}, DeadAt > 0) AS dead_at,
    minIf({_us('ReplayAt')}, ReplayAt > 0) AS replay_at,
    max(OpenDead) AS open_dead,
    countIf(EnteredAt > 0) AS has_entry,
    countIf(StartAt > 0) AS has_start,
    countIf(length(Det) > 0 AND Det[1] > 0) AS has_end,
    countIf(DeadAt > 0) AS has_dead,
    countIf(ReplayAt > 0) AS has_replay,
    groupArray((toInt64(toUnixTimestamp(Minute)), StepFirst)) AS firsts
FROM (
    -- the newest version of each row (ReplacingMergeTree(Version, Deleted) as FINAL sees it),
    -- read by PREWHERE: only the wanted runs' rows of their minutes' granules
    SELECT * FROM {{db}}.run_ledger
    PREWHERE Flow = {{{{flow:String}}}} AND CorrelationId IN {{{{ids:Array(String)}}}}
         AND Minute IN {{{{minutes:Array(DateTime('UTC'))}}}}
    ORDER BY Minute, CorrelationId, Version DESC
    LIMIT 1 BY Minute, CorrelationId
)
WHERE Deleted = 0
GROUP BY CorrelationId
"""  # noqa: S608 - the database name is ours


def run_minutes(wh: Warehouse, flow: str, ids: Sequence[str]) -> dict[str, list[int]]:
    """Per correlation id of ``flow`` the ledger knows, the minutes (s) that held its rows."""
    if not ids:
        return {}
    rows = wh.query(
        f"SELECT CorrelationId, arrayMap(m -> toInt64(toUnixTimestamp(m)), "  # noqa: S608
        f"groupUniqArrayArray(Minutes)) FROM {wh.database}.run_index "
        "WHERE Flow = {flow:String} AND CorrelationId IN {ids:Array(String)} "
        "GROUP BY CorrelationId", {"flow": flow, "ids": list(ids)})
    return {str(cid): sorted(int(m) for m in minutes) for cid, minutes in rows}


def run_states(wh: Warehouse, flow: Flow, ids: Iterable[str], *, catch_up: bool = True
               ) -> dict[str, RunState]:
    """The :class:`RunState` of each of ``ids`` in ``flow`` that the ledger knows (after
    :func:`slo.ledger.ensure_current`; raises :class:`~slo.errors.RollupsNotReady` while the
    flow's ledger is being built)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    ensure_current(wh, [flow], catch_up=catch_up)
    minutes = run_minutes(wh, flow.name, wanted)
    if not minutes:
        return {}
    rows = wh.query(_STATES_SQL.format(db=wh.database), {
        "flow": flow.name, "ids": sorted(minutes),
        "minutes": sorted({datetime.fromtimestamp(m, UTC) for ms in minutes.values()
                           for m in ms})})
    steps = [s.name for s in flow.steps]
    return {str(row[0]): _state(flow.name, row, steps) for row in rows}


def _state(flow: str, row: Sequence[Any], steps: Sequence[str]) -> RunState:
    (cid, entered, outcome, reached, dead, started, ended, dead_at, replay_at, open_dead,
     has_entry, has_start, has_end, has_dead, has_replay, firsts) = row

    def ns(value: Any, present: Any) -> int | None:
        return int(value) * _NS_PER_US if int(present) > 0 else None

    reached_steps = [int(x) for x in reached] if has_entry else []
    last = max((i for i, r in enumerate(reached_steps) if r and i < len(steps)), default=None)
    last_at = None
    if last is not None:
        hits = [int(minute) * 1_000_000 + int(first[last]) - 1 for minute, first in firsts
                if last < len(first) and int(first[last]) > 0]
        last_at = min(hits) * _NS_PER_US if hits else None
    dead_ns, replay_ns = ns(dead_at, has_dead), ns(replay_at, has_replay)
    return RunState(
        flow=flow, correlation_id=str(cid),
        state=state_of(outcome=int(outcome) if has_entry else 0, open_dead=bool(open_dead),
                       dead_at=dead_ns, replay_at=replay_ns),
        entered_at=ns(entered, has_entry), started_at=ns(started, has_start),
        ended_at=ns(ended, has_end), last_step=steps[last] if last is not None else None,
        last_step_at=last_at, dead_lettered_at=dead_ns,
        left_queue_at=replay_ns if dead_ns is not None else None,
        dead_steps=tuple(i for i, d in enumerate(dead) if int(d)) if has_entry else ())
