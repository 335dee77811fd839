"""AnyValue → attribute strings, as the OpenTelemetry Collector's pdata writes them."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from collector.attributes import (
    any_value_to_str,
    format_double,
    json_any_value_to_str,
    json_int64,
    json_uint64,
    raw_to_json,
)
from collector.errors import InvalidItem
from tests.collector.otlp_builders import any_value


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.0, "0"),
        (-0.0, "-0"),
        (1.0, "1"),
        (-2.5, "-2.5"),
        (0.1 + 0.2, "0.30000000000000004"),
        (1e20, "100000000000000000000"),
        (123456789012345680000.0, "123456789012345680000"),
        (1e21, "1e+21"),
        (1.5e300, "1.5e+300"),
        (0.000001, "0.000001"),
        (1e-7, "1e-7"),
        (2.5e-10, "2.5e-10"),
        (math.nan, "NaN"),
        (math.inf, "+Inf"),
        (-math.inf, "-Inf"),
    ],
    ids=[
        "zero",
        "negative zero",
        "a whole number has no fraction",
        "a fraction",
        "shortest round-trip digits",
        "1e20 is written out",
        "a large number is written out",
        "1e21 switches to an exponent",
        "a huge exponent",
        "1e-6 is written out",
        "below 1e-6 switches to an exponent without padding",
        "a small mantissa keeps its digits",
        "NaN",
        "positive infinity",
        "negative infinity",
    ],
)
def test_doubles_are_written_like_ecmascript_numbers(value: float, text: str) -> None:
    assert format_double(value) == text


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_a_written_double_reads_back_exactly(value: float) -> None:
    assert float(format_double(value)) == value


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ([1, [2, {"b": None, "a": b"\x01"}]], '[1,[2,{"a":"AQ==","b":null}]]'),
        ({"q": 'say "hi" & <go>'}, '{"q":"say \\"hi\\" \\u0026 \\u003cgo\\u003e"}'),
        ({"n": math.nan}, ""),
        ({"é": "\u2028"}, '{"é":"\\u2028"}'),
    ],
    ids=[
        "nested arrays and maps, bytes as base64, empty as null",
        "quotes are escaped and HTML characters too",
        "a NaN inside makes the whole value empty, as encoding/json refuses it",
        "non-ASCII is kept, line separators escaped",
    ],
)
def test_arrays_and_maps_are_go_json(value: Any, text: str) -> None:
    assert any_value_to_str(any_value(value)) == text


def test_event_data_json_replaces_nan_with_null() -> None:
    assert raw_to_json({"a": [1.0, math.nan]}) == '{"a":[1,null]}'


JSON_VALUES: list[tuple[str, Any, str]] = [
    ("a string", {"stringValue": "x"}, "x"),
    ("an int as a string", {"intValue": "-12"}, "-12"),
    ("an int as a number", {"intValue": 12}, "12"),
    ("a double", {"doubleValue": 2.0}, "2"),
    ("a double as NaN text", {"doubleValue": "NaN"}, "NaN"),
    ("a bool", {"boolValue": False}, "false"),
    ("base64 bytes", {"bytesValue": "AP8="}, "AP8="),
    ("url-safe unpadded bytes", {"bytesValue": "AP8"}, "AP8="),
    ("an array", {"arrayValue": {"values": [{"intValue": "1"}, {}]}}, "[1,null]"),
    ("an empty array", {"arrayValue": {}}, "[]"),
    (
        "a kvlist",
        {"kvlistValue": {"values": [{"key": "b", "value": {"boolValue": True}}, {"key": "a"}]}},
        '{"a":null,"b":true}',
    ),
    ("an empty value", {}, ""),
]


@pytest.mark.parametrize(
    ("obj", "text"), [case[1:] for case in JSON_VALUES], ids=[case[0] for case in JSON_VALUES]
)
def test_otlp_json_any_values(obj: Any, text: str) -> None:
    assert json_any_value_to_str(obj, "value") == text


BAD_JSON_VALUES: list[tuple[str, Any, str]] = [
    ("not an object", "x", "value"),
    ("a string value that is a number", {"stringValue": 1}, "value.stringValue"),
    ("a bool that is a string", {"boolValue": "true"}, "value.boolValue"),
    ("an int out of range", {"intValue": str(2**63)}, "value.intValue"),
    ("an int that is a bool", {"intValue": True}, "value.intValue"),
    ("a double that is text", {"doubleValue": "1,5"}, "value.doubleValue"),
    ("bytes that are not base64", {"bytesValue": "@@"}, "value.bytesValue"),
    (
        "array values that are not an array",
        {"arrayValue": {"values": 1}},
        "value.arrayValue.values",
    ),
    (
        "a kvlist key that is not a string",
        {"kvlistValue": {"values": [{"key": 1}]}},
        "values[0].key",
    ),
]


@pytest.mark.parametrize(
    ("obj", "field"),
    [case[1:] for case in BAD_JSON_VALUES],
    ids=[case[0] for case in BAD_JSON_VALUES],
)
def test_malformed_otlp_json_values_name_the_field(obj: Any, field: str) -> None:
    with pytest.raises(InvalidItem) as caught:
        json_any_value_to_str(obj, "value")
    assert caught.value.field.endswith(field)


@pytest.mark.parametrize(
    ("obj", "expected"),
    [(None, 0), ("18446744073709551615", 2**64 - 1), (5, 5), (5.0, 5)],
    ids=["absent is zero", "the largest fixed64", "a number", "a whole float"],
)
def test_uint64_fields(obj: Any, expected: int) -> None:
    assert json_uint64(obj, "t") == expected


@pytest.mark.parametrize(
    "obj", [-1, "1.5", 2**64, [1]], ids=["negative", "a fraction", "too big", "a list"]
)
def test_invalid_uint64_fields(obj: Any) -> None:
    with pytest.raises(InvalidItem):
        json_uint64(obj, "t")


def test_int64_accepts_the_full_range() -> None:
    assert json_int64(str(-(2**63)), "i") == -(2**63)
