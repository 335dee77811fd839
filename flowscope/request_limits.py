"""Bounded request bodies on every route, checked before any work is done.

:class:`BodyLimit` refuses with 413 a request whose declared ``Content-Length`` is over its
route's limit, and otherwise reads the body — at most the limit — before the route sees it
(then hands it on unchanged), so no handler, JSON parser or Dash callback ever holds more:

| route | limit |
|---|---|
| ``/v1/traces``, ``/v1/logs``, ``/api/v1/events`` | their own: not read here |
| ``/api/v1/costs`` | ``FLOWSCOPE_MAX_BODY_BYTES`` |
| ``/dashboards/...`` (Dash callbacks) | :data:`DASH_BODY_BYTES` (64 KiB) |
| every other route | :data:`DEFAULT_BODY_BYTES` (1 MiB) |

The ingest routes read their bodies themselves, bounded by ``FLOWSCOPE_MAX_BODY_BYTES`` after
decompression. Query strings and headers are bounded by the HTTP parser (16 KiB for the
request line and headers together).
"""

from __future__ import annotations

from typing import Any

from flowscope.access.guard import ASGIApp, Receive, Send
from flowscope.access.keys import INGEST_PATHS

DEFAULT_BODY_BYTES = 1024 * 1024
"""Body limit of routes without their own, in bytes."""
DASH_BODY_BYTES = 64 * 1024
"""Body limit of the dashboards' callbacks, in bytes (a real one is well under 8 KiB)."""


class BodyLimit:
    """ASGI middleware enforcing the limits of the module docstring."""

    def __init__(self, app: ASGIApp, *, import_bytes: int) -> None:
        self.app = app
        self.import_bytes = import_bytes

    def limit(self, path: str) -> int | None:
        """The body limit of ``path`` in bytes; None for routes that bound their own."""
        if path in INGEST_PATHS:
            return None
        if path == "/api/v1/costs":
            return self.import_bytes
        if path == "/dashboards" or path.startswith("/dashboards/"):
            return DASH_BODY_BYTES
        return DEFAULT_BODY_BYTES

    async def __call__(self, scope: Any, receive: Receive, send: Send) -> None:
        limit = self.limit(scope["path"]) if scope["type"] == "http" else None
        if limit is None:
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _too_large(send, limit)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message], receive), send)
                return
            body += message.get("body", b"")
            if len(body) > limit:
                await _too_large(send, limit)
                return
            if not message.get("more_body"):
                break
        whole = {"type": "http.request", "body": bytes(body), "more_body": False}
        await self.app(scope, _replay([whole], receive), send)


def _content_length(scope: Any) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None


def _replay(messages: list[Any], receive: Receive) -> Receive:
    queue = list(messages)

    async def replayed() -> Any:
        if queue:
            return queue.pop(0)
        return await receive()

    return replayed


async def _too_large(send: Send, limit: int) -> None:
    body = ('{"detail": "the request body is larger than this route accepts '
            f'({limit} bytes)"}}').encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
