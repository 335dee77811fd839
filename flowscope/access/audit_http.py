"""HTTP side of the audit trail: the middleware that records admin calls, and ``GET /api/v1/audit``.

:class:`AuditTrail` wraps the app outside :class:`flowscope.access.guard.AccessGuard`. Every
request whose route needs the ``admin`` or ``operate`` scope
(:func:`flowscope.access.required_scope`) and that the guard let through becomes one record once
it is answered: action ``api.call``, target
``"<METHOD> <path>"`` (the path cut at 200 characters), actor the key's name, detail
``{"status": <code>, "query": "<query string>"}`` (the query string cut at 512 characters;
headers and bodies are never recorded), remote the client address
(:class:`flowscope.access.clients.TrustedProxies`). Refused requests are not recorded one by
one: the guard aggregates them (:mod:`flowscope.access.denials`, action ``api.denied``). A
record that cannot be written is logged (without its content) and the response stands.

``GET /api/v1/audit?from=&to=&limit=`` (admin) lists records, newest first: ``from`` and ``to``
are RFC 3339 with a time zone (default: the last 24 hours up to now; times before 1970 or from
2200 on are held at those bounds), ``limit`` 1 to 10,000 (default 100). It imports waiting
records first, so a record made just before is listed. A pending file that cannot be read is
:class:`~flowscope.access.errors.AuditUnavailable`; the app's error boundary answers it, and
warehouse failures, like on every route.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool

from catalog import parameters
from flowscope.access.audit import MAX_LIMIT, AuditLog, read_audit
from flowscope.access.clients import TrustedProxies
from flowscope.access.denials import MAX_PATH_CHARS, DenialLog
from flowscope.access.errors import AuditUnavailable
from flowscope.access.guard import ASGIApp
from flowscope.access.keys import required_scope
from warehouse.port import Warehouse, ready_warehouse

log = logging.getLogger("flowscope.audit")

MAX_QUERY_CHARS = 512
"""Longest query string kept in an ``api.call`` record, in characters."""
DEFAULT_WINDOW = timedelta(hours=24)
"""What ``GET /api/v1/audit`` covers when ``from`` is not given."""
FROM_HELP = "RFC 3339; default 24 hours before 'to'"
STORED_RESOLUTION = timedelta(milliseconds=1)
"""What the trail stores time to (``DateTime64(3)``). Without ``to``, a read reaches one step
past now, so a record written in the same millisecond as the read (a refusal flushed just
before it) is listed: stored and bounded to the millisecond, it would equal an exclusive ``to``
of now."""


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


def audit_router(warehouse: Callable[[], Warehouse | None], trail: AuditLog,
                 denials: DenialLog | None = None, *,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> APIRouter:
    """``GET /api/v1/audit`` over ``warehouse()`` (``None`` until it is ready) and ``trail``;
    refusals still being aggregated by ``denials`` are written first. ``clock`` gives "now"."""
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
        start: Annotated[str | None, Query(alias="from", description=FROM_HELP)] = None,
        end: Annotated[str | None, Query(alias="to", description="RFC 3339; default now")] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    ) -> dict[str, Any]:
        if denials is not None:  # before "now" is taken, so that they are listed
            await run_in_threadpool(lambda: denials.flush(everything=True))
        upper = parameters.instant("to", end, clock() + STORED_RESOLUTION, clamp=True)
        lower = parameters.instant("from", start, max(upper - DEFAULT_WINDOW,
                                                      parameters.EARLIEST), clamp=True)
        parameters.ordered(lower, upper)
        wh = ready_warehouse(warehouse)
        try:
            await run_in_threadpool(trail.flush)
        except OSError as exc:
            raise AuditUnavailable("the audit trail cannot be read now: its pending records "
                                   "cannot be imported") from exc
        records = await run_in_threadpool(read_audit, wh, lower, upper, limit)
        return {"from": parameters.rfc3339(lower), "to": parameters.rfc3339(upper),
                "items": [r.to_json() for r in records]}

    return router
