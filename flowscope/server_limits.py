"""Connection limits of the HTTP server: a deadline for request headers and a connection cap.

Uvicorn (with h11) closes idle keep-alive connections after ``timeout_keep_alive`` but has no
deadline for a request's headers: a client that sends them one byte at a time holds its
connection, and a few hundred such clients hold the server's file descriptors and memory
(slowloris). Respected servers bound this: nginx ``client_header_timeout`` (60 s), Go's
``http.Server.ReadHeaderTimeout``, Apache's ``mod_reqtimeout`` (``header=20-40``).
:func:`limited_protocol` does the same for uvicorn with a subclass of its h11 protocol:

- **header deadline**: from the first byte of a request (or the connection's opening) the
  client has ``header_timeout`` seconds to complete the request line and headers; after that
  the server answers ``408 Request Timeout`` and closes the connection. Bodies are not under
  this deadline (ingest bodies are bounded in size, and uploads may be slow).
- **connection cap**: with ``max_connections`` connections open, a new one is answered
  ``503 Service Unavailable`` (``Retry-After: 1``) and closed at once, so a flood cannot
  exhaust descriptors; the header deadline frees the slots of trickling clients.

The h11 parser already bounds the size of the request line and headers (16 KiB).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("flowscope.server")

_TIMEOUT = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain\r\n"
            b"content-length: 45\r\nconnection: close\r\n\r\n"
            b"the request headers did not arrive in time.\r\n")
_FULL = (b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\n"
         b"content-length: 36\r\nretry-after: 1\r\nconnection: close\r\n\r\n"
         b"too many connections, retry later.\r\n")


def limited_protocol(*, header_timeout: float, max_connections: int) -> type[H11Protocol]:
    """An h11 protocol class for ``uvicorn.run(http=...)`` enforcing the module's limits."""

    class LimitedH11Protocol(H11Protocol):
        """uvicorn's h11 protocol with a header deadline and a connection cap."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._header_deadline: asyncio.TimerHandle | None = None
            self._refused = False

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            if len(self.connections) >= max_connections:
                self._refused = True
                self.transport = transport
                transport.write(_FULL)
                transport.close()
                return
            super().connection_made(transport)
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            if self._refused:
                return
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._refused:
                return
            super().data_received(data)
            if self.conn.their_state is h11.IDLE and self.conn.our_state is h11.IDLE:
                self._arm()  # a request has begun (or may): its headers are on the clock
            else:
                self._disarm()

        def _arm(self) -> None:
            if self._header_deadline is None:
                self._header_deadline = self.loop.call_later(header_timeout, self._expired)

        def _disarm(self) -> None:
            if self._header_deadline is not None:
                self._header_deadline.cancel()
                self._header_deadline = None

        def _expired(self) -> None:
            self._header_deadline = None
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                log.info("closed a connection from %s: no complete request headers after %g s",
                         self.client[0] if self.client else "?", header_timeout)
                self.transport.write(_TIMEOUT)
                self.transport.close()

    return LimitedH11Protocol
