"""Session-wide fixtures: one ClickHouse engine per test session.

By default the engine is embedded (chDB) in a temporary directory; chDB allows one data directory
per process, so every test that needs the engine shares it and isolates itself with a fresh
database (see ``fresh_database``). With ``FLOWSCOPE_TEST_CLICKHOUSE_DSN`` set (e.g.
``http://default:@localhost:8123/default``) the same tests run against that ClickHouse server
instead; every test using the engine carries the ``engine`` marker, so
``FLOWSCOPE_TEST_CLICKHOUSE_DSN=... pytest -m engine`` runs exactly those.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import clickhouse_connect
import pytest

from warehouse.migrations import apply_migrations
from warehouse.port import Warehouse

SERVER_DSN_VARIABLE = "FLOWSCOPE_TEST_CLICKHOUSE_DSN"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that reaches the engine with ``engine``."""
    for item in items:
        if {"chdb_dsn", "fresh_database"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.engine)


@pytest.fixture(scope="session")
def chdb_dsn(tmp_path_factory: pytest.TempPathFactory) -> str:
    """DSN of the session's engine: ``$FLOWSCOPE_TEST_CLICKHOUSE_DSN`` when set, else an
    embedded engine in a temporary directory (``chdb:///abs/path``)."""
    server = os.environ.get(SERVER_DSN_VARIABLE)
    if server:
        return server
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


@contextmanager
def migrated_warehouse(dsn: str, prefix: str) -> Iterator[Warehouse]:
    """A :class:`~warehouse.port.Warehouse` on a new database ``<prefix>_<random>`` of the
    engine at ``dsn`` with every migration applied; the database is dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with Warehouse.connect(dsn, database=name) as wh:
        apply_migrations(wh)
        yield wh
    client = clickhouse_connect.get_client(dsn=dsn)
    try:
        client.command(f"DROP DATABASE IF EXISTS {name} SYNC")
    finally:
        client.close()
