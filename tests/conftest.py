"""Session-wide fixtures: one embedded ClickHouse (chDB) directory per test session.

chDB allows one data directory per process, so every test that needs the engine shares this one and
isolates itself with a fresh database (see ``fresh_database``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import clickhouse_connect
import pytest


@pytest.fixture(scope="session")
def chdb_dsn(tmp_path_factory: pytest.TempPathFactory) -> str:
    """DSN of the session's embedded engine: ``chdb:///abs/path``."""
    path: Path = tmp_path_factory.mktemp("chdb") / "clickhouse"
    return f"chdb://{path}"


@pytest.fixture()
def fresh_database(chdb_dsn: str) -> Iterator[str]:
    """A new, empty database on the session engine; dropped afterwards."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    client = clickhouse_connect.get_client(dsn=chdb_dsn)
    try:
        client.command(f"CREATE DATABASE {name}")
        yield name
        client.command(f"DROP DATABASE IF EXISTS {name} SYNC")
    finally:
        client.close()
