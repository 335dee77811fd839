"""Serialized AnyValue bytes decoded in bulk agree with the one-by-one protobuf decoding."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from collector.attributes import any_value_to_str
from collector.raw_values import (
    encode_string,
    is_blank,
    wire_value_to_str,
    wire_values_to_strings,
)
from tests.collector.otlp_builders import any_value

_leaves = st.one_of(
    st.none(),
    st.text(max_size=20),
    st.text(min_size=120, max_size=140),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(),
    st.binary(max_size=5),
)
_values = st.recursive(
    _leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=4,
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_values, max_size=12))
def test_bulk_decoding_equals_protobuf_decoding(values: list[Any]) -> None:
    messages = [any_value(v) for v in values]
    strings, invalid = wire_values_to_strings([m.SerializeToString() for m in messages])
    assert invalid == []
    assert strings.to_pylist() == [any_value_to_str(m) for m in messages]


@pytest.mark.parametrize(
    "size", [0, 1, 127, 128, 129, 16_383, 16_384, 70_000], ids=lambda n: f"a {n}-byte string"
)
def test_strings_of_every_length_class_are_sliced_out(size: int) -> None:
    text = "x" * size
    raw = AnyValue(string_value=text).SerializeToString()
    strings, invalid = wire_values_to_strings([raw, raw])
    assert (strings.to_pylist(), invalid) == ([text, text], [])
    assert wire_value_to_str(raw) == text


INVALID = [
    ("a string that is not UTF-8", b"\n\x02\xff\xfe"),
    ("a length past the end", b"\n\x05ab"),
    ("a truncated varint", b"\x18\xff"),
    ("garbage", b"\xff\xff\xff"),
    ("a long string that is not UTF-8", b"\n\x80\x01" + b"\xff" * 128),
]


@pytest.mark.parametrize(
    "raw", [case[1] for case in INVALID], ids=[f"{case[0]} is reported" for case in INVALID]
)
def test_invalid_values_are_blanked_and_reported(raw: bytes) -> None:
    good = AnyValue(string_value="ok").SerializeToString()
    strings, invalid = wire_values_to_strings([good, raw, good])
    assert (strings.to_pylist(), invalid) == (["ok", "", "ok"], [1])
    assert wire_value_to_str(raw) is None


def test_an_empty_list_is_an_empty_array() -> None:
    strings, invalid = wire_values_to_strings([])
    assert (len(strings), invalid) == (0, [])


@pytest.mark.parametrize(
    "text", ["", "abc", "é" * 100, "y" * 300], ids=["empty", "short", "multi-byte", "long"]
)
def test_encode_string_is_protobuf_encoding(text: str) -> None:
    assert encode_string(text) == AnyValue(string_value=text).SerializeToString() or text == ""
    assert AnyValue.FromString(encode_string(text)).string_value == text


@pytest.mark.parametrize(
    ("raw", "blank"),
    [(None, True), (b"", True), (b"\n\x00", True), (b"\n\x01a", False), (b"\x10\x00", False)],
    ids=["absent", "an empty value", "an empty string", "a string", "false"],
)
def test_blank_values(raw: bytes | None, blank: bool) -> None:
    assert is_blank(raw) is blank
