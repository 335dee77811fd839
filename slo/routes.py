"""Flow and SLO routes: ``/api/v1/flows[/{flow}[/slos|/latency|/health|/attribution]]``. Thin
adapters.

Queries live in :mod:`slo.evaluation`, :mod:`slo.latency_query`, :mod:`slo.health_query` and
:mod:`slo.attribution_report`; bodies in :mod:`slo.documents`. Handlers parse parameters
(:mod:`catalog.parameters`), call the queries (FastAPI runs these handlers in its thread pool)
and raise what goes wrong; the app's error boundary (``flowscope.http_errors``) answers it: 400
for a bad parameter, 404 for a flow the catalog does not have, 503 (with ``Retry-After``) while
the warehouse is not ready or is unreachable, a flow's rollups are being built, or a query was
stopped by its limits, 500 when a query fails (the engine's text goes to the log, never to the
client). ``GET /api/v1/flows`` answers from the catalog even before the warehouse is ready
(each flow's ``status`` is then ``null``).

Times are RFC 3339 with a time zone (``2026-11-27T10:00:00Z``) between 1970 and 2200; ``at``
defaults to now, ``to`` to now and ``from`` to one hour before ``to`` (for ``/attribution``: to
each SLO's own period); ``step`` is a catalog duration (``5m``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Query

from catalog import parameters
from catalog.model import Catalog, Flow
from catalog.sources import catalog_dir
from slo.attribution_report import attribute_budget
from slo.documents import (
    attribution_json,
    flow_detail_json,
    flow_json,
    health_json,
    latency_json,
    slos_json,
    status_summary_json,
)
from slo.evaluation import WindowCatalogs, evaluate_flows
from slo.health_query import flow_health
from slo.latency_query import flow_latency
from slo.status import FlowStatus
from warehouse.errors import WarehouseError
from warehouse.port import Warehouse, ready_warehouse

DEFAULT_RANGE = timedelta(hours=1)
"""The range of latency and health when ``from`` is not given."""


def _now() -> datetime:
    return datetime.now(UTC)


def parse_step(text: str | None) -> timedelta | None:
    """The ``step`` query parameter (a catalog duration like ``5m``); ParameterError (400)
    when malformed."""
    if text is None or text == "":
        return None
    return parameters.duration("step", text)


def parse_range(start: str | None, end: str | None, now: datetime) -> tuple[datetime, datetime]:
    """``from`` and ``to``: ``to`` defaults to ``now``, ``from`` to :data:`DEFAULT_RANGE`
    before ``to``; ParameterError unless ``from`` is before ``to``."""
    stop = parameters.instant("to", end, now)
    begin = parameters.instant("from", start, max(stop - DEFAULT_RANGE, parameters.EARLIEST))
    parameters.ordered(begin, stop)
    return begin, stop


def slo_router(catalog: Catalog, warehouse: Callable[[], Warehouse | None], *,
               catalog_path: Path | None = None,
               clock: Callable[[], datetime] = _now) -> APIRouter:
    """The flow and SLO routes over ``catalog``.

    ``warehouse()`` returns the warehouse once it is ready, else ``None``. Window catalogs are
    looked up next to ``catalog_path`` (the flow catalog file, or in its folder) before the
    built-in ones.
    ``clock`` gives "now" (aware).
    """
    router = APIRouter(tags=["flows"])
    dirs = (catalog_dir(catalog_path),) if catalog_path is not None else ()
    catalogs = WindowCatalogs(search_dirs=dirs)

    def find(name: str) -> Flow:
        return parameters.flow(catalog, name)

    def statuses(flows: list[Flow], at: datetime) -> dict[str, FlowStatus]:
        wh = warehouse()
        if wh is None or not flows:
            return {}
        try:
            found = evaluate_flows(wh, flows, at, catalogs=catalogs)
        except WarehouseError:
            return {}
        return {s.flow: s for s in found}

    @router.get("/api/v1/flows", summary="Flows in the catalog, with their SLO status")
    def flows(at: str | None = Query(None, description="RFC 3339; default now")
              ) -> dict[str, Any]:
        moment = parameters.instant("at", at, clock())
        found = statuses(list(catalog.flows), moment)
        return {"flows": [{**flow_json(f), "status": status_summary_json(found.get(f.name))}
                          for f in catalog.flows]}

    @router.get("/api/v1/flows/{flow}", summary="One flow: its catalog entry and status",
                responses={404: {"description": "unknown flow"}})
    def flow_detail(flow: str, at: str | None = Query(None, description="RFC 3339; default now")
                    ) -> dict[str, Any]:
        chosen = find(flow)
        moment = parameters.instant("at", at, clock())
        return flow_detail_json(chosen, statuses([chosen], moment).get(chosen.name))

    @router.get("/api/v1/flows/{flow}/slos",
                summary="SLI, error budget, burn rate per window and alert tiers of each SLO",
                responses={404: {"description": "unknown flow"},
                           503: {"description": "warehouse not ready"}})
    def slos(flow: str, at: str | None = Query(None, description="RFC 3339; default now")
             ) -> dict[str, Any]:
        chosen = find(flow)
        moment = parameters.instant("at", at, clock())
        wh = ready_warehouse(warehouse)
        found = evaluate_flows(wh, [chosen], moment, catalogs=catalogs)
        return slos_json(chosen, found[0])

    @router.get("/api/v1/flows/{flow}/latency",
                summary="p50/p95/p99 of flow time and of each step, and counts",
                responses={404: {"description": "unknown flow"},
                           503: {"description": "warehouse not ready"}})
    def latency(flow: str,
                start: str | None = Query(None, alias="from", description="RFC 3339"),
                end: str | None = Query(None, alias="to", description="RFC 3339; default now"),
                step: str | None = Query(None, description="bucket width, e.g. 5m")
                ) -> dict[str, Any]:
        chosen = find(flow)
        begin, stop = parse_range(start, end, clock())
        width = parse_step(step)
        wh = ready_warehouse(warehouse)
        return latency_json(flow_latency(wh, chosen, begin, stop, step=width), width)

    @router.get("/api/v1/flows/{flow}/health",
                summary="Flow in and out per step, lag, retries, dead letters, first-pass yield",
                responses={404: {"description": "unknown flow"},
                           503: {"description": "warehouse not ready"}})
    def health(flow: str,
               start: str | None = Query(None, alias="from", description="RFC 3339"),
               end: str | None = Query(None, alias="to", description="RFC 3339; default now")
               ) -> dict[str, Any]:
        chosen = find(flow)
        begin, stop = parse_range(start, end, clock())
        wh = ready_warehouse(warehouse)
        return health_json(flow_health(wh, chosen, begin, stop))

    @router.get("/api/v1/flows/{flow}/attribution",
                summary="Error budget used by partner and by step, per SLO",
                responses={404: {"description": "unknown flow"},
                           503: {"description": "warehouse not ready"}})
    def attribution(flow: str,
                    start: str | None = Query(None, alias="from", description="RFC 3339; "
                                              "default: each SLO's own period"),
                    end: str | None = Query(None, alias="to", description="RFC 3339; default now")
                    ) -> dict[str, Any]:
        chosen = find(flow)
        stop = parameters.instant("to", end, clock())
        begin = None if start is None or start == "" else parameters.instant("from", start, stop)
        if begin is not None:
            parameters.ordered(begin, stop)
        wh = ready_warehouse(warehouse)
        return attribution_json(attribute_budget(wh, chosen, stop, begin))

    return router
