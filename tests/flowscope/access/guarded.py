"""A Starlette app behind the access guard, called in process: routes of every scope that
answer ``ok`` once the guard lets a request through."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from flowscope.access.guard import AccessGuard
from flowscope.access.keys import KeyStore
from tests.asgi import InProcessClient

ORIGIN = {"origin": "http://t"}
"""The Origin a browser sends with a form posted from the dashboards' own pages."""
BASE_URL = "http://t"
"""The guarded app's own origin."""


async def ok(request: Request) -> PlainTextResponse:
    """What every route answers once the guard lets the request through."""
    return PlainTextResponse("ok")


def guarded_client(store: KeyStore) -> InProcessClient:
    """A client of routes of every scope behind an :class:`AccessGuard` over ``store``."""
    inner = Starlette(
        routes=[
            Route("/v1/traces", ok, methods=["POST"]),
            Route("/api/v1/correlations/{cid}", ok),
            Route("/api/v1/audit", ok),
            Route("/healthz", ok),
            Route("/dashboards/executive", ok),
            Route("/dashboards/_dash-update-component", ok, methods=["POST"]),
        ]
    )
    return InProcessClient(AccessGuard(inner, store), base_url=BASE_URL)
