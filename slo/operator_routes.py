"""The operator's read routes: runs by any search key, and a flow's dead-letter queue.

``GET /api/v1/search?key=customer.id&value=C-42[&flow=][&from=&to=][&limit=&cursor=]`` lists
the runs whose spans or events carried the value (:mod:`slo.search_query`), newest first, with
their flow, state (running, succeeded, failed, dead-lettered, replayed), start and last step;
``key`` must be a search key some flow declares (of ``flow``, when given). A key the catalog
hashes is searched by the hash of the value given (``stored`` says how a value is stored).
``from``/``to`` keep runs on which the value was seen in that range (default: all time).

``GET /api/v1/flows/{flow}/dead-letters?state=waiting|replayed|resolved[&q=][&from=&to=]
[&limit=&cursor=]`` lists the flow's dead letters (:mod:`slo.dead_letters`): the waiting ones
oldest first, or the ones that left the queue in ``[from, to)`` (default the last 7 days),
newest first; each with its failing step and error, how long it waited, its search keys and the
replays tried.

Both answer pages of at most ``limit`` (1 to 500, default 50) after ``cursor``; parameters are
checked by :mod:`catalog.parameters` (400 naming the parameter); an unknown flow and a failing
warehouse are answered by the app's error boundary (``flowscope.http_errors``: 404, 503 with
``Retry-After``, 500), engine text never reaching an answer. Thin adapters.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Query

from catalog import parameters
from catalog.durations import human_duration
from catalog.errors import ParameterError
from catalog.model import Catalog, Flow
from slo import dead_letters, search_query
from slo.dead_letters import QUEUE_STATES, DeadLetter, QueueState
from slo.run_states import RunState
from slo.search_query import SearchHit
from warehouse.errors import InvalidCursor
from warehouse.port import Warehouse, ready_warehouse

DRAINED_RANGE = timedelta(days=7)
"""What ``replayed`` and ``resolved`` cover when ``from`` is not given."""
MAX_Q_CHARS = 200


def _time(ns: int | None) -> str | None:
    if ns is None:
        return None
    moment = datetime.fromtimestamp(ns // 1000 / 1e6, UTC)
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def _ns(moment: datetime) -> int:
    return (moment - parameters.EARLIEST) // timedelta(microseconds=1) * 1000


def run_json(state: RunState | None) -> dict[str, Any]:
    """The ledger's view of a run, as JSON fields (all ``null`` when unknown)."""
    if state is None:
        return {"state": None, "started_at": None, "entered_at": None, "ended_at": None,
                "last_step": None, "last_step_at": None, "dead_lettered_at": None}
    return {"state": state.state, "started_at": _time(state.started_at),
            "entered_at": _time(state.entered_at), "ended_at": _time(state.ended_at),
            "last_step": state.last_step, "last_step_at": _time(state.last_step_at),
            "dead_lettered_at": _time(state.dead_lettered_at)}


def hit_json(hit: SearchHit) -> dict[str, Any]:
    """One run found by a search."""
    return {"flow": hit.flow, "correlation_id": hit.correlation_id, **run_json(hit.state),
            "first_seen": _time(hit.first_seen), "last_seen": _time(hit.last_seen)}


def dead_letter_json(letter: DeadLetter, at: datetime) -> dict[str, Any]:
    """One dead letter, with how long it waited (until it left the queue, or ``at``)."""
    end = letter.left_at if letter.left_at is not None else _ns(at)
    waited = max(0, end - letter.dead_lettered_at) / 1e9 if letter.dead_lettered_at else None
    failing = letter.failing
    run = letter.run
    return {
        "run": letter.correlation_id, "flow": letter.flow, "state": letter.state,
        "dead_lettered_at": _time(letter.dead_lettered_at or None),
        "left_at": _time(letter.left_at), "waited_seconds": waited,
        "waited": human_duration(waited) if waited is not None else None,
        "failing_step": None if failing is None else {
            "step": failing.step, "service": failing.service, "item": failing.item,
            "error": failing.error or None},
        "search_keys": {k: list(v) for k, v in sorted(letter.search_keys.items())},
        "replays": [{"at": a.at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                     "by": a.actor, "result": a.outcome, "status": a.status or None,
                     "latency_ms": a.latency_ms, "error": a.error or None}
                    for a in letter.replays],
        "last_step": run.last_step if run else None,
        "started_at": _time(run.started_at) if run else None,
    }


