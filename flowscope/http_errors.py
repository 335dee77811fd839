"""The HTTP error boundary: one answer per failure, the same on every route.

Routes raise their room's errors; :func:`install_error_handlers` (called once by
:func:`flowscope.app.create_app`) answers them with a status and ``{"detail": "..."}``, plus
``Retry-After: 5`` (:data:`RETRY_AFTER_S`) on every 503. The first rule that matches wins:

- :class:`catalog.errors.ParameterError`, or a request FastAPI's own validation refuses → 400,
  with ``"parameter": "<name>"`` (the value sent is never echoed);
- :class:`catalog.errors.NotFound` (a flow, a silence, a correlation id) and
  :class:`cost.errors.NoCostModelError` → 404;
- :class:`collector.errors.CollectorError` → its ``status`` (400, 413, 415, 503); the OTLP
  routes answer a ``google.rpc.Status`` in the request's encoding instead of JSON;
- :class:`alerts.errors.AlertStoreError` → what the warehouse error behind it gets, with the
  store's message (503 while the store is not there yet);
- :class:`warehouse.errors.WarehouseUnavailable` → 503: not ready yet, unreachable, a read
  stopped by its limits, a flow's rollups being built (:class:`slo.errors.RollupsNotReady`);
- any other :class:`warehouse.errors.WarehouseError` (a query that failed, a schema that does
  not match) → 500;
- :class:`flowscope.access.errors.AuditUnavailable` → 503;
- :class:`alerts.errors.OperationRefused` (an operator's replay or maintenance refused) → its
  ``status`` (404, 409, 429 with its own ``Retry-After``, 502, 503);
- :class:`slo.errors.SLOError`, :class:`cost.errors.CostValueError` and
  :class:`alerts.errors.SilenceError` (values the computation cannot use) → 400;
- anything else → 500 ``internal error <id>; the server log has the details``.

Warehouse errors are told by :func:`warehouse.errors.public_message`, never with the engine's
text (versions, paths, SQL): that goes to the log, with every 5xx. The access guard answers
401, 403 and its own 503 before any route runs (:mod:`flowscope.access.guard`). Tests of a
single router install the same handlers.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, replace

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from alerts.errors import AlertsError, AlertStoreError, OperationRefused, SilenceError
from catalog.errors import NotFound, ParameterError
from collector.errors import CollectorError
from collector.otlp_response import status_reply
from collector.routes import OTLP_REPLY
from cost.errors import CostError, CostValueError, NoCostModelError
from flowscope.access.errors import AccessError, AuditUnavailable
from slo.errors import SLOError
from warehouse.errors import WarehouseError, WarehouseUnavailable, public_message

log = logging.getLogger("flowscope")

RETRY_AFTER_S = 5
"""Seconds a client is asked to wait (``Retry-After``) after any 503 a route answers."""
MAX_REPORTED = 5
"""Most validation errors listed in one answer."""

ROOM_ERRORS: tuple[type[Exception], ...] = (
    ParameterError, NotFound, CollectorError, WarehouseError, SLOError, CostError, AlertsError,
    AccessError)
"""The roots of the trees :func:`answer` maps (each room's own, and the catalog's request
errors)."""


@dataclass(frozen=True)
class Answer:
    """What a client is told: ``status``, ``detail``, and the ``parameter`` refused."""

    status: int
    detail: str
    parameter: str | None = None
    retry_after_s: int | None = None
    """``Retry-After`` (s); every 503 gets :data:`RETRY_AFTER_S` when this is None."""


def answer(exc: BaseException) -> Answer | None:
    """The answer the module docstring's table gives ``exc``; None when no row matches."""
    match exc:
        case ParameterError():
            return Answer(400, str(exc), exc.name)
        case NotFound() | NoCostModelError():
            return Answer(404, str(exc))
        case CollectorError():
            return Answer(exc.status, str(exc))
        case AlertStoreError():
            cause = answer(exc.__cause__) if isinstance(exc.__cause__, WarehouseError) else None
            return replace(cause or Answer(503, ""), detail=exc.public)
        case WarehouseUnavailable():
            return Answer(503, public_message(exc))
        case WarehouseError():
            return Answer(500, public_message(exc))
        case AuditUnavailable():
            return Answer(503, str(exc))
        case OperationRefused():
            return Answer(exc.status, str(exc), retry_after_s=exc.retry_after_s)
        case SLOError() | CostValueError() | SilenceError():
            return Answer(400, str(exc))
    return None


def _reply(request: Request, found: Answer, *, otlp: bool = False) -> Response:
    wait = found.retry_after_s or (RETRY_AFTER_S if found.status == 503 else None)
    headers = {"Retry-After": str(wait)} if wait is not None else None
    encoding = getattr(request.state, OTLP_REPLY, None) if otlp else None
    if encoding is not None:
        body, media = status_reply(found.status, found.detail, encoding)
        return Response(body, status_code=found.status, media_type=media, headers=headers)
    content: dict[str, str] = {"detail": found.detail}
    if found.parameter is not None:
        content["parameter"] = found.parameter
    return JSONResponse(content, status_code=found.status, headers=headers)


async def _room_error(request: Request, exc: Exception) -> Response:
    found = answer(exc)
    if found is None:
        return await _unexpected(request, exc)
    if found.status >= 500:
        # the engine's own text is for the log only
        level = logging.WARNING if found.status == 503 else logging.ERROR
        log.log(level, "%s %s answered %d: %s: %s", request.method, request.url.path,
                found.status, type(exc).__name__, exc)
    return _reply(request, found, otlp=isinstance(exc, CollectorError))


async def _invalid_request(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for error in list(exc.errors())[:MAX_REPORTED]:
        loc = [str(part) for part in error.get("loc", ())]
        name = ".".join(loc[1:] if loc and loc[0] in ("query", "path", "header") else loc)
        problems.append((name or "request", str(error.get("msg", "is not valid"))[:200]))
    if not problems:
        problems.append(("request", "is not valid"))
    detail = "; ".join(f"{name}: {message}" for name, message in problems)
    return _reply(request, Answer(400, detail, problems[0][0]))


async def _unexpected(request: Request, exc: Exception) -> Response:
    incident = uuid.uuid4().hex[:12]
    log.error("internal error %s on %s %s", incident, request.method, request.url.path,
              exc_info=exc)
    return _reply(request, Answer(500, f"internal error {incident}; the server log has the "
                                       "details"))


def install_error_handlers(app: FastAPI) -> None:
    """Register the answers of the module docstring on ``app``."""
    for root in ROOM_ERRORS:
        app.add_exception_handler(root, _room_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(Exception, _unexpected)
