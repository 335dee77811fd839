"""Serialized ``AnyValue`` bytes → attribute strings, for all values of a request at once.

:mod:`collector.otlp_wire` hands out attribute values as their protobuf encoding. Most are
strings shorter than 16 KiB, encoded as ``0x0A <1- or 2-byte length> <UTF-8>``: those are
recognised and sliced out with Arrow compute kernels, with no Python work per value. The rest
(ints, bools, doubles, bytes, arrays, maps, long strings) are decoded once per distinct
value and written as :mod:`collector.attributes` specifies.

A value that is not a valid ``AnyValue`` (malformed, or a string that is not UTF-8) becomes
``""`` and its index is reported, so the caller can reject the span holding it.
"""

from __future__ import annotations

import struct

import pyarrow as pa
import pyarrow.compute as pc
from google.protobuf.message import DecodeError as ProtobufDecodeError
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from collector.attributes import any_value_to_str, format_double

EMPTY_STRING = b"\n\x00"
"""The encoding of ``AnyValue(string_value="")``."""

BLANK_VALUES = frozenset({b"", EMPTY_STRING, b":\x00"})
"""Encodings whose attribute string is ``""``: no value, ``""``, empty bytes."""

_TAG_STRING = 0x0A
_TAG_BOOL = 0x10
_TAG_INT = 0x18
_TAG_DOUBLE = 0x21
_SLICE_END = (1 << 31) - 1
_NO_BYTES = pa.scalar(b"", pa.binary())


def encode_string(text: str) -> bytes:
    """``AnyValue(string_value=text)`` serialized."""
    data = text.encode("utf-8")
    if len(data) < 128:
        return bytes((_TAG_STRING, len(data))) + data
    return AnyValue(string_value=text).SerializeToString()


def is_blank(raw: bytes | None) -> bool:
    """True when a serialized value is absent or stored as ``""`` (see :data:`BLANK_VALUES`)."""
    return raw is None or raw in BLANK_VALUES


def wire_value_to_str(raw: bytes) -> str | None:
    """One serialized ``AnyValue`` as its attribute string; ``None`` when it is invalid."""
    n = len(raw)
    if n == 0:
        return ""
    tag = raw[0]
    if tag == _TAG_STRING and n >= 2 and raw[1] == n - 2:
        try:
            return raw[2:].decode("utf-8")
        except UnicodeDecodeError:
            return None
    if tag == _TAG_BOOL and n == 2 and raw[1] <= 1:
        return "true" if raw[1] else "false"
    if tag == _TAG_INT and n <= 11:
        result = 0
        shift = 0
        for i in range(1, n):
            b = raw[i]
            result |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                if i == n - 1:
                    result &= 0xFFFFFFFFFFFFFFFF
                    return str(result - (1 << 64) if result >= 1 << 63 else result)
                break
    if tag == _TAG_DOUBLE and n == 9:
        return format_double(struct.unpack("<d", raw[1:])[0])
    try:
        value = AnyValue.FromString(raw)
    except (ProtobufDecodeError, RecursionError):
        return None
    return any_value_to_str(value)


def wire_values_to_strings(raw: list[bytes]) -> tuple[pa.StringArray, list[int]]:
    """All ``raw`` values as an Arrow string array, and the indices of the invalid ones."""
    n = len(raw)
    if n == 0:
        return pa.array([], pa.string()), []
    # three padding bytes after the last value so that every byte_at() below is in range
    padded = pa.array([*raw, b"\0\0\0"], pa.binary())
    values = padded.slice(0, n)
    data_buffer = padded.buffers()[2]
    offsets = pa.Array.from_buffers(pa.int32(), n + 1, [None, padded.buffers()[1]])
    data = pa.Array.from_buffers(pa.uint8(), data_buffer.size, [None, data_buffer])
    starts = offsets.slice(0, n)
    lengths = pc.binary_length(values)
    b0 = pc.take(data, starts)
    b1 = pc.take(data, pc.add(starts, 1))
    b2 = pc.take(data, pc.add(starts, 2))
    is_string = pc.equal(b0, _TAG_STRING)
    # 0x0A, one length byte (< 0x80), then exactly that many bytes
    short = pc.and_(is_string, pc.equal(pc.subtract(lengths, 2), b1))
    # 0x0A, two length bytes, then exactly that many bytes: length - 3 == (b1 - 128) + 128 * b2
    medium = pc.and_(
        pc.and_(is_string, pc.greater_equal(b1, 0x80)),
        pc.and_(
            pc.less(b2, 0x80),
            pc.equal(
                pc.subtract(lengths, 3 - 0x80),
                pc.add(b1, pc.multiply(pc.cast(b2, pa.int32()), 128)),
            ),
        ),
    )
    sliced = pc.if_else(
        short,
        pc.binary_slice(values, 2, _SLICE_END),
        pc.if_else(medium, pc.binary_slice(values, 3, _SLICE_END), _NO_BYTES),
    )
    simple = pc.or_(short, medium)
    bad: list[int] = []
    try:
        strings = sliced.cast(pa.string())
    except pa.ArrowInvalid:  # some value is not UTF-8: find it, blank it
        texts: list[bytes] = sliced.to_pylist()
        for i, data in enumerate(texts):
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                bad.append(i)
                texts[i] = b""
        strings = pa.array(texts, pa.binary()).cast(pa.string())
    others = pc.invert(simple)
    if pc.any(others).as_py():
        # decode each distinct remaining value once, then scatter with Arrow kernels
        rest = pc.filter(values, others)
        distinct = pc.unique(rest)
        decoded = [wire_value_to_str(v) for v in distinct.to_pylist()]
        positions = pc.index_in(rest, value_set=distinct)
        texts = pa.array([d or "" for d in decoded], pa.string())
        strings = pc.replace_with_mask(strings, others, pc.take(texts, positions))
        if None in decoded:
            invalid = pa.array([d is None for d in decoded], pa.bool_())
            at = pc.indices_nonzero(others)
            bad.extend(pc.filter(at, pc.take(invalid, positions)).to_pylist())
            bad.sort()
    return strings, bad
