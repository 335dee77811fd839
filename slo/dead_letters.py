"""The dead-letter queue of a flow, read from the run ledger (adapter + pure helpers).

A run enters the queue when an item of it is dead-lettered (:data:`slo.runs.DEAD_LETTER_PATTERN`)
and leaves it when it later succeeds (the ledger's ``OpenDead`` and ``ReplayAt``). States:

- ``waiting``: dead-lettered, no success since (whatever replays were tried: a failed replay
  keeps a run here, with the attempt listed);
- ``replayed``: it left the queue, and flowscope had sent it a replay the automation accepted;
- ``resolved``: it left the queue without one (the automation retried it, or it was fixed
  elsewhere).

Reads cost what the queue holds, never the flow's history: the waiting runs are the ledger
rows with ``OpenDead`` of the hours whose rollup counts one (``flow_rollup_hours``), the runs
that left it in ``[start, end)`` the rows with ``ReplayAt`` there of the hours counting
``Replays``. A page of runs then gets its details by point lookups: its ledger rows
(:mod:`slo.run_states`), its dead-lettered and failed items (``correlation_items``, ordered by
run), the reason of a failure event (``business_events``), its search keys (``run_keys``) and
the replays tried (:mod:`slo.replay_log`).

``q`` keeps the runs whose id, or one of whose search-key values, contains it (case-insensitive).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from catalog.model import Flow
from slo import page_cursor
from slo.ledger import ensure_current
from slo.replay_log import ReplayAttempt, attempts_of
from slo.run_states import RunState, run_states
from slo.runs import DEAD_LETTER_PATTERN, is_dead_letter
from warehouse.port import Warehouse

QueueState = Literal["waiting", "replayed", "resolved"]
QUEUE_STATES: tuple[QueueState, ...] = ("waiting", "replayed", "resolved")
MAX_PAGE = 500
"""Most dead letters one page lists."""
DEFAULT_PAGE = 50
MAX_QUEUE = 100_000
"""Most runs of one state read before filtering and paging (the oldest waiting, the newest
drained); a queue longer than that says so."""
MAX_RANGES = 64
"""Hour ranges read one by one; more are read as one stretch filtered by hour."""
REASON_FIELDS = ("reason", "error", "message", "errorMessage", "detail")
"""Fields of an event's data (or attributes) read as its failure reason, in this order."""
_HOUR_S = 3600
_US = 1_000_000


@dataclass(frozen=True)
class FailingStep:
    """Where a run failed: the catalog step (``None`` when no step names the item), the item
    (span name or event type) and its service, and the error: the item's status message, the
    latest error before it, or a failure event's reason ("" when none says)."""

    step: str | None
    service: str
    item: str
    error: str


@dataclass(frozen=True)
class DeadLetter:
    """One run of the queue (times in ns)."""

    flow: str
    correlation_id: str
    state: QueueState
    dead_lettered_at: int
    left_at: int | None
    failing: FailingStep | None
    search_keys: dict[str, tuple[str, ...]] = field(default_factory=dict)
    replays: tuple[ReplayAttempt, ...] = ()
    run: RunState | None = None


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue in one state, how many it holds (after ``q``), the next
    page's cursor, and ``truncated`` when more than :data:`MAX_QUEUE` runs were there."""

    state: QueueState
    items: tuple[DeadLetter, ...]
    total: int
    next_cursor: str | None
    truncated: bool = False


# -- pure ------------------------------------------------------------------------------------

def hour_ranges(hours: Sequence[int]) -> list[tuple[int, int]]:
    """Hour starts (s) joined into ``[lo, hi)`` ranges of consecutive hours, in order."""
    ranges: list[tuple[int, int]] = []
    for hour in sorted(set(hours)):
        if ranges and ranges[-1][1] == hour:
            ranges[-1] = (ranges[-1][0], hour + _HOUR_S)
        else:
            ranges.append((hour, hour + _HOUR_S))
    return ranges


