"""The operator's write routes (scope ``operate``): replays and maintenance declared now.

- ``POST /api/v1/flows/{flow}/runs/{run_id}/replay`` with an ``Idempotency-Key`` header:
  replays one failed or dead-lettered run (:class:`alerts.replay.ReplayService`): 200 when the
  flow's replay URL accepted it, 502 when it did not (the attempt is recorded, the run stays
  in the queue); a repeat of the key gets the first answer again with
  ``Idempotent-Replayed: true``; 404 unknown run, 409 not replayable, 429 rate limited (with
  ``Retry-After``), 503 not configured.
- ``POST /api/v1/flows/{flow}/dead-letters/replay`` ``{"limit": 1..100, "q": ""}`` with an
  ``Idempotency-Key``: the oldest waiting dead letters matching ``q``, each replayed once,
  answered per run.
- ``POST /api/v1/flows/{flow}/maintenance`` ``{"duration": "2h", "reason": "ERP down"}``:
  maintenance from now (:class:`alerts.maintenance_now.MaintenanceService`), 201 with the
  window; ``DELETE /api/v1/flows/{flow}/maintenance/{maintenance_id}`` ends it now.
- ``GET /api/v1/maintenance[?flow=]`` (read): declared windows (active, upcoming, ended in the
  last 7 days) and the catalog's windows active now or within a day.

Who did it is the request's API key (``state.api_key_name``; ``local`` on a server without
keys), the client address comes from ``remote(request)``. Thin adapters: a refusal
(:class:`alerts.errors.OperationRefused`) and a warehouse failure are answered by the app's
error boundary (``flowscope.http_errors``), like on every route.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from alerts.errors import OperationRefused
from alerts.maintenance_now import ListedWindow, MaintenanceService
from alerts.replay import IDEMPOTENCY_HEADER, MAX_BULK, MAX_KEY_CHARS, ReplayService, check_key
from catalog import parameters
from catalog.errors import ParameterError
from slo.declared_maintenance import DeclaredWindow


class BulkReplayIn(BaseModel):
    """Which waiting dead letters to replay: at most ``limit``, oldest first, whose id or a
    search-key value contains ``q``."""

    limit: int = Field(ge=1, le=MAX_BULK)
    q: str = Field(default="", max_length=200)


class MaintenanceIn(BaseModel):
    """Maintenance from now for ``duration`` (``2h``), and why."""

    duration: str = Field(min_length=1, max_length=20)
    reason: str = Field(min_length=1, max_length=500)


def actor_of(request: Request) -> str:
    """The name of the request's API key (``local`` when the server has no keys)."""
    return str(getattr(request.state, "api_key_name", "") or "local")


def _window_json(window: DeclaredWindow, at: datetime) -> dict[str, Any]:
    return ListedWindow(window.flow, "declared", window.starts_at, window.ends_at,
                        window.reason, window).to_json(at)


def operate_router(replays: ReplayService, maintenance: MaintenanceService, *,
                   clock: Callable[[], datetime], remote: Callable[[Request], str]
                   ) -> APIRouter:
    """The routes of the module docstring."""
    router = APIRouter(tags=["operations"])
    key_header = Header(None, alias=IDEMPOTENCY_HEADER, max_length=MAX_KEY_CHARS + 1,
                        description="unique per replay: the same key never replays twice")

    def answered(answer_status: int, body: dict[str, Any], repeated: bool,
                 headers: dict[str, str]) -> JSONResponse:
        extra = {**headers, **({"Idempotent-Replayed": "true"} if repeated else {})}
        return JSONResponse(body, status_code=answer_status, headers=extra or None)

    @router.post("/api/v1/flows/{flow}/runs/{run_id}/replay",
                 summary="Replay one failed or dead-lettered run (operate)",
                 responses={404: {"description": "unknown flow or run"},
                            409: {"description": "not replayable, or the key was used for "
                                                 "another run"},
                            429: {"description": "rate limited (Retry-After)"},
                            502: {"description": "the replay URL did not accept it"},
                            503: {"description": "not configured or not ready"}})
    def replay(request: Request, flow: str, run_id: str,
               idempotency_key: str | None = key_header) -> JSONResponse:
        run = parameters.identifier("run_id", run_id)
        key = check_key(idempotency_key)
        found = replays.replay(flow, run, key, actor=actor_of(request), remote=remote(request))
        return answered(found.status, found.body, found.repeated, found.headers)

    @router.post("/api/v1/flows/{flow}/dead-letters/replay",
                 summary="Replay the oldest waiting dead letters matching a filter (operate)",
                 responses={404: {"description": "unknown flow"},
                            429: {"description": "rate limited before any was sent"},
                            503: {"description": "not configured or not ready"}})
    def replay_bulk(request: Request, flow: str, body: BulkReplayIn,
                    idempotency_key: str | None = key_header) -> JSONResponse:
        key = check_key(idempotency_key)
        found = replays.replay_bulk(flow, limit=body.limit, q=body.q.strip(), key=key,
                                    actor=actor_of(request), remote=remote(request))
        return answered(found.status, found.body, found.repeated, found.headers)

    @router.post("/api/v1/flows/{flow}/maintenance", status_code=201,
                 summary="Declare maintenance from now: left out of SLIs, alerts held back "
                         "(operate)",
                 responses={404: {"description": "unknown flow"}})
    def declare(request: Request, flow: str, body: MaintenanceIn) -> dict[str, Any]:
        length = parameters.duration("duration", body.duration)
        try:
            window = maintenance.declare(flow, length, body.reason, actor=actor_of(request),
                                         remote=remote(request))
        except OperationRefused as exc:
            if exc.status == 400:
                raise ParameterError("duration" if "duration" in str(exc) else "reason",
                                     str(exc)) from exc
            raise
        return _window_json(window, clock())

    @router.delete("/api/v1/flows/{flow}/maintenance/{maintenance_id}",
                   summary="End declared maintenance now (operate)",
                   responses={404: {"description": "unknown flow or maintenance"},
                              409: {"description": "it has ended already"}})
    def end(request: Request, flow: str, maintenance_id: str) -> dict[str, Any]:
        window = maintenance.end(flow, parameters.identifier("maintenance_id", maintenance_id),
                                 actor=actor_of(request), remote=remote(request))
        return _window_json(window, clock())

    @router.get("/api/v1/maintenance",
                summary="Maintenance windows: declared (active, upcoming, recent) and the "
                        "catalog's active now or within a day")
    def listing(flow: str | None = Query(None, max_length=200)) -> dict[str, Any]:
        at = clock()
        try:
            found = maintenance.listing(at, flow or None)
        except OperationRefused as exc:
            if exc.status == 404:
                raise ParameterError("flow", str(exc)) from exc
            raise
        return {"at": at.isoformat().replace("+00:00", "Z"),
                "windows": [w.to_json(at) for w in found]}

    return router


__all__ = ["BulkReplayIn", "MaintenanceIn", "Response", "operate_router"]
