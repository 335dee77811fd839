"""OTLP ``AnyValue`` → the attribute strings stored in ``Map(String, String)`` columns.

The strings are those the OpenTelemetry Collector (pdata ``Value.AsString``) and so its
ClickHouse exporter write:

* string as-is; bool ``"true"``/``"false"``; int in decimal;
* double as an ECMAScript number (shortest round-trip digits: ``1.5``, ``1``, ``1e+21``,
  ``1.5e-7``); NaN and infinities as ``"NaN"``, ``"+Inf"``, ``"-Inf"`` (pdata writes an
  error text there; we keep the value readable);
* bytes as standard base64;
* arrays and key-value lists as compact JSON, as Go's ``encoding/json`` writes it (object keys
  sorted, ``<``, ``>``, ``&`` escaped as ``\\u003c``...; bytes inside as base64 strings); one
  holding a NaN or an infinity is ``""``, as ``encoding/json`` refuses it;
* an empty value as ``""``.

Two inputs are handled: protobuf ``AnyValue`` messages (:func:`any_value_to_str`) and OTLP/JSON
``AnyValue`` objects (:func:`json_any_value_to_str`), whose malformed parts raise
:class:`collector.errors.InvalidItem` naming the field. :func:`any_value_to_raw` and
:func:`json_any_value_to_raw` give plain Python values (for a log body stored as JSON).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from decimal import Decimal
from typing import Any

from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from collector.errors import InvalidItem

_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1


def format_double(x: float) -> str:
    """``x`` as an ECMAScript number string, like pdata's ``Value.AsString`` for doubles."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "+Inf" if x > 0 else "-Inf"
    r = repr(x)
    a = abs(x)
    if a != 0 and (a < 1e-6 or a >= 1e21):
        # repr already picks the shortest digits in exponent form; Go writes e-7, not e-07.
        mantissa, _, exp = r.partition("e")
        sign = exp[0]
        digits = exp[1:].lstrip("0") or "0"
        if sign == "-":
            return f"{mantissa}e-{digits}"
        return f"{mantissa}e+{digits.rjust(2, '0')}"
    if "e" in r or "E" in r:
        r = format(Decimal(r), "f")
    if "." in r:
        r = r.rstrip("0").rstrip(".")
    return r


class _NotJsonable(ValueError):
    """A NaN or infinite double inside an array or map: Go's encoder refuses the whole value."""


def _go_json(raw: Any, nan: str | None = None) -> str:
    """Compact Go-style JSON; a NaN or infinity raises :class:`_NotJsonable` unless ``nan``
    gives its replacement text."""
    if raw is None:
        return "null"
    if raw is True:
        return "true"
    if raw is False:
        return "false"
    if isinstance(raw, str):
        return _go_string(raw)
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, float):
        if math.isnan(raw) or math.isinf(raw):
            if nan is None:
                raise _NotJsonable
            return nan
        return format_double(raw)
    if isinstance(raw, bytes):
        return '"' + base64.b64encode(raw).decode("ascii") + '"'
    if isinstance(raw, list):
        return "[" + ",".join(_go_json(item, nan) for item in raw) + "]"
    if isinstance(raw, dict):
        return (
            "{" + ",".join(_go_string(k) + ":" + _go_json(raw[k], nan) for k in sorted(raw)) + "}"
        )
    raise TypeError(f"not a raw attribute value: {type(raw).__name__}")


def _go_string(s: str) -> str:
    text = json.dumps(s, ensure_ascii=False)
    if any(c in text for c in "<>&\u2028\u2029"):
        text = (
            text.replace("<", "\\u003c")
            .replace(">", "\\u003e")
            .replace("&", "\\u0026")
            .replace("\u2028", "\\u2028")
            .replace("\u2029", "\\u2029")
        )
    return text


def raw_to_str(raw: Any) -> str:
    """A plain value (str, bool, int, float, bytes, list, dict, None) as an attribute string."""
    if isinstance(raw, str):
        return raw
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, float):
        return format_double(raw)
    if isinstance(raw, bytes):
        return base64.b64encode(raw).decode("ascii")
    try:
        return _go_json(raw)
    except _NotJsonable:
        return ""  # what pdata writes when encoding/json refuses a NaN


def raw_to_json(raw: Any) -> str:
    """A plain value as compact JSON text (bytes as base64 strings, NaN and infinities null)."""
    return _go_json(raw, nan="null")


# --- protobuf ---------------------------------------------------------------------------------


def any_value_to_raw(v: AnyValue) -> Any:
    """A protobuf ``AnyValue`` as a plain Python value (``None`` when empty)."""
    kind = v.WhichOneof("value")
    if kind == "string_value":
        return v.string_value
    if kind == "bool_value":
        return v.bool_value
    if kind == "int_value":
        return v.int_value
    if kind == "double_value":
        return v.double_value
    if kind == "bytes_value":
        return v.bytes_value
    if kind == "array_value":
        return [any_value_to_raw(item) for item in v.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: any_value_to_raw(kv.value) for kv in v.kvlist_value.values}
    return None


