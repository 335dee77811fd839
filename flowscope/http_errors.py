"""How the HTTP app answers errors that no route translated itself.

- :class:`catalog.errors.ParameterError` (a parameter that cannot be used, raised by the
  checks of :mod:`catalog.parameters` wherever a route parses one) → 400
  ``{"detail": "<what is wrong>", "parameter": "<name>"}``.
- A request FastAPI's own validation refuses (a wrong type, a number out of range, a missing
  field) → 400 in the same shape, ``parameter`` being the first refused one (``limit``,
  ``body.matchers``); the value sent is never echoed.
- Anything else unhandled → 500 ``{"detail": "internal error ..."}`` with an id that the
  server log repeats beside the traceback; the exception's text is never sent (it may hold
  engine messages, paths or versions).

Installed by :func:`flowscope.app.create_app`; tests of a single router install it the same way.
"""

from __future__ import annotations

import logging
import uuid

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from catalog.errors import ParameterError

log = logging.getLogger("flowscope")


async def _bad_parameter(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ParameterError)
    return JSONResponse({"detail": str(exc), "parameter": exc.name}, status_code=400)


MAX_REPORTED = 5
"""Most validation errors listed in one answer."""


async def _invalid_request(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for error in list(exc.errors())[:MAX_REPORTED]:
        loc = [str(part) for part in error.get("loc", ())]
        name = ".".join(loc[1:] if loc and loc[0] in ("query", "path", "header") else loc)
        problems.append((name or "request", str(error.get("msg", "is not valid"))[:200]))
    if not problems:
        problems.append(("request", "is not valid"))
    detail = "; ".join(f"{name}: {message}" for name, message in problems)
    return JSONResponse({"detail": detail, "parameter": problems[0][0]}, status_code=400)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    incident = uuid.uuid4().hex[:12]
    log.error("internal error %s on %s %s", incident, request.method, request.url.path,
              exc_info=exc)
    return JSONResponse({"detail": f"internal error {incident}; the server log has the details"},
                        status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers of the module docstring on ``app``."""
    app.add_exception_handler(ParameterError, _bad_parameter)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(Exception, _unexpected)
