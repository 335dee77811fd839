"""DSN parsing: the two engine forms, defaults, errors that name the problem, no leaked password."""

from __future__ import annotations

from pathlib import Path

import pytest

from warehouse.dsn import Dsn, default_dsn, parse_dsn
from warehouse.errors import InvalidDsn, WarehouseError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "chdb:///var/lib/flowscope/clickhouse",
            Dsn(scheme="chdb", path="/var/lib/flowscope/clickhouse"),
            id="an embedded engine names an absolute data directory",
        ),
        pytest.param(
            "chdb:///data/my%20dir?database=flows",
            Dsn(scheme="chdb", path="/data/my dir", database="flows"),
            id="an embedded path is percent-decoded and may pick a database",
        ),
        pytest.param(
            "http://ingest:s3cr%40t@ch.example.com:8123/flowscope",
            Dsn(
                scheme="http",
                host="ch.example.com",
                port=8123,
                username="ingest",
                password="s3cr@t",
                database="flowscope",
            ),
            id="a server DSN carries user, password, host, port and database",
        ),
        pytest.param(
            "https://reader:pw@ch.example.com",
            Dsn(
                scheme="https",
                host="ch.example.com",
                port=8443,
                username="reader",
                password="pw",
                secure=True,
            ),
            id="https defaults to port 8443 and is secure",
        ),
        pytest.param(
            "http://localhost/",
            Dsn(scheme="http", host="localhost", port=8123, username="default"),
            id="http defaults to port 8123, user default and no database",
        ),
        pytest.param(
            "HTTP://[::1]:9000/db",
            Dsn(scheme="http", host="::1", port=9000, username="default", database="db"),
            id="the scheme is case-insensitive and IPv6 hosts work",
        ),
    ],
)
def test_a_dsn_parses_into_its_parts(text: str, expected: Dsn) -> None:
    assert parse_dsn(text) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        pytest.param("", "looks like", id="an empty string is not a DSN"),
        pytest.param("/var/lib/ch", "looks like", id="a bare path is not a DSN"),
        pytest.param("postgres://u:hunter2@h/db", "unsupported DSN scheme", id="other schemes"),
        pytest.param("chdb://relative/path", "absolute path", id="a relative embedded path"),
        pytest.param("chdb://", "absolute", id="an embedded DSN without a path"),
        pytest.param("chdb://u:hunter2@/x", "no user or password", id="credentials on chdb"),
        pytest.param("chdb:///x?db=y", "unsupported DSN parameter(s): db", id="unknown parameter"),
        pytest.param("chdb:///x?database=a-b", "not a plain identifier", id="a bad database"),
        pytest.param("http://u:hunter2@:8123/db", "needs a host", id="a server DSN without host"),
        pytest.param("http://u:hunter2@h:99999/db", "port", id="a port out of range"),
        pytest.param("http://u:hunter2@h:eighty/db", "port", id="a port that is not a number"),
        pytest.param("http://u:hunter2@h/db/extra", "only the database", id="a deep path"),
        pytest.param("http://u:hunter2@h/db;drop", "not a plain identifier", id="a bad database"),
        pytest.param("https://u:hunter2@h/db?secure=1", "unsupported", id="query parameters"),
    ],
)
def test_a_bad_dsn_is_refused_with_the_reason_and_without_the_password(
    text: str, fragment: str
) -> None:
    with pytest.raises(InvalidDsn) as caught:
        parse_dsn(text)
    assert fragment in str(caught.value)
    assert "hunter2" not in str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, WarehouseError)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("http://ingest:hunter2@ch:8123/db", id="a plain password"),
        pytest.param("https://ingest:hun%3Ater2@ch/db", id="a percent-encoded password"),
    ],
)
def test_repr_and_redacted_hide_the_password(text: str) -> None:
    dsn = parse_dsn(text)
    assert dsn.password
    for shown in (repr(dsn), str(dsn), dsn.redacted(), f"{dsn!r}"):
        assert dsn.password not in shown
        assert "***" in shown
        assert "ingest" in shown


def test_a_redacted_dsn_parses_back_to_the_same_place() -> None:
    dsn = parse_dsn("http://ingest:hunter2@ch:8123/db")
    again = parse_dsn(dsn.redacted())
    assert (again.host, again.port, again.username, again.database) == ("ch", 8123, "ingest", "db")


@pytest.mark.parametrize(
    "data_dir",
    [
        pytest.param(Path("/srv/flowscope"), id="an absolute data directory"),
        pytest.param(Path("/srv/flow scope%"), id="a data directory with a space and a percent"),
    ],
)
def test_the_default_dsn_is_the_clickhouse_folder_of_the_data_directory(data_dir: Path) -> None:
    dsn = default_dsn(data_dir)
    assert dsn.startswith("chdb:///")
    assert parse_dsn(dsn) == Dsn(scheme="chdb", path=str(data_dir / "clickhouse"))


def test_a_relative_data_directory_becomes_absolute() -> None:
    parsed = parse_dsn(default_dsn(Path("data")))
    assert parsed.path == str(Path("data").absolute() / "clickhouse")
