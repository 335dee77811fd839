"""OTLP/gRPC in the server process: its key check and its server, beside uvicorn.

Keys work as on HTTP (:mod:`flowscope.access.keys`): with no key at all every call is admitted
(the server then only listens on loopback addresses); once one key exists, a call needs
``authorization: Bearer KEY`` metadata with a key of scope ``ingest`` (or ``admin``):
``UNAUTHENTICATED`` without a valid key, ``PERMISSION_DENIED`` with another scope. Keys added
to the keys file while the server runs are honoured at once. Presented keys never reach a log
line or an error message.
"""

from __future__ import annotations

from collections.abc import Callable

import grpc

from collector.grpc_ingest import Authorize, Denial, grpc_server
from collector.ingest import IngestService
from flowscope.access.keys import KeyStore, allows
from flowscope.settings import Settings


def ingest_authorizer(store: KeyStore) -> Authorize:
    """Decide on a call's ``authorization`` metadata with the keys of ``store``."""

    def authorize(header: str | None) -> Denial | None:
        if not store.keys():
            return None
        presented = header[7:].strip() if header and header[:7].lower() == "bearer " else ""
        key = store.match(presented) if presented else None
        if key is None:
            return ("unauthenticated",
                    "a valid API key is required: metadata authorization: Bearer KEY")
        if not allows(key.scope, "ingest"):
            return ("forbidden", f"this key has scope {key.scope!r}; OTLP export needs 'ingest'")
        return None

    return authorize


def key_sources(store: KeyStore) -> Callable[[str | None], tuple[str, ...]]:
    """The CloudEvents sources the call's key may use (empty: any), as on HTTP: OTLP log
    events from a source-limited key must come from one of its sources."""

    def sources(header: str | None) -> tuple[str, ...]:
        presented = header[7:].strip() if header and header[:7].lower() == "bearer " else ""
        key = store.match(presented) if presented else None
        return key.sources if key is not None else ()

    return sources


def otlp_grpc_server(ingest: IngestService, settings: Settings, store: KeyStore) -> grpc.Server:
    """The OTLP/gRPC server on ``settings.host:settings.grpc_port``, bound, not started.

    Messages are limited to ``settings.max_body_bytes`` after decompression, as HTTP bodies
    are. Raises :class:`collector.grpc_ingest.GrpcListenError` when the port cannot be bound.
    """
    server, _ = grpc_server(
        ingest,
        host=settings.host,
        port=settings.grpc_port,
        max_message_bytes=settings.max_body_bytes,
        authorize=ingest_authorizer(store),
        sources=key_sources(store),
    )
    return server
