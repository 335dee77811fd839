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


def search_runs(wh: Warehouse, flows: Sequence[Flow], key: str, value: str, start_ns: int,
                end_ns: int, *, limit: int = DEFAULT_PAGE, cursor: str | None = None
                ) -> SearchPage:
    """The runs of ``flows`` whose ``key`` held ``value`` (as stored) within
    ``[start_ns, end_ns)``: one page of at most ``limit`` (≤ :data:`MAX_PAGE`) runs after
    ``cursor``. Raises :class:`~warehouse.errors.InvalidCursor` for a cursor this function did
    not write and :class:`~warehouse.errors.WarehouseError` when the warehouse fails."""
    after = page_cursor.decode(cursor, (int, str, str)) if cursor else (0, "", "")
    rows = wh.query(_SEARCH.format(db=wh.database), {
        "key": key, "value": value, "flows": [f.name for f in flows], "lo": start_ns,
        "hi": end_ns, "after": int(cursor is not None), "c_first": after[0],
        "c_flow": after[1], "c_id": after[2], "limit": min(limit, MAX_PAGE) + 1})
    more = len(rows) > limit
    rows = rows[:limit]
    by_flow: dict[str, list[str]] = {}
    for flow, cid, *_ in rows:
        by_flow.setdefault(str(flow), []).append(str(cid))
    states: dict[tuple[str, str], RunState] = {}
    warnings: list[str] = []
    for flow in flows:
        if flow.name not in by_flow:
            continue
        try:
            found = run_states(wh, flow, by_flow[flow.name])
        except RollupsNotReady as exc:
            warnings.append(f"{exc}; its runs are listed without their state")
            continue
        states.update({(flow.name, cid): s for cid, s in found.items()})
    hits = tuple(SearchHit(str(f), str(c), int(first), int(last), states.get((str(f), str(c))))
                 for f, c, first, last, _ in rows)
    total = int(rows[0][4]) if rows else 0
    following = None
    if more and hits:
        last_hit = hits[-1]
        following = page_cursor.encode([last_hit.first_seen, last_hit.flow,
                                        last_hit.correlation_id])
    return SearchPage(hits, total, following, tuple(warnings))
