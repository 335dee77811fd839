"""Calls into an ASGI app in this process, synchronously: no server, no lifespan (so a
flowscope app built this way never connects to its warehouse: it stays "not ready")."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx


class InProcessClient:
    """``get``/``post``/``delete``/``request`` on ``app`` through httpx's ASGI transport, each
    call in its own event loop; ``base_url`` is what the app sees as its own origin."""

    def __init__(self, app: Any, base_url: str = "http://test") -> None:
        self.app = app
        self.base_url = base_url

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        async def call() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url=self.base_url) as c:
                return await c.request(method, path, **kwargs)

        return asyncio.run(call())

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)
