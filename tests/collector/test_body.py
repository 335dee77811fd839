"""Bodies are decompressed within the limit, and media types are recognised or refused."""

from __future__ import annotations

import gzip
import zlib

import pytest

from collector.body import decompress, otlp_format, parse_media_type
from collector.errors import DecodeError, PayloadTooLarge, UnsupportedMediaType

LIMIT = 1024 * 1024


@pytest.mark.parametrize(
    ("raw", "encoding", "expected"),
    [
        (b"hello", None, b"hello"),
        (b"hello", "identity", b"hello"),
        (gzip.compress(b"hello" * 1000), "gzip", b"hello" * 1000),
        (zlib.compress(b"abc"), "deflate", b"abc"),
        (gzip.compress(b"x" * LIMIT), "GZIP", b"x" * LIMIT),
    ],
    ids=[
        "a plain body passes through",
        "identity encoding passes through",
        "a gzip body is inflated",
        "a deflate body is inflated",
        "a body exactly at the limit after inflation is accepted",
    ],
)
def test_bodies_within_the_limit_are_returned_whole(
    raw: bytes, encoding: str | None, expected: bytes
) -> None:
    assert decompress(raw, encoding, limit=LIMIT) == expected


@pytest.mark.parametrize(
    ("raw", "encoding", "error", "fragment"),
    [
        (b"x" * (LIMIT + 1), None, PayloadTooLarge, "exceeds the limit"),
        (gzip.compress(b"\0" * (LIMIT * 64)), "gzip", PayloadTooLarge, "after decompression"),
        (gzip.compress(b"hello" * 1000)[:40], "gzip", DecodeError, "truncated gzip"),
        (b"not gzip at all", "gzip", DecodeError, "corrupt gzip"),
        (b"abc", "br", UnsupportedMediaType, "content encoding"),
    ],
    ids=[
        "a plain body over the limit is too large",
        "a gzip bomb is cut off at the limit",
        "a truncated gzip stream is a decode error",
        "garbage labelled gzip is a decode error",
        "an unknown encoding is unsupported",
    ],
)
def test_bad_bodies_are_refused_with_a_reason(
    raw: bytes, encoding: str | None, error: type[Exception], fragment: str
) -> None:
    with pytest.raises(error, match=fragment):
        decompress(raw, encoding, limit=LIMIT)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("application/x-protobuf", "protobuf"),
        ("application/protobuf", "protobuf"),
        ("application/json; charset=utf-8", "json"),
        ("Application/JSON", "json"),
    ],
    ids=[
        "x-protobuf is protobuf",
        "protobuf is protobuf",
        "json with a charset is json",
        "media types are case-insensitive",
    ],
)
def test_otlp_media_types_are_recognised(header: str, expected: str) -> None:
    assert otlp_format(header) == expected


@pytest.mark.parametrize(
    "header",
    ["text/plain", None, "application/xml"],
    ids=["text is refused", "a missing type is refused", "xml is refused"],
)
def test_other_media_types_are_refused(header: str | None) -> None:
    with pytest.raises(UnsupportedMediaType, match="unsupported content type"):
        otlp_format(header)


def test_media_type_parameters_are_parsed() -> None:
    mt = parse_media_type('application/json; charset="UTF-8"')
    assert mt.essence == "application/json"
    assert mt.params == (("charset", "UTF-8"),)
