"""Runs by any search key: "what happened to customer C-42's orders this week?" (adapter).

A point lookup on ``search_items`` (ordered by key and value, kept by the views of
``warehouse/schema/012_search_keys.sql``): the runs whose spans or events carried ``value``
for ``key``, with when the value was first and last seen on each, newest first (by first seen,
then flow and id), one page at a time after an opaque cursor. A run is listed when the value
was seen on it within ``[start, end)``. Each run of the page gets its state from the run
ledger (:mod:`slo.run_states`); a flow whose ledger is being rebuilt lists its runs without a
state and says so in ``warnings``.

The value must be given as stored: hashed when the catalog hashes the key (the routes do it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from catalog.model import Flow
from slo import page_cursor
from slo.errors import RollupsNotReady
from slo.run_states import RunState, run_states
from warehouse.port import Warehouse

MAX_PAGE = 500
"""Most runs one page lists."""
DEFAULT_PAGE = 50

_SEARCH = """
SELECT Flow, CorrelationId, first, last, total FROM (
    SELECT Flow, CorrelationId,
        toInt64(toUnixTimestamp64Nano(min(FirstSeen))) AS first,
        toInt64(toUnixTimestamp64Nano(max(LastSeen))) AS last,
        count() OVER () AS total
    FROM {db}.search_items
    WHERE Key = {{key:String}} AND Value = {{value:String}} AND Flow IN {{flows:Array(String)}}
    GROUP BY Flow, CorrelationId
    HAVING last >= {{lo:Int64}} AND first < {{hi:Int64}}
)
WHERE {{after:UInt8}} = 0 OR first < {{c_first:Int64}}
   OR (first = {{c_first:Int64}} AND (Flow, CorrelationId) > ({{c_flow:String}}, {{c_id:String}}))
ORDER BY first DESC, Flow, CorrelationId
LIMIT {{limit:UInt32}}
"""


@dataclass(frozen=True)
class SearchHit:
    """One run carrying the value: when the value was first and last seen on it (ns), and
    its state (``None`` when the ledger does not know it yet)."""

    flow: str
    correlation_id: str
    first_seen: int
    last_seen: int
    state: RunState | None


@dataclass(frozen=True)
class SearchPage:
    """One page of runs, how many match in all, and the cursor of the next page."""

    hits: tuple[SearchHit, ...]
    total: int
    next_cursor: str | None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Matches:
    """One page of the point lookup: (flow, correlation id, first seen, last seen) rows, how
    many runs match in all, and the cursor of the next page."""

    rows: tuple[tuple[str, str, int, int], ...]
    total: int
    next_cursor: str | None


def matching_runs(wh: Warehouse, flows: Sequence[str], key: str, value: str, start_ns: int,
                  end_ns: int, *, limit: int = DEFAULT_PAGE, cursor: str | None = None
                  ) -> Matches:
    """The point lookup of :func:`search_runs`, without the runs' states."""
    after = page_cursor.decode(cursor, (int, str, str)) if cursor else (0, "", "")
    limit = min(limit, MAX_PAGE)
    rows = wh.query(_SEARCH.format(db=wh.database), {
        "key": key, "value": value, "flows": list(flows), "lo": start_ns, "hi": end_ns,
        "after": int(cursor is not None), "c_first": after[0], "c_flow": after[1],
        "c_id": after[2], "limit": limit + 1})
    found = tuple((str(f), str(c), int(first), int(last)) for f, c, first, last, _ in
                  rows[:limit])
    following = None
    if len(rows) > limit and found:
        following = page_cursor.encode([found[-1][2], found[-1][0], found[-1][1]])
    return Matches(found, int(rows[0][4]) if rows else 0, following)


def search_runs(wh: Warehouse, flows: Sequence[Flow], key: str, value: str, start_ns: int,
                end_ns: int, *, limit: int = DEFAULT_PAGE, cursor: str | None = None
                ) -> SearchPage:
    """The runs of ``flows`` whose ``key`` held ``value`` (as stored) within
    ``[start_ns, end_ns)``: one page of at most ``limit`` (≤ :data:`MAX_PAGE`) runs after
    ``cursor``, each with its state. Raises :class:`~warehouse.errors.InvalidCursor` for a
    cursor this function did not write and :class:`~warehouse.errors.WarehouseError` when the
    warehouse fails."""
    found = matching_runs(wh, [f.name for f in flows], key, value, start_ns, end_ns,
                          limit=limit, cursor=cursor)
    by_flow: dict[str, list[str]] = {}
    for flow, cid, _, _ in found.rows:
        by_flow.setdefault(flow, []).append(cid)
    states: dict[tuple[str, str], RunState] = {}
    warnings: list[str] = []
    for chosen in flows:
        if chosen.name not in by_flow:
            continue
        try:
            known = run_states(wh, chosen, by_flow[chosen.name])
        except RollupsNotReady as exc:
            warnings.append(f"{exc}; its runs are listed without their state")
            continue
        states.update({(chosen.name, cid): s for cid, s in known.items()})
    hits = tuple(SearchHit(f, c, first, last, states.get((f, c)))
                 for f, c, first, last in found.rows)
    return SearchPage(hits, found.total, found.next_cursor, tuple(warnings))