def event_reason(attributes: dict[str, str], data: str) -> str:
    """The failure reason an event carries: the first of :data:`REASON_FIELDS` in its
    attributes, then in its data (also ``error.message``); "" when none."""
    for name in REASON_FIELDS:
        if attributes.get(name):
            return attributes[name]
    try:
        parsed: Any = json.loads(data) if data else None
    except ValueError:
        return ""
    if not isinstance(parsed, dict):
        return ""
    for name in REASON_FIELDS:
        value = parsed.get(name)
        if isinstance(value, str) and value:
            return value
        if isinstance(value, dict) and isinstance(value.get("message"), str):
            return str(value["message"])
    return ""


@dataclass(frozen=True)
class RunItem:
    """An item of a run that explains a failure: dead-lettered, or an error."""

    time: int
    kind: str
    service: str
    name: str
    status: str
    message: str
    source: str = ""
    event_id: str = ""


def failing_step(flow: Flow, state: RunState | None, items: Sequence[RunItem],
                 reasons: dict[tuple[str, str], str]) -> FailingStep | None:
    """Where the run failed (see :class:`FailingStep`): its first dead-lettered item, else its
    first error; the step the ledger marked dead, else the step naming the item's service,
    else the last step it reached. ``reasons`` are failure events' reasons by (source, id).
    ``None`` when nothing failed."""
    ordered = sorted(items, key=lambda i: i.time)
    chosen = next((i for i in ordered if is_dead_letter(i.name)), None)
    chosen = chosen or next((i for i in ordered if i.status == "error"), None)
    if chosen is None:
        return None
    error = chosen.message or reasons.get((chosen.source, chosen.event_id), "")
    if not error:
        earlier = [i for i in ordered if i.status == "error" and i.time <= chosen.time
                   and (i.message or reasons.get((i.source, i.event_id)))]
        if earlier:
            last = earlier[-1]
            error = last.message or reasons.get((last.source, last.event_id), "")
    steps = list(flow.steps)
    step: str | None = None
    if state is not None and state.dead_steps and state.dead_steps[0] < len(steps):
        step = steps[state.dead_steps[0]].name
    if step is None:
        step = next((s.name for s in steps if s.service == chosen.service
                     and (s.span is None or s.span == chosen.name)), None)
    if step is None and state is not None:
        step = state.last_step
    return FailingStep(step, chosen.service, chosen.name, error)


def matches(q: str, correlation_id: str, values: Sequence[str]) -> bool:
    """True when ``q`` (case-insensitive) is part of the run id or of one of ``values``."""
    needle = q.casefold()
    return needle in correlation_id.casefold() or any(needle in v.casefold() for v in values)


# -- reads -----------------------------------------------------------------------------------