def any_value_to_str(v: AnyValue) -> str:
    """A protobuf ``AnyValue`` as the attribute string the exporter stores."""
    kind = v.WhichOneof("value")
    if kind == "string_value":
        return v.string_value
    if kind == "bool_value":
        return "true" if v.bool_value else "false"
    if kind == "int_value":
        return str(v.int_value)
    if kind == "double_value":
        return format_double(v.double_value)
    if kind == "bytes_value":
        return base64.b64encode(v.bytes_value).decode("ascii")
    if kind in ("array_value", "kvlist_value"):
        return raw_to_str(any_value_to_raw(v))
    return ""


# --- OTLP/JSON --------------------------------------------------------------------------------


def _json_integer(obj: object, field: str, low: int, high: int, what: str) -> int:
    if type(obj) is int:
        n = obj
    elif isinstance(obj, str):
        try:
            n = int(obj, 10)
        except ValueError:
            raise InvalidItem(field, f"not an integer: {obj[:40]!r}") from None
    elif isinstance(obj, float) and obj.is_integer():
        n = int(obj)
    else:
        raise InvalidItem(field, "must be an integer or a decimal string")
    if not low <= n <= high:
        raise InvalidItem(field, f"out of {what} range")
    return n


def json_int64(obj: object, field: str) -> int:
    """An OTLP/JSON int64: a JSON integer or a decimal string (proto3 JSON mapping)."""
    return _json_integer(obj, field, _INT64_MIN, _INT64_MAX, "int64")


def json_uint64(obj: object, field: str) -> int:
    """An OTLP/JSON uint64/fixed64 (e.g. a time in ns); absent (``None``) is 0."""
    if obj is None:
        return 0
    return _json_integer(obj, field, 0, 2**64 - 1, "uint64")


def _json_double(obj: object, field: str) -> float:
    if isinstance(obj, bool):
        raise InvalidItem(field, "must be a number")
    if isinstance(obj, int | float):
        return float(obj)
    if isinstance(obj, str):
        try:
            return float(obj)  # proto3 JSON also allows "NaN", "Infinity", "-Infinity"
        except ValueError:
            raise InvalidItem(field, f"not a number: {obj[:40]!r}") from None
    raise InvalidItem(field, "must be a number")


def json_bytes(obj: object, field: str) -> bytes:
    """An OTLP/JSON ``bytes`` value: standard or URL-safe base64 (proto3 JSON mapping)."""
    if not isinstance(obj, str):
        raise InvalidItem(field, "must be a base64 string")
    text = obj.replace("-", "+").replace("_", "/")
    text += "=" * (-len(text) % 4)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidItem(field, "not valid base64") from None


def json_any_value_to_raw(obj: object, field: str) -> Any:
    """An OTLP/JSON ``AnyValue`` object as a plain Python value (``None`` when empty)."""
    if not isinstance(obj, dict):
        raise InvalidItem(field, "must be an AnyValue object")
    if "stringValue" in obj:
        s = obj["stringValue"]
        if not isinstance(s, str):
            raise InvalidItem(field + ".stringValue", "must be a string")
        return s
    if "boolValue" in obj:
        b = obj["boolValue"]
        if not isinstance(b, bool):
            raise InvalidItem(field + ".boolValue", "must be true or false")
        return b
    if "intValue" in obj:
        return json_int64(obj["intValue"], field + ".intValue")
    if "doubleValue" in obj:
        return _json_double(obj["doubleValue"], field + ".doubleValue")
    if "bytesValue" in obj:
        return json_bytes(obj["bytesValue"], field + ".bytesValue")
    if "arrayValue" in obj:
        values = _json_values(obj["arrayValue"], field + ".arrayValue")
        return [
            json_any_value_to_raw(item, f"{field}.arrayValue.values[{i}]")
            for i, item in enumerate(values)
        ]
    if "kvlistValue" in obj:
        pairs = _json_values(obj["kvlistValue"], field + ".kvlistValue")
        out: dict[str, Any] = {}
        for i, kv in enumerate(pairs):
            key, value = json_key_value(kv, f"{field}.kvlistValue.values[{i}]")
            out[key] = json_any_value_to_raw(value, f"{field}.kvlistValue.values[{i}].value")
        return out
    return None


def _json_values(obj: object, field: str) -> list[Any]:
    if not isinstance(obj, dict):
        raise InvalidItem(field, "must be an object")
    values = obj.get("values", [])
    if not isinstance(values, list):
        raise InvalidItem(field + ".values", "must be an array")
    return values


def json_key_value(obj: object, field: str) -> tuple[str, object]:
    """The key and (unconverted) value of an OTLP/JSON ``KeyValue`` object."""
    if not isinstance(obj, dict):
        raise InvalidItem(field, "must be a KeyValue object")
    key = obj.get("key", "")
    if not isinstance(key, str):
        raise InvalidItem(field + ".key", "must be a string")
    return key, obj.get("value", {})


def json_any_value_to_str(obj: object, field: str) -> str:
    """An OTLP/JSON ``AnyValue`` object as the attribute string the exporter stores."""
    if type(obj) is dict:
        s = obj.get("stringValue")
        if type(s) is str:
            return s
    return raw_to_str(json_any_value_to_raw(obj, field))
