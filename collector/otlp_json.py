"""The OTLP/JSON encoding rules shared by the trace and log decoders.

Per the OTLP specification (OTLP/HTTP, JSON Protobuf encoding): field names are lowerCamelCase;
``traceId``/``spanId``/``parentSpanId`` are hex strings (case-insensitive), **not** base64 as the
generic proto3 JSON mapping would have them; enums are integers (their proto names are also
accepted); 64-bit integers are decimal strings or numbers; unknown fields are ignored.

Also the strict JSON loading used by every JSON decoder of the collector: UTF-8 only, no
``NaN``/``Infinity`` literals, no unpaired surrogate escapes (they could not be stored).
"""

from __future__ import annotations

import json
import re
from typing import Any

from collector.attributes import json_int64
from collector.errors import DecodeError, InvalidItem

_HEX = re.compile(r"[0-9a-fA-F]*\Z")
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def load_json(body: bytes) -> Any:
    """Parse ``body`` as strict JSON text; :class:`DecodeError` when it is not."""
    try:
        text = body.decode("utf-8")
        data = json.loads(text, parse_constant=_reject_constant)
    except UnicodeDecodeError as exc:
        raise DecodeError(f"body is not UTF-8: {exc.reason} at byte {exc.start}") from exc
    except json.JSONDecodeError as exc:
        raise DecodeError(
            f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc
    except (ValueError, RecursionError) as exc:
        raise DecodeError(f"invalid JSON: {exc}") from exc
    if _SURROGATE_ESCAPE.search(body):
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as exc:
            raise DecodeError("invalid JSON: a string holds an unpaired surrogate escape") from exc
    return data


def hex_id(obj: object, field: str, size: int, *, required: bool) -> str:
    """An OTLP/JSON trace or span id as lowercase hex of ``size`` bytes.

    ``""`` when absent or empty and not ``required``; all-zero ids count as absent.
    """
    if obj is None or obj == "":
        if required:
            raise InvalidItem(field, "is required")
        return ""
    if not isinstance(obj, str):
        raise InvalidItem(field, "must be a hex string")
    if len(obj) != 2 * size or not _HEX.match(obj):
        raise InvalidItem(field, f"must be {2 * size} hex digits ({size} bytes)")
    text = obj.lower()
    if text.count("0") == len(text):
        if required:
            raise InvalidItem(field, "must not be all zeros")
        return ""
    return text


def enum_value(obj: object, field: str, names: dict[str, int]) -> int:
    """An OTLP/JSON enum: an integer, or the proto value name (``SPAN_KIND_SERVER``)."""
    if obj is None:
        return 0
    if isinstance(obj, str) and obj in names:
        return names[obj]
    if isinstance(obj, bool):
        raise InvalidItem(field, "must be an enum integer")
    return json_int64(obj, field)


def as_list(obj: object, field: str) -> list[Any]:
    """``obj`` if it is a JSON array, ``[]`` if absent; else :class:`InvalidItem`."""
    if obj is None:
        return []
    if not isinstance(obj, list):
        raise InvalidItem(field, "must be an array")
    return obj


def as_dict(obj: object, field: str) -> dict[str, Any]:
    """``obj`` if it is a JSON object, ``{}`` if absent; else :class:`InvalidItem`."""
    if obj is None:
        return {}
    if not isinstance(obj, dict):
        raise InvalidItem(field, "must be an object")
    return obj


def string(obj: object, field: str) -> str:
    """``obj`` if it is a JSON string, ``""`` if absent; else :class:`InvalidItem`."""
    if obj is None:
        return ""
    if not isinstance(obj, str):
        raise InvalidItem(field, "must be a string")
    return obj


def structural(exc: InvalidItem) -> DecodeError:
    """An :class:`InvalidItem` above the item level, as the request-level error it is."""
    return DecodeError(str(exc))
