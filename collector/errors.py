"""Errors of the collector room.

A whole request is refused with one of these; a single bad span or event inside an otherwise
decodable request is *not* an exception but an :class:`collector.model.ItemError` in the result::

    CollectorError                 base class; str(exc) is the message shown to the client
     ├── DecodeError               the body cannot be decoded at all (truncated protobuf, invalid
     │    │                        JSON, wrong top-level JSON types)          → HTTP 400
     │    └── InvalidItem          one item is invalid; internal to the decoders, which turn it
     │                             into an ItemError and keep the other items
     ├── UnsupportedMediaType      Content-Type is not one we decode          → HTTP 415
     ├── PayloadTooLarge           the body exceeds the configured limit      → HTTP 413
     ├── SpoolFull                 the local spool has no room left           → HTTP 503
     └── SpoolUnavailable          the spool cannot be written (disk error)   → HTTP 503

Third-party errors (``google.protobuf.message.DecodeError``, ``json.JSONDecodeError``,
``UnicodeDecodeError``) are translated at the boundary with ``raise DecodeError(...) from exc``.
"""

from __future__ import annotations


class CollectorError(Exception):
    """Base class of every error the collector raises; ``status`` is the HTTP status it maps to."""

    status: int = 500


class DecodeError(CollectorError):
    """The request body cannot be decoded at all; the message says where (→ 400)."""

    status = 400


class UnsupportedMediaType(CollectorError):
    """The request's Content-Type is not one this endpoint decodes (→ 415)."""

    status = 415


class PayloadTooLarge(CollectorError):
    """The request body is larger than the configured limit (→ 413)."""

    status = 413


class SpoolFull(CollectorError):
    """The local spool is full; the client should retry later (→ 503)."""

    status = 503


class SpoolUnavailable(CollectorError):
    """The local spool cannot be written, e.g. a disk error (→ 503)."""

    status = 503


class InvalidItem(DecodeError):
    """One span, log record or event is invalid; ``field`` is its path relative to the item.

    Raised and caught *inside* the decoders, which turn it into an
    :class:`collector.model.ItemError` and keep the other items; it never escapes a
    ``decode_*`` function (and would map to 400 if it did).
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message
