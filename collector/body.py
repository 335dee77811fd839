"""Request bodies: media types and bounded decompression (pure).

The size limit applies to the body *after* decompression (default 8 MiB, set by the composition
root). Decompression stops as soon as the output would pass the limit, so a gzip bomb costs at
most ``limit`` bytes of memory, never its expanded size.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from collector.errors import DecodeError, PayloadTooLarge, UnsupportedMediaType

DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024
"""8 MiB after decompression."""

_CHUNK = 64 * 1024


@dataclass(frozen=True)
class MediaType:
    """A parsed Content-Type: lowercase ``essence`` (``type/subtype``) and its parameters."""

    essence: str
    params: tuple[tuple[str, str], ...] = ()


def parse_media_type(header: str | None) -> MediaType:
    """Parse a Content-Type header; a missing header gives an empty essence."""
    if not header:
        return MediaType("")
    parts = header.split(";")
    params = []
    for p in parts[1:]:
        if "=" in p:
            k, v = p.split("=", 1)
            params.append((k.strip().lower(), v.strip().strip('"')))
    return MediaType(parts[0].strip().lower(), tuple(params))


OTLP_PROTOBUF = frozenset({"application/x-protobuf", "application/protobuf"})
OTLP_JSON = frozenset({"application/json"})


def otlp_format(header: str | None) -> str:
    """``"protobuf"`` or ``"json"`` for an OTLP/HTTP Content-Type.

    Raises :class:`UnsupportedMediaType` for anything else.
    """
    essence = parse_media_type(header).essence
    if essence in OTLP_PROTOBUF:
        return "protobuf"
    if essence in OTLP_JSON:
        return "json"
    raise UnsupportedMediaType(
        f"unsupported content type {essence or '(none)'!r}: OTLP/HTTP takes"
        " application/x-protobuf or application/json"
    )


def decompress(raw: bytes, encoding: str | None, *, limit: int) -> bytes:
    """Undo ``Content-Encoding`` (identity, gzip or deflate) within ``limit`` bytes of output.

    Raises :class:`PayloadTooLarge` past the limit, :class:`DecodeError` for a corrupt stream and
    :class:`UnsupportedMediaType` for an unknown encoding.
    """
    enc = (encoding or "identity").strip().lower()
    if enc in ("identity", ""):
        if len(raw) > limit:
            raise PayloadTooLarge(f"body of {len(raw)} bytes exceeds the limit of {limit} bytes")
        return raw
    if enc in ("gzip", "x-gzip"):
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    elif enc == "deflate":
        inflater = zlib.decompressobj()
    else:
        raise UnsupportedMediaType(
            f"unsupported content encoding {enc!r}: use gzip, deflate or none"
        )
    out = bytearray()
    view = memoryview(raw)
    try:
        pos = 0
        while pos < len(view) or inflater.unconsumed_tail:
            data = inflater.unconsumed_tail or view[pos : pos + _CHUNK]
            if not inflater.unconsumed_tail:
                pos += _CHUNK
            out += inflater.decompress(data, limit + 1 - len(out))
            if len(out) > limit:
                raise PayloadTooLarge(
                    f"body exceeds the limit of {limit} bytes after decompression"
                )
            if inflater.eof:
                break
        if not inflater.eof:
            out += inflater.flush()
            if not inflater.eof:
                raise DecodeError(f"truncated {enc} body")
    except zlib.error as exc:
        raise DecodeError(f"corrupt {enc} body: {exc}") from exc
    if len(out) > limit:
        raise PayloadTooLarge(f"body exceeds the limit of {limit} bytes after decompression")
    return bytes(out)
