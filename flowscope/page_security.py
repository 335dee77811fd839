"""Response headers that keep pages from being framed, sniffed or fed foreign scripts.

:class:`SecurityHeaders` adds to every response ``X-Content-Type-Options: nosniff``,
``X-Frame-Options: DENY`` and a ``Content-Security-Policy`` with ``frame-ancestors 'none'``
(no site may frame a flowscope page: clickjacking of the login form or the dashboards). Pages
under ``/dashboards`` get the full policy of :func:`dashboard_policy`: scripts only from this
server plus the Dash renderer's own inline scripts, by hash (``Dash.csp_hashes``); styles from
this server and inline (Plotly writes style elements); images and fonts also as ``data:`` URIs;
requests only to this server; no plugins; forms post only here. ``/docs`` (Swagger UI, served
from a CDN) keeps only ``frame-ancestors 'none'``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flowscope.access.guard import ASGIApp, Receive, Send

FRAME_ONLY = "frame-ancestors 'none'"
"""The policy of responses outside the dashboards."""
_REPLACED = (b"x-content-type-options", b"x-frame-options", b"content-security-policy")


def dashboard_policy(script_hashes: Sequence[str]) -> str:
    """The dashboards' Content-Security-Policy, allowing inline scripts with these hashes."""
    scripts = " ".join(["'self'", *script_hashes])
    return "; ".join([
        "default-src 'self'",
        f"script-src {scripts}",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        FRAME_ONLY,
    ])


class SecurityHeaders:
    """ASGI middleware adding the headers of the module docstring to every HTTP response."""

    def __init__(self, app: ASGIApp, *, dashboard_csp: str) -> None:
        self.app = app
        self.dashboard_csp = dashboard_csp.encode()

    async def __call__(self, scope: Any, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        policy = (self.dashboard_csp if path == "/dashboards" or path.startswith("/dashboards/")
                  else FRAME_ONLY.encode())

        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.lower() not in _REPLACED]
                headers += [(b"x-content-type-options", b"nosniff"),
                            (b"x-frame-options", b"DENY"),
                            (b"content-security-policy", policy)]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
