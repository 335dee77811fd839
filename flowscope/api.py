"""Query and operations routes: correlation lookup, ``/metrics``, ``/healthz``, ``/readyz``.

The flow routes (``/api/v1/flows...``) live in :mod:`slo.routes`.

Thin adapters: SQL lives in :mod:`warehouse.correlations`; these handlers only translate to HTTP.
Times are RFC 3339 in UTC.

The correlation lookup answers in pages: ``limit`` items (1 to 10,000, default 10,000) after
``cursor`` (the ``next_cursor`` of the previous page, opaque), with ``total`` (items the id
carries in all) and ``next_cursor`` (``null`` on the last page) beside the fields older clients
read (``correlation_id``, ``flow``, ``items``).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from catalog.errors import ParameterError
from catalog.parameters import MAX_ID_CHARS, shown
from collector.search_backfill import SearchBackfill
from warehouse.correlations import MAX_CURSOR_CHARS, MAX_PAGE, Timeline, lookup_correlation
from warehouse.errors import InvalidCursor, WarehouseError, public_message

if TYPE_CHECKING:
    from flowscope.app import Runtime

log = logging.getLogger("flowscope")

MAX_ID_LENGTH = MAX_ID_CHARS
"""Longest correlation id the lookup accepts, in characters."""


def rfc3339(moment: datetime) -> str:
    """``2026-11-27T10:00:00.123456Z`` for an aware datetime (naive ones are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


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


def query_router(runtime: Runtime) -> APIRouter:
    """Routes that read the warehouse or report on the process."""
    router = APIRouter()

    @router.get("/healthz", tags=["operations"], summary="Liveness: the process answers")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", tags=["operations"], summary="Readiness: migrated and writing")
    def readyz() -> JSONResponse:
        writer = runtime.writer
        ready = runtime.ready.is_set() and writer is not None and writer.running
        body: dict[str, Any] = {"status": "ready" if ready else "starting"}
        if runtime.startup_error:
            body["error"] = runtime.startup_error
        if writer is not None and writer.last_error:
            body["writer_error"] = "the writer cannot deliver to the warehouse; retrying"
        if runtime.ledger is not None:
            status = runtime.ledger.status()
            body["rollups"] = {
                "current": status.current, "detail": status.describe(),
                "building": [{"flow": p.flow, "done": p.done, "total": p.total}
                             for p in status.building],
                "pending_runs": status.pending_runs}
        backfill = runtime.warehouse.attachments.get("search_backfill") if (
            runtime.warehouse is not None) else None
        if isinstance(backfill, SearchBackfill) and backfill.building():
            body["search_keys"] = {"indexing": [
                {"flow": p.flow, "done": p.done, "total": p.total} for p in backfill.building()]}
        return JSONResponse(body, status_code=200 if ready else 503)

    @router.get("/metrics", tags=["operations"], summary="Prometheus metrics")
    def metrics() -> Response:
        return Response(generate_latest(runtime.registry), media_type=CONTENT_TYPE_LATEST)

    @router.get(
        "/api/v1/correlations/{correlation_id}",
        tags=["lookup"],
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
        wh = runtime.warehouse
        if wh is None or not runtime.ready.is_set():
            raise HTTPException(503, "the warehouse is not ready yet", {"Retry-After": "5"})
        try:
            timeline = await run_in_threadpool(
                lambda: lookup_correlation(wh, correlation_id, limit=limit, cursor=cursor))
        except InvalidCursor as exc:
            raise ParameterError("cursor", str(exc)) from exc
        except WarehouseError as exc:
            log.warning("correlation lookup failed: %s", exc)
            raise HTTPException(503, f"lookup failed: {public_message(exc)}",
                                {"Retry-After": "5"}) from exc
        if timeline is None:
            raise HTTPException(
                404, f"no spans or events carry the correlation id {shown(correlation_id)}")
        return timeline_json(timeline)

    return router
