"""FastAPI ingest routes: OTLP/HTTP /v1/traces, /v1/logs, CloudEvents /api/v1/events.

Thin adapters over :class:`collector.ingest.IngestService`. Status codes:

- 200 with the OTLP response message (``partial_success`` lists rejected items) or for
  CloudEvents ``{"accepted", "duplicates", "rejected", "errors": [...]}``, each error
  ``{"index", "field", "message"}``;
- 400 undecodable body (or every CloudEvent invalid), 413 body over the limit after
  decompression, 415 unknown content type or encoding;
- 403 when every event of the request comes from a source the key may not use (the access
  guard puts the key's sources in ``request.state.api_key_sources``; :mod:`collector.sources`),
  naming the source; with other events beside them, those are stored and the refused ones
  listed in ``errors`` (OTLP: ``partial_success``) like any invalid item;
- 503 with ``Retry-After`` when the spool is full or cannot persist: nothing was acknowledged.

Refusals are raised as :class:`collector.errors.CollectorError` (each carries its ``status``)
and answered by the app's error boundary (``flowscope.http_errors``): ``{"detail": ...}``, or
for the OTLP routes a ``google.rpc.Status`` in the request's encoding, as the OTLP/HTTP
specification asks (the routes put that encoding in ``request.state.otlp_reply``). Decoding
runs in a worker thread so the event loop stays responsive.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from collector.body import decompress, otlp_format, parse_media_type
from collector.errors import PayloadTooLarge, UnsupportedMediaType
from collector.ingest import IngestResult, IngestService
from collector.otlp_response import Encoding, Signal, encode, export_response, status_reply

OTLP_REPLY = "otlp_reply"
"""``request.state`` attribute naming the encoding of an OTLP route's error body."""

_CE_STRUCTURED = "application/cloudevents+json"
_CE_BATCH = "application/cloudevents-batch+json"


def key_sources(request: Request) -> tuple[str, ...]:
    """The CloudEvents sources the request's key is limited to (empty: any)."""
    return tuple(getattr(request.state, "api_key_sources", ()) or ())


def _forbidden(result: IngestResult) -> bool:
    """Every item of the request was refused for its source."""
    return bool(result.forbidden) and result.forbidden == result.rejected and not (
        result.accepted or result.duplicates)


async def _read(request: Request, limit: int) -> bytes:
    """Read at most ``limit`` raw bytes (the wire body can't be larger than its decoded form
    allows, except for compression, which :func:`decompress` bounds separately)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"body of {declared} bytes exceeds the limit of {limit} bytes")
    chunks = bytearray()
    async for chunk in request.stream():
        chunks += chunk
        if len(chunks) > limit:
            raise PayloadTooLarge(f"body exceeds the limit of {limit} bytes")
    return bytes(chunks)


def ingest_router(service: IngestService, *, max_body_bytes: int) -> APIRouter:
    """The ingest routes over ``service``; bodies above ``max_body_bytes`` get 413."""
    router = APIRouter(tags=["ingest"])

    async def otlp(
        request: Request, call: Callable[[bytes, str], IngestResult], signal: Signal
    ) -> Response:
        essence = parse_media_type(request.headers.get("content-type")).essence
        reply: Encoding = "json" if essence.endswith("json") else "protobuf"
        setattr(request.state, OTLP_REPLY, reply)  # the encoding of an error answer
        fmt = otlp_format(request.headers.get("content-type"))
        raw = await _read(request, max_body_bytes)
        body = decompress(raw, request.headers.get("content-encoding"), limit=max_body_bytes)
        result = await run_in_threadpool(call, body, fmt)
        if _forbidden(result):
            denied, media = status_reply(403, str(result.errors[0]), reply)
            return Response(denied, status_code=403, media_type=media)
        body_out, media = encode(export_response(signal, result), reply)
        return Response(body_out, status_code=200, media_type=media)

    @router.post("/v1/traces", summary="OTLP/HTTP trace export")
    async def traces(request: Request) -> Response:
        return await otlp(request, service.traces, "traces")

    @router.post("/v1/logs", summary="OTLP/HTTP log export (event.name records become events)")
    async def logs(request: Request) -> Response:
        sources = key_sources(request)
        return await otlp(
            request, lambda body, fmt: service.logs(body, fmt, sources=sources), "logs")

    @router.post("/api/v1/events", summary="CloudEvents 1.0: structured, batch or binary mode")
    async def events(request: Request) -> Response:
        media = parse_media_type(request.headers.get("content-type")).essence
        sources = key_sources(request)
        raw = await _read(request, max_body_bytes)
        body = decompress(raw, request.headers.get("content-encoding"), limit=max_body_bytes)
        if media == _CE_STRUCTURED:
            result = await run_in_threadpool(
                lambda: service.cloudevents("structured", body, sources=sources))
        elif media == _CE_BATCH:
            result = await run_in_threadpool(
                lambda: service.cloudevents("batch", body, sources=sources))
        elif "ce-specversion" in request.headers:
            headers = {k.lower(): v for k, v in request.headers.items()}
            result = await run_in_threadpool(
                lambda: service.cloudevents(
                    "binary",
                    body,
                    headers=headers,
                    content_type=request.headers.get("content-type"),
                    sources=sources,
                )
            )
        else:
            raise UnsupportedMediaType(
                f"unsupported content type {media or '(none)'!r}: send"
                f" {_CE_STRUCTURED}, {_CE_BATCH}, or binary mode with ce-* headers"
            )
        payload = {
            "accepted": result.accepted,
            "duplicates": result.duplicates,
            "rejected": result.rejected,
            "errors": [
                {"index": e.index, "field": e.field, "message": e.message} for e in result.errors
            ],
        }
        if _forbidden(result):
            return JSONResponse({"detail": str(result.errors[0].message), **payload},
                                status_code=403)
        everything_bad = result.rejected and not (result.accepted or result.duplicates)
        return JSONResponse(payload, status_code=400 if everything_bad else 200)

    return router
