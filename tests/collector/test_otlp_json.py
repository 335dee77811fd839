"""OTLP/JSON encoding rules: strict JSON loading, hex ids, enums."""

from __future__ import annotations

from typing import Any

import pytest

from collector.errors import DecodeError, InvalidItem
from collector.otlp_json import enum_value, hex_id, load_json


@pytest.mark.parametrize(
    "body",
    [b"{", b"NaN", b'{"a": Infinity}', b"\xfe\xff", b'"\\udc00"', b"[" * 100_000],
    ids=[
        "truncated JSON",
        "a NaN literal",
        "an Infinity literal",
        "bytes that are not UTF-8",
        "an unpaired surrogate",
        "nesting too deep",
    ],
)
def test_only_strict_json_is_loaded(body: bytes) -> None:
    with pytest.raises(DecodeError):
        load_json(body)


def test_a_surrogate_pair_is_fine() -> None:
    assert load_json(b'"\\ud83d\\ude00"') == "\U0001f600"


@pytest.mark.parametrize(
    ("obj", "required", "expected"),
    [
        ("AB" * 8, True, "ab" * 8),
        ("", False, ""),
        (None, False, ""),
        ("00" * 8, False, ""),
    ],
    ids=[
        "upper case becomes lower case",
        "empty is absent",
        "missing is absent",
        "zeros are absent",
    ],
)
def test_hex_ids(obj: Any, required: bool, expected: str) -> None:
    assert hex_id(obj, "spanId", 8, required=required) == expected


@pytest.mark.parametrize(
    ("obj", "required"),
    [
        ("", True),
        ("00" * 8, True),
        ("ab" * 7, True),
        ("zz" * 8, True),
        ("abcdef01 bcdef01", False),
        (12, False),
    ],
    ids=[
        "empty but required",
        "zeros but required",
        "too short",
        "not hex",
        "with spaces",
        "a number",
    ],
)
def test_invalid_hex_ids(obj: Any, required: bool) -> None:
    with pytest.raises(InvalidItem):
        hex_id(obj, "spanId", 8, required=required)


@pytest.mark.parametrize(
    ("obj", "expected"),
    [(None, 0), (2, 2), ("2", 2), ("SPAN_KIND_SERVER", 2)],
    ids=["absent is zero", "an integer", "an integer string", "the proto name"],
)
def test_enums(obj: Any, expected: int) -> None:
    assert enum_value(obj, "kind", {"SPAN_KIND_SERVER": 2}) == expected


def test_an_unknown_enum_name_is_invalid() -> None:
    with pytest.raises(InvalidItem):
        enum_value("SPAN_KIND_NOPE", "kind", {"SPAN_KIND_SERVER": 2})
