"""Warehouse: ClickHouse DDL, migrations and the Warehouse port over clickhouse-connect.

- :mod:`warehouse.port` — :class:`Warehouse`, the one port to the embedded engine (``chdb://``)
  and to a ClickHouse server or cluster (``http(s)://``); :func:`~warehouse.port.ready_warehouse`.
- :mod:`warehouse.dsn` — DSN parsing (pure); :func:`default_dsn`.
- :mod:`warehouse.identifiers` — checks of the identifiers pasted into SQL (pure).
- :mod:`warehouse.ddl` — rendering of the versioned ``schema/NNN_name.sql`` files (pure).
- :mod:`warehouse.migrations` — apply, list pending, verify.
- :mod:`warehouse.adoption` — insert deduplication on span tables another writer created.
- :mod:`warehouse.tables` — table names and their expected columns (pure data).
- :mod:`warehouse.correlations` — the correlation-id timeline lookup.
- :mod:`warehouse.errors` — the exception tree.

Importing this package loads no driver: clickhouse-connect (and chDB) load on first connect.
"""

from warehouse.correlations import Timeline, TimelineItem, lookup_correlation
from warehouse.dsn import Dsn, default_dsn, parse_dsn
from warehouse.errors import (
    InvalidDsn,
    QueryError,
    SchemaMismatch,
    WarehouseError,
    WarehouseUnavailable,
)
from warehouse.migrations import apply_migrations, pending_migrations, verify_schema
from warehouse.port import Warehouse

__all__ = [
    "Dsn",
    "InvalidDsn",
    "QueryError",
    "SchemaMismatch",
    "Timeline",
    "TimelineItem",
    "Warehouse",
    "WarehouseError",
    "WarehouseUnavailable",
    "apply_migrations",
    "default_dsn",
    "lookup_correlation",
    "parse_dsn",
    "pending_migrations",
    "verify_schema",
]
