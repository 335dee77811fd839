"""Opaque page cursors: the sort key of the last row of a page, as URL-safe base64 JSON. Pure.

A client passes ``next_cursor`` back unchanged; anything else is refused with
:class:`~warehouse.errors.InvalidCursor` (the routes answer 400 naming ``cursor``).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence

from warehouse.errors import InvalidCursor

MAX_CURSOR_CHARS = 4096
"""Longest cursor accepted, in characters (a real one is far shorter)."""
_REFUSED = "cursor is not one this server wrote (pass next_cursor back unchanged)"


def encode(key: Sequence[int | str]) -> str:
    """The cursor of sort key ``key`` (integers and strings)."""
    text = json.dumps(list(key), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(text).decode().rstrip("=")


def decode(cursor: str, kinds: Sequence[type]) -> tuple[int | str, ...]:
    """The sort key in ``cursor``, whose parts must have the types ``kinds`` (``int``: from 0
    to 2**63 - 1, ``str``); InvalidCursor otherwise."""
    if len(cursor) > MAX_CURSOR_CHARS:
        raise InvalidCursor(f"cursor is longer than {MAX_CURSOR_CHARS} characters")
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError):
        raise InvalidCursor(_REFUSED) from None
    if not isinstance(key, list) or len(key) != len(kinds):
        raise InvalidCursor(_REFUSED)
    parts: list[int | str] = []
    for part, kind in zip(key, kinds, strict=True):
        text = isinstance(part, str) and kind is str
        if text or (type(part) is int and kind is int and 0 <= part < 2**63):
            parts.append(part)
        else:
            raise InvalidCursor(_REFUSED)
    return tuple(parts)
