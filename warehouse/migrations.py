"""Versioned schema migrations: apply ``warehouse/schema/NNN_name.sql`` in order, once.

Each applied file is recorded in ``flowscope_migrations`` (Version, Name, Checksum, AppliedAt)
in the Warehouse's database. Re-running applies nothing; a file changed after it was applied
(or a database that knows a version this code does not) raises :class:`SchemaMismatch`.

Statements are ``CREATE ... IF NOT EXISTS``, so pointing flowscope at tables an OpenTelemetry
Collector already created works; :func:`verify_schema` then checks those tables have the
columns and types flowscope reads, and names the first one that does not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources

from warehouse.ddl import Migration, migration_from_file, render
from warehouse.errors import SchemaMismatch
from warehouse.port import Warehouse
from warehouse.tables import EXPECTED_COLUMNS, MIGRATIONS

LEDGER_DDL = f"""
CREATE TABLE IF NOT EXISTS {{{{DB}}}}.{MIGRATIONS} {{{{ON_CLUSTER}}}} (
    Version UInt32,
    Name String,
    Checksum String,
    AppliedAt DateTime64(3, 'UTC')
) ENGINE = {{{{ENGINE:MergeTree()}}}}
ORDER BY Version
"""
"""DDL (with placeholders) of the ``flowscope_migrations`` ledger."""


@dataclass(frozen=True)
class AppliedMigration:
    """A row of ``flowscope_migrations``: what was applied (checksum = SHA-256 of the file)."""

    version: int
    name: str
    checksum: str


def bundled_migrations() -> tuple[Migration, ...]:
    """The DDL files shipped in ``warehouse/schema``, ordered by version."""
    folder = resources.files("warehouse") / "schema"
    migrations = [
        migration_from_file(entry.name, entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".sql")
    ]
    migrations.sort(key=lambda m: m.version)
    versions = [m.version for m in migrations]
    if len(set(versions)) != len(versions):
        raise SchemaMismatch(f"two DDL files share a version number: {versions}")
    return tuple(migrations)


def applied_migrations(wh: Warehouse) -> dict[int, AppliedMigration]:
    """What ``flowscope_migrations`` records, by version; empty when the table is missing."""
    if not _table_exists(wh, MIGRATIONS):
        return {}
    rows = wh.query(
        f"SELECT Version, any(Name), any(Checksum) FROM {wh.database}.{MIGRATIONS} "  # noqa: S608
        "GROUP BY Version ORDER BY Version"
    )
    return {int(v): AppliedMigration(int(v), str(n), str(c)) for v, n, c in rows}


def pending_migrations(
    wh: Warehouse, *, migrations: Sequence[Migration] | None = None
) -> list[str]:
    """Names (e.g. ``003_correlation_index``) of migrations not yet applied, in order.

    ``migrations`` defaults to :func:`bundled_migrations`. Raises :class:`SchemaMismatch` when
    an applied file has changed or the database knows a version the list does not.
    """
    todo = _pending(wh, _listed(migrations), applied_migrations(wh))
    return [m.name for m in todo]


def apply_migrations(
    wh: Warehouse,
    *,
    ttl_days: int | None = None,
    migrations: Sequence[Migration] | None = None,
) -> list[str]:
    """Apply pending migrations in order, record each, and return their names ([] if none).

    ``ttl_days`` (days; default None = keep forever) sets the span tables' TTL when they are
    created, as the exporter's ``ttl`` does; it does not alter existing tables.
    Raises :class:`SchemaMismatch` (changed file, unknown version, incompatible existing
    table), :class:`QueryError` or :class:`WarehouseUnavailable`.
    """
    listed = _listed(migrations)
    for statement in render(LEDGER_DDL, database=wh.database, cluster=wh.cluster):
        wh.command(statement)
    todo = _pending(wh, listed, applied_migrations(wh))
    if not todo:
        return []
    verify_schema(wh, missing_ok=True)
    for migration in todo:
        statements = render(
            migration.sql, database=wh.database, cluster=wh.cluster, ttl_days=ttl_days
        )
        for statement in statements:
            wh.command(statement)
        wh.command(
            f"INSERT INTO {wh.database}.{MIGRATIONS} (Version, Name, Checksum, AppliedAt) "
            "SELECT {version:UInt32}, {name:String}, {checksum:String}, now64(3)",
            {"version": migration.version, "name": migration.name, "checksum": migration.checksum},
        )
    verify_schema(wh, missing_ok=True)
    return [m.name for m in todo]


def verify_schema(
    wh: Warehouse,
    *,
    expected: Mapping[str, Mapping[str, str]] = EXPECTED_COLUMNS,
    missing_ok: bool = False,
) -> None:
    """Check each expected table has every expected column with the expected type.

    Extra columns are fine (a newer exporter may add some). ``missing_ok`` skips tables that
    do not exist yet. Raises :class:`SchemaMismatch` naming the table and column.
    """
    rows = wh.query(
        "SELECT table, name, type FROM system.columns "
        "WHERE database = {db:String} AND has({tables:Array(String)}, table)",
        {"db": wh.database, "tables": list(expected)},
    )
    found: dict[str, dict[str, str]] = {}
    for table, column, type_ in rows:
        found.setdefault(str(table), {})[str(column)] = str(type_)
    for table, columns in expected.items():
        actual = found.get(table)
        if actual is None:
            if missing_ok:
                continue
            raise SchemaMismatch(f"table {wh.database}.{table} does not exist; run the migrations")
        for column, type_ in columns.items():
            if column not in actual:
                raise SchemaMismatch(
                    f"table {wh.database}.{table} has no column {column} ({type_} expected)"
                )
            if _normal(actual[column]) != _normal(type_):
                raise SchemaMismatch(
                    f"column {column} of {wh.database}.{table} is {actual[column]}, "
                    f"but {type_} is expected"
                )


def _listed(migrations: Sequence[Migration] | None) -> tuple[Migration, ...]:
    if migrations is None:
        return bundled_migrations()
    return tuple(sorted(migrations, key=lambda m: m.version))


def _pending(
    wh: Warehouse, listed: Sequence[Migration], applied: Mapping[int, AppliedMigration]
) -> list[Migration]:
    known = {m.version: m for m in listed}
    unknown = sorted(set(applied) - set(known))
    if unknown:
        names = ", ".join(applied[v].name for v in unknown)
        raise SchemaMismatch(
            f"database {wh.database} has migrations this flowscope does not know: {names} "
            "(is an older flowscope pointed at a newer schema?)"
        )
    for version, record in applied.items():
        if known[version].checksum != record.checksum:
            raise SchemaMismatch(
                f"migration {record.name} changed after it was applied to {wh.database} "
                f"(checksum {record.checksum[:12]}… recorded, {known[version].checksum[:12]}… now);"
                " add a new migration file instead of editing an applied one"
            )
    return [m for m in listed if m.version not in applied]


def _table_exists(wh: Warehouse, table: str) -> bool:
    rows = wh.query(
        "SELECT count() FROM system.tables WHERE database = {db:String} AND name = {t:String}",
        {"db": wh.database, "t": table},
    )
    return bool(rows and rows[0][0])


def _normal(type_name: str) -> str:
    return "".join(type_name.split())
