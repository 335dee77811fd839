"""Operations routes (``/healthz``, ``/readyz``, ``/metrics``) and the correlation lookup.

The flow routes (``/api/v1/flows...``) live in :mod:`slo.routes`.

Thin adapters: SQL lives in :mod:`warehouse.correlations`; what goes wrong is raised and
answered by the error boundary (:mod:`flowscope.http_errors`). Times are RFC 3339 in UTC.

The correlation lookup answers in pages: ``limit`` items (1 to 10,000, default 10,000) after
``cursor`` (the ``next_cursor`` of the previous page, opaque), with ``total`` (items the id
carries in all) and ``next_cursor`` (``null`` on the last page) beside the fields older clients
read (``correlation_id``, ``flow``, ``items``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from catalog.errors import NotFound, ParameterError
from catalog.parameters import MAX_ID_CHARS, rfc3339, shown
from warehouse.correlations import MAX_CURSOR_CHARS, MAX_PAGE, Timeline, lookup_correlation
from warehouse.errors import InvalidCursor
from warehouse.port import Warehouse, ready_warehouse

MAX_ID_LENGTH = MAX_ID_CHARS
"""Longest correlation id the lookup accepts, in characters."""

Readiness = Callable[[], tuple[bool, dict[str, Any]]]
"""Whether the server is ready, and the body of ``/readyz`` that says so."""


def timeline_json(timeline: Timeline) -> dict[str, Any]:
    """The JSON body of ``GET /api/v1/correlations/{id}`` (one page)."""
    return {
        "correlation_id": timeline.correlation_id,
        "flow": timeline.flow,
        "total": timeline.count,
        "next_cursor": timeline.next_cursor,
        "items": [
            {
                "kind": i.kind,
                "service": i.service,
                "name": i.name,
                "time": rfc3339(i.time),
                "duration_ms": i.duration_ms,
                "status": i.status,
                "status_message": i.status_message,
                "trace_id": i.trace_id,
                "span_id": i.span_id,
                "parent_span_id": i.parent_span_id,
                "event_source": i.event_source,
                "event_id": i.event_id,
                "outcome": i.outcome,
            }
            for i in timeline.items
        ],
    }


def operations_router(readiness: Readiness, registry: CollectorRegistry) -> APIRouter:
    """``/healthz`` (the process answers), ``/readyz`` (200 once ``readiness()`` says so, else
    503, with its body either way) and ``/metrics`` (``registry``, collected at scrape time)."""
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Liveness: the process answers")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="Readiness: migrated and writing")
    def readyz() -> JSONResponse:
        ready, body = readiness()
        return JSONResponse(body, status_code=200 if ready else 503)

    @router.get("/metrics", summary="Prometheus metrics")
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router


def lookup_router(warehouse: Callable[[], Warehouse | None]) -> APIRouter:
    """``GET /api/v1/correlations/{id}`` over ``warehouse()`` (``None`` until it is ready)."""
    router = APIRouter(tags=["lookup"])

    @router.get(
        "/api/v1/correlations/{correlation_id}",
        summary="Every hop of one business id (order, lead, refund...) in time order, by pages",
        responses={400: {"description": "a bad limit or cursor"},
                   404: {"description": "unknown id"},
                   503: {"description": "warehouse not ready, or the lookup was stopped"}},
    )
    async def correlation(
        correlation_id: str = Path(min_length=1, max_length=MAX_ID_LENGTH),
        limit: int = Query(MAX_PAGE, ge=1, le=MAX_PAGE, description="items per page"),
        cursor: str | None = Query(None, max_length=MAX_CURSOR_CHARS,
                                   description="next_cursor of the previous page"),
    ) -> dict[str, Any]:
        wh = ready_warehouse(warehouse)
        try:
            timeline = await run_in_threadpool(
                lambda: lookup_correlation(wh, correlation_id, limit=limit, cursor=cursor))
        except InvalidCursor as exc:
            raise ParameterError("cursor", str(exc)) from exc
        if timeline is None:
            raise NotFound(f"no spans or events carry the correlation id {shown(correlation_id)}")
        return timeline_json(timeline)

    return router
