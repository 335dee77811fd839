"""HTTP side of the audit trail: the middleware that records admin calls, and ``GET /api/v1/audit``.

:class:`AuditTrail` wraps the app outside :class:`flowscope.guard.AccessGuard`. Every request
whose route needs the ``admin`` or ``operate`` scope (:func:`flowscope.access.required_scope`)
and that the guard let through becomes one record once it is answered: action ``api.call``, target
``"<METHOD> <path>"`` (the path cut at 200 characters), actor the key's name, detail
``{"status": <code>, "query": "<query string>"}`` (the query string cut at 512 characters;
headers and bodies are never recorded), remote the client address
(:class:`flowscope.clients.TrustedProxies`). Refused requests are not recorded one by one: the
guard aggregates them (:mod:`flowscope.denials`, action ``api.denied``). A record that cannot
be written is logged (without its content) and the response stands.

``GET /api/v1/audit?from=&to=&limit=`` (admin) lists records, newest first: ``from`` and ``to``
are RFC 3339 (default: the last 24 hours up to now; naive times are UTC), ``limit`` 1 to 10,000
(default 100). It imports waiting records first, so a record made just before is listed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.concurrency import run_in_threadpool

from flowscope.access import required_scope
from flowscope.audit import MAX_LIMIT, AuditLog, clamp, read_audit
from flowscope.clients import TrustedProxies
from flowscope.denials import MAX_PATH_CHARS, DenialLog
from flowscope.guard import ASGIApp
from warehouse.errors import WarehouseError

if TYPE_CHECKING:
    from flowscope.app import Runtime

log = logging.getLogger("flowscope.audit")

MAX_QUERY_CHARS = 512
"""Longest query string kept in an ``api.call`` record, in characters."""
DEFAULT_WINDOW = timedelta(hours=24)
"""What ``GET /api/v1/audit`` covers when ``from`` is not given."""
FROM_HELP = "RFC 3339; default 24 hours before 'to'"


class AuditTrail:
    """ASGI middleware: one audit record per call of an admin route (see the module docstring)."""

    def __init__(self, app: ASGIApp, audit: AuditLog,
                 proxies: TrustedProxies | None = None) -> None:
        self.app = app
        self.audit = audit
        self.proxies = proxies or TrustedProxies()

    async def __call__(
        self,
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[Any]],
        send: Callable[[Any], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http" or required_scope(scope["method"], scope["path"]) not in (
                "admin", "operate"):
            await self.app(scope, receive, send)
            return
        status = [500]

        async def watch(message: Any) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            await self._record(scope, status[0])

    async def _record(self, scope: MutableMapping[str, Any], status: int) -> None:
        state = scope.get("state", {})
        if state.get("access_denied"):
            return  # aggregated by the guard's DenialLog
        query = scope.get("query_string", b"").decode("latin-1")[:MAX_QUERY_CHARS]
        actor = str(state.get("api_key_name") or "anonymous")
        try:
            await run_in_threadpool(
                self.audit.record,
                "api.call",
                actor=actor,
                target=f"{scope['method'][:10]} {scope['path'][:MAX_PATH_CHARS]}",
                detail={"status": status, "query": query},
                remote=self.proxies.client(scope),
            )
        except OSError as exc:
            log.error("cannot write an audit record: %s", exc.strerror or type(exc).__name__)


def audit_router(runtime: Runtime, denials: DenialLog | None = None) -> APIRouter:
    """``GET /api/v1/audit`` over the runtime's warehouse and audit log; refusals still being
    aggregated by ``denials`` are written first."""
    router = APIRouter(tags=["operations"])

    @router.get(
        "/api/v1/audit",
        summary="The audit trail: who did what, when (admin)",
        responses={
            400: {"description": "from is not before to"},
            503: {"description": "warehouse not ready"},
        },
    )
    async def audit(
        start: Annotated[datetime | None, Query(alias="from", description=FROM_HELP)] = None,
        end: Annotated[datetime | None, Query(alias="to", description="RFC 3339; now")] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    ) -> dict[str, Any]:
        if denials is not None:  # before "now" is taken, so that they are listed
            await run_in_threadpool(lambda: denials.flush(everything=True))
        upper = clamp(end) if end is not None else datetime.now(UTC)
        lower = clamp(start) if start is not None else clamp(upper - DEFAULT_WINDOW)
        if lower >= upper:
            raise HTTPException(400, "'from' must be before 'to'")
        wh = runtime.warehouse
        if wh is None or not runtime.ready.is_set():
            raise HTTPException(503, "the warehouse is not ready yet", {"Retry-After": "5"})
        try:
            await run_in_threadpool(runtime.audit.flush)
            records = await run_in_threadpool(read_audit, wh, lower, upper, limit)
        except (WarehouseError, OSError) as exc:
            raise HTTPException(
                503, "the audit trail cannot be read now", {"Retry-After": "5"}
            ) from exc
        return {
            "from": lower.isoformat().replace("+00:00", "Z"),
            "to": upper.isoformat().replace("+00:00", "Z"),
            "items": [r.to_json() for r in records],
        }

    return router