def _moment(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _hours(wh: Warehouse, flow: str, column: str, start_s: int | None, end_s: int | None
           ) -> list[int]:
    rows = wh.query(
        f"SELECT toInt64(toUnixTimestamp(Minute)) FROM {wh.database}.flow_rollup_hours FINAL "  # noqa: S608
        f"WHERE Flow = {{flow:String}} AND {column} > 0 AND Minute >= {{lo:DateTime('UTC')}} "
        "AND Minute < {hi:DateTime('UTC')}",
        {"flow": flow, "lo": _moment(start_s // _HOUR_S * _HOUR_S if start_s else 0),
         "hi": _moment(end_s if end_s else 4_102_444_800)})
    return [int(r[0]) for r in rows]


def _ledger_instants(wh: Warehouse, flow: str, hours: Sequence[int], column: str,
                     condition: str, order: str) -> tuple[list[tuple[str, int]], bool]:
    """Per run, the earliest ``column`` instant (µs) of the ledger rows meeting ``condition``
    in ``hours``; at most :data:`MAX_QUEUE` in ``order``, and whether there were more."""
    ranges = hour_ranges(hours)
    if not ranges:
        return [], False
    params: dict[str, Any] = {"flow": flow, "limit": MAX_QUEUE + 1}
    if len(ranges) <= MAX_RANGES:
        where = " OR ".join(f"(Minute >= {{lo{i}:DateTime('UTC')}} AND "
                            f"Minute < {{hi{i}:DateTime('UTC')}})" for i in range(len(ranges)))
        for i, (lo, hi) in enumerate(ranges):
            params[f"lo{i}"], params[f"hi{i}"] = _moment(lo), _moment(hi)
    else:
        where = ("Minute >= {lo:DateTime('UTC')} AND Minute < {hi:DateTime('UTC')} AND "
                 "toStartOfHour(Minute) IN {hours:Array(DateTime('UTC'))}")
        params.update(lo=_moment(ranges[0][0]), hi=_moment(ranges[-1][1]),
                      hours=[_moment(h) for h in sorted(set(hours))])
    instant = f"toInt64(toUnixTimestamp(Minute)) * 1000000 + toInt64({column}) - 1"
    rows = wh.query(
        f"SELECT CorrelationId, min({instant}) AS at FROM {wh.database}.run_ledger FINAL "  # noqa: S608
        f"WHERE Flow = {{flow:String}} AND ({where}) AND {condition} "
        f"GROUP BY CorrelationId ORDER BY at {order}, CorrelationId LIMIT {{limit:UInt32}}",
        params)
    found = [(str(cid), int(at)) for cid, at in rows]
    return found[:MAX_QUEUE], len(found) > MAX_QUEUE


def _keys(wh: Warehouse, flow: str, runs: Sequence[str]) -> dict[str, dict[str, list[str]]]:
    if not runs:
        return {}
    rows = wh.query(
        f"SELECT DISTINCT CorrelationId, Key, Value FROM {wh.database}.run_keys "  # noqa: S608
        "WHERE Flow = {flow:String} AND CorrelationId IN {runs:Array(String)} "
        "ORDER BY CorrelationId, Key, Value", {"flow": flow, "runs": sorted(set(runs))})
    found: dict[str, dict[str, list[str]]] = {}
    for cid, key, value in rows:
        found.setdefault(str(cid), {}).setdefault(str(key), []).append(str(value))
    return found


def _items(wh: Warehouse, flow: str, runs: Sequence[str]) -> dict[str, list[RunItem]]:
    if not runs:
        return {}
    rows = wh.query(
        f"SELECT CorrelationId, toInt64(toUnixTimestamp64Nano(Timestamp)) AS t, Kind, "  # noqa: S608
        f"ServiceName, Name, Status, StatusMessage, EventSource, EventId "
        f"FROM {wh.database}.correlation_items FINAL "
        "WHERE CorrelationId IN {runs:Array(String)} AND Flow = {flow:String} "
        "AND (Status = 'error' OR match(Name, {pattern:String})) "
        "ORDER BY CorrelationId, t LIMIT 50 BY CorrelationId",
        {"flow": flow, "runs": sorted(set(runs)), "pattern": DEAD_LETTER_PATTERN})
    found: dict[str, list[RunItem]] = {}
    for cid, t, kind, service, name, status, message, source, event_id in rows:
        found.setdefault(str(cid), []).append(RunItem(
            int(t), str(kind), str(service), str(name), str(status), str(message), str(source),
            str(event_id)))
    return found


def _reasons(wh: Warehouse, items: Sequence[RunItem]) -> dict[tuple[str, str], str]:
    wanted = {(i.source, i.event_id) for i in items if i.kind == "event" and not i.message}
    if not wanted:
        return {}
    rows = wh.query(
        f"SELECT Source, EventId, Attributes, Data FROM {wh.database}.business_events "  # noqa: S608
        "WHERE Source IN {sources:Array(String)} AND EventId IN {ids:Array(String)} "
        "LIMIT 1 BY Source, EventId",
        {"sources": sorted({s for s, _ in wanted}), "ids": sorted({e for _, e in wanted})})
    return {(str(s), str(e)): event_reason({str(k): str(v) for k, v in dict(a).items()}, str(d))
            for s, e, a, d in rows if (str(s), str(e)) in wanted}


def dead_letter_details(wh: Warehouse, flow: Flow, runs: Sequence[tuple[str, int, int | None]],
                        state: QueueState | None = None) -> list[DeadLetter]:
    """The :class:`DeadLetter` of each of ``runs`` (id, dead-lettered at µs or 0 when unknown,
    left the queue at µs), in order; ``state`` is given to all of them, or worked out from the
    ledger and the replays tried when ``None``."""
    ids = [r[0] for r in runs]
    states = run_states(wh, flow, ids)
    items = _items(wh, flow.name, ids)
    reasons = _reasons(wh, [i for found in items.values() for i in found])
    keys = _keys(wh, flow.name, ids)
    tried = attempts_of(wh, flow.name, ids)
    out = []
    for cid, dead_us, left_us in runs:
        run = states.get(cid)
        dead_ns = dead_us * 1000 if dead_us else (run.dead_lettered_at if run else None) or 0
        left_ns = left_us * 1000 if left_us else (run.left_queue_at if run else None)
        replays = tried.get(cid, ())
        chosen = state or ("waiting" if left_ns is None else
                           "replayed" if any(a.outcome == "accepted" for a in replays)
                           else "resolved")
        out.append(DeadLetter(
            flow.name, cid, chosen, dead_ns, left_ns,
            failing_step(flow, run, items.get(cid, []), reasons),
            {k: tuple(v) for k, v in keys.get(cid, {}).items()}, replays, run))
    return out


def _filtered(wh: Warehouse, flow: str, found: list[tuple[str, int]], q: str
              ) -> list[tuple[str, int]]:
    if not q:
        return found
    keys = _keys(wh, flow, [cid for cid, _ in found])
    return [(cid, at) for cid, at in found
            if matches(q, cid, [v for vs in keys.get(cid, {}).values() for v in vs])]


def read_queue(wh: Warehouse, flow: Flow, state: QueueState, *, start_ns: int | None = None,
               end_ns: int | None = None, q: str = "", limit: int = DEFAULT_PAGE,
               cursor: str | None = None) -> QueuePage:
    """One page of ``flow``'s dead letters in ``state``: waiting ones (oldest dead letter
    first, whatever ``start_ns``/``end_ns``), or the ones that left the queue within
    ``[start_ns, end_ns)`` (newest first), filtered by ``q``, at most ``limit`` after
    ``cursor``. Raises :class:`~warehouse.errors.InvalidCursor` for a cursor this function did
    not write, :class:`~slo.errors.RollupsNotReady` while the flow's ledger is being built."""
    ensure_current(wh, [flow])
    if state == "waiting":
        hours = _hours(wh, flow.name, "OpenDead", None, None)
        found, truncated = _ledger_instants(wh, flow.name, hours, "DeadAt", "OpenDead = 1",
                                            "ASC")
    else:
        lo_s = (start_ns or 0) // 10**9
        hi_s = -(-(end_ns or 4_102_444_800 * 10**9) // 10**9)
        hours = _hours(wh, flow.name, "Replays", lo_s, hi_s)
        found, truncated = _ledger_instants(wh, flow.name, hours, "ReplayAt", "ReplayAt > 0",
                                            "DESC")
        lo_us, hi_us = (start_ns or 0) // 1000, -(-(end_ns or 2**62) // 1000)
        found = [(cid, at) for cid, at in found if lo_us <= at < hi_us]
        accepted = {cid for cid, tried in attempts_of(wh, flow.name, [c for c, _ in found]).items()
                    if any(a.outcome == "accepted" for a in tried)}
        found = [(cid, at) for cid, at in found if (cid in accepted) == (state == "replayed")]
    found = _filtered(wh, flow.name, found, q)
    total = len(found)
    if cursor:
        at, cid = page_cursor.decode(cursor, (int, str))
        key = (int(at), str(cid))
        found = [r for r in found if ((r[1], r[0]) > key if state == "waiting"
                                      else (-r[1], r[0]) > (-key[0], key[1]))]
    page = found[:limit]
    following = (page_cursor.encode([page[-1][1], page[-1][0]])
                 if len(found) > limit and page else None)
    rows = [(cid, at, None) if state == "waiting" else (cid, 0, at) for cid, at in page]
    items = dead_letter_details(wh, flow, rows, state)
    return QueuePage(state, tuple(items), total, following, truncated)