def operator_read_router(catalog: Catalog, warehouse: Callable[[], Warehouse | None], *,
                         stored: Callable[[str, str], str | None],
                         clock: Callable[[], datetime]) -> APIRouter:
    """The routes of the module docstring over ``catalog``; ``stored(key, value)`` is how the
    index holds ``value`` of ``key`` (hashed, or ``None`` when the catalog drops it)."""
    router = APIRouter(tags=["operations"])

    def ready() -> Warehouse:
        return ready_warehouse(warehouse)

    def run(action: str, call: Callable[[], Any]) -> Any:
        """``call()``; a cursor it cannot use is a 400 (any other failure goes on to the app's
        error boundary, answered like on every route)."""
        try:
            return call()
        except InvalidCursor as exc:
            raise ParameterError("cursor", str(exc)) from exc

    def searched_flows(key: str, flow: str | None) -> list[Flow]:
        if flow is not None and flow != "":
            chosen = catalog.flow(flow)
            if chosen is None:
                raise ParameterError("flow", f"no flow named {parameters.shown(flow)} in the "
                                             "catalog")
            candidates = [chosen]
        else:
            candidates = list(catalog.flows)
        found = [f for f in candidates if key in f.search_keys]
        if not found:
            where = f"of flow {candidates[0].name}" if flow else "of any flow"
            declared = sorted({k for f in candidates for k in f.search_keys})
            hint = (f"; search keys: {', '.join(declared)}" if declared else
                    "; declare search_keys: [customer.id, ...] on a flow in the catalog")
            raise ParameterError("key", f"{parameters.shown(key)} is not a search key {where}"
                                        f"{hint} (look runs up by their correlation id at "
                                        "/api/v1/correlations/ID)")
        return found

    @router.get("/api/v1/search", summary="Runs by any search key (customer, invoice...), "
                "newest first, with their state",
                responses={400: {"description": "a bad parameter, or a key no flow declares"},
                           503: {"description": "warehouse not ready"}})
    def search(
        key: str = Query(..., max_length=200, description="a search key, e.g. customer.id"),
        value: str = Query(..., max_length=parameters.MAX_ID_CHARS, description="e.g. C-42"),
        flow: str | None = Query(None, max_length=200, description="only this flow"),
        start: str | None = Query(None, alias="from", description="RFC 3339; default: all"),
        end: str | None = Query(None, alias="to", description="RFC 3339; default now"),
        limit: int = Query(search_query.DEFAULT_PAGE, ge=1, le=search_query.MAX_PAGE),
        cursor: str | None = Query(None, max_length=4096),
    ) -> dict[str, Any]:
        wanted = parameters.identifier("value", value)
        chosen = searched_flows(key, flow)
        stop = parameters.instant("to", end, clock())
        begin = parameters.instant("from", start, parameters.EARLIEST)
        if begin >= stop:
            raise ParameterError("from", f"the range must end after it starts: from "
                                         f"({begin.isoformat()}) is not before to "
                                         f"({stop.isoformat()})")
        held = stored(key, wanted)
        if held is None:
            raise ParameterError("key", f"{key} is dropped by the catalog's redaction: no value "
                                        "of it is stored")
        wh = ready()
        page = run("search", lambda: search_query.search_runs(
            wh, chosen, key, held, _ns(begin), _ns(stop), limit=limit, cursor=cursor or None))
        body: dict[str, Any] = {
            "key": key, "value": wanted, "from": _time(_ns(begin)), "to": _time(_ns(stop)),
            "total": page.total, "next_cursor": page.next_cursor,
            "runs": [hit_json(h) for h in page.hits], "warnings": list(page.warnings)}
        if held != wanted:
            body["note"] = (f"{key} is stored hashed (the catalog's redaction): runs were "
                            "searched by the hash of the value given")
        return body

    @router.get("/api/v1/flows/{flow}/dead-letters",
                summary="The flow's dead letters: waiting (oldest first), replayed or resolved",
                responses={404: {"description": "unknown flow"},
                           503: {"description": "warehouse not ready, or rollups building"}})
    def dead_letter_queue(
        flow: str,
        state: str = Query("waiting", max_length=20,
                           description="waiting, replayed or resolved"),
        q: str = Query("", max_length=MAX_Q_CHARS,
                       description="part of a run id or of a search-key value"),
        start: str | None = Query(None, alias="from", description="RFC 3339; replayed and "
                                  "resolved only; default 7 days before to"),
        end: str | None = Query(None, alias="to", description="RFC 3339; default now"),
        limit: int = Query(dead_letters.DEFAULT_PAGE, ge=1, le=dead_letters.MAX_PAGE),
        cursor: str | None = Query(None, max_length=4096),
    ) -> dict[str, Any]:
        chosen = parameters.flow(catalog, flow)
        if state not in QUEUE_STATES:
            raise ParameterError("state", f"state must be one of {', '.join(QUEUE_STATES)}; "
                                          f"got {parameters.shown(state)}")
        queue_state: QueueState = next(s for s in QUEUE_STATES if s == state)
        at = clock()
        stop = parameters.instant("to", end, at)
        begin = parameters.instant("from", start, max(stop - DRAINED_RANGE, parameters.EARLIEST))
        if begin >= stop:
            raise ParameterError("from", f"the range must end after it starts: from "
                                         f"({begin.isoformat()}) is not before to "
                                         f"({stop.isoformat()})")
        wh = ready()
        page = run("dead-letter read", lambda: dead_letters.read_queue(
            wh, chosen, queue_state, start_ns=_ns(begin), end_ns=_ns(stop), q=q.strip(),
            limit=limit, cursor=cursor or None))
        body: dict[str, Any] = {
            "flow": chosen.name, "state": queue_state, "q": q.strip() or None,
            "total": page.total, "next_cursor": page.next_cursor,
            "dead_letters": [dead_letter_json(d, at) for d in page.items]}
        if queue_state != "waiting":
            body.update({"from": _time(_ns(begin)), "to": _time(_ns(stop))})
        if page.truncated:
            body["warnings"] = [f"more than {dead_letters.MAX_QUEUE:,} runs are {queue_state}: "
                                "only those were read"]
        return body

    return router
