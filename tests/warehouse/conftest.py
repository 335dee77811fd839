"""Warehouse fixtures: a Warehouse on the session engine, in a fresh database per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from warehouse.migrations import apply_migrations
from warehouse.port import Warehouse


@pytest.fixture()
def wh(chdb_dsn: str, fresh_database: str) -> Iterator[Warehouse]:
    """A Warehouse whose database is the test's fresh, empty database."""
    with Warehouse.connect(chdb_dsn, database=fresh_database) as warehouse:
        yield warehouse


@pytest.fixture()
def migrated(wh: Warehouse) -> Warehouse:
    """``wh`` with every bundled migration applied."""
    apply_migrations(wh)
    return wh


@pytest.fixture(scope="module")
def engine(chdb_dsn: str) -> Iterator[Warehouse]:
    """A Warehouse on the ``default`` database, for queries that touch no table."""
    with Warehouse.connect(chdb_dsn) as warehouse:
        yield warehouse
