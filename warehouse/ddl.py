"""Rendering of the versioned DDL files (``warehouse/schema/NNN_name.sql``). Pure: no I/O.

A DDL file is ClickHouse SQL with placeholders, so one file serves a single server (or the
embedded engine) and a cluster:

``{{DB}}``
    the database name.
``{{ON_CLUSTER}}``
    empty, or ``ON CLUSTER <cluster>``.
``{{TABLE:name}}``
    the physical (data-holding) table, qualified: ``db.name``, or ``db.name_local`` on a cluster.
    Tables are created under this name and materialized views read from and write to it.
``{{ENGINE:Spec}}``
    a MergeTree-family engine such as ``MergeTree()`` or ``ReplacingMergeTree(IngestedAt)``; on a
    cluster it becomes ``ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/
    {table}', '{replica}', IngestedAt)``.
``{{ENGINE_ALL_NODES:Spec}}``
    the same, but on a cluster every node holds every row: one replication group for the whole
    cluster (``/clickhouse/tables/all/{database}/{table}``), for small tables that views on
    every shard read (flowscope's correlation rules).
``{{TTL:expr}}``
    empty, or ``TTL expr + toIntervalDay(N)`` when a retention in days is given.
``{{DISTRIBUTED:name:sharding key}}``
    a whole statement: nothing without a cluster; on a cluster ``CREATE TABLE db.name ON CLUSTER
    c AS db.name_local ENGINE = Distributed('c', db, name_local, <sharding key>)``, so readers
    and writers always use the plain name.

Statements are separated by ``;``. Comments (``--`` and ``/* */``) are removed when rendering.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from warehouse.errors import QueryError
from warehouse.identifiers import cluster_name, database_name, quoted

REPLICATION_PATH = "/clickhouse/tables/{shard}/{database}/{table}"
"""ZooKeeper/Keeper path of replicated tables; ``{shard}``/``{replica}`` are server macros."""
ALL_NODES_PATH = "/clickhouse/tables/all/{database}/{table}"
"""Keeper path of tables replicated to every node of the cluster, whatever its shard."""

LOCAL_SUFFIX = "_local"

_PLACEHOLDER = re.compile(r"\{\{([A-Z_]+)(?::(.*?))?\}\}", re.DOTALL)
_ENGINE = re.compile(r"\s*([A-Za-z]*MergeTree)\s*(?:\((.*)\))?\s*", re.DOTALL)
_FILE_NAME = re.compile(r"(\d{3})_([a-z0-9_]+)\.sql")


@dataclass(frozen=True)
class Migration:
    """One versioned DDL file: ``version`` 1 for ``001_otel_traces.sql``, ``name`` without ``.sql``.

    ``sql`` is the file's text with placeholders; ``checksum`` is its SHA-256 (hex).
    """

    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        """SHA-256 of the file text (hex), recorded when the migration is applied."""
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()


def migration_from_file(file_name: str, sql: str) -> Migration:
    """A :class:`Migration` from a file named ``NNN_name.sql`` (lowercase name) and its text."""
    match = _FILE_NAME.fullmatch(file_name)
    if match is None:
        raise QueryError(f"DDL file {file_name!r} is not named NNN_name.sql")
    return Migration(version=int(match.group(1)), name=file_name[: -len(".sql")], sql=sql)


def render(
    sql_text: str, *, database: str, cluster: str | None = None, ttl_days: int | None = None
) -> list[str]:
    """The statements of ``sql_text`` with placeholders filled, comments removed, in order.

    ``ttl_days`` (days, default None = keep forever) fills ``{{TTL:...}}``; ``cluster`` (default
    None = single server) switches to replicated engines, ``ON CLUSTER`` and Distributed tables.
    Raises :class:`QueryError` for an unknown or malformed placeholder.
    """
    database_name(database)
    if cluster is not None:
        cluster_name(cluster)
    if ttl_days is not None and ttl_days <= 0:
        raise QueryError(f"ttl_days must be a positive number of days, not {ttl_days}")
    statements = []
    for statement in split_statements(sql_text):
        text = _PLACEHOLDER.sub(
            lambda m: _fill(m.group(1), m.group(2), database, cluster, ttl_days), statement
        ).strip()
        if text:
            statements.append(text)
    return statements


def split_statements(sql_text: str) -> list[str]:
    """``sql_text`` cut at top-level ``;``, comments removed, blank statements dropped.

    Quotes (``'...'``, ``"..."``, backquotes) are respected, so a ``;`` or ``--`` inside a
    string stays part of the statement.
    """
    statements: list[str] = []
    current: list[str] = []
    i, n = 0, len(sql_text)
    while i < n:
        ch = sql_text[i]
        if ch in "'\"`":
            end = _quoted_end(sql_text, i)
            current.append(sql_text[i:end])
            i = end
        elif sql_text.startswith("--", i):
            end = sql_text.find("\n", i)
            i = n if end < 0 else end
        elif sql_text.startswith("/*", i):
            end = sql_text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        elif ch == ";":
            statements.append("".join(current))
            current = []
            i += 1
        else:
            current.append(ch)
            i += 1
    statements.append("".join(current))
    return [_tidy(s) for s in statements if s.strip()]


def _quoted_end(text: str, start: int) -> int:
    quote = text[start]
    i = start + 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == quote:
            if i + 1 < len(text) and text[i + 1] == quote:
                i += 2
                continue
            return i + 1
        i += 1
    return len(text)


def _tidy(statement: str) -> str:
    lines = [line.rstrip() for line in statement.strip().splitlines()]
    return "\n".join(line for line in lines if line.strip())


def _fill(
    name: str, argument: str | None, database: str, cluster: str | None, ttl_days: int | None
) -> str:
    if name == "DB" and argument is None:
        return database
    if name == "ON_CLUSTER" and argument is None:
        return f"ON CLUSTER {quoted(cluster)}" if cluster else ""
    if name == "TABLE" and argument:
        return physical_table(argument.strip(), database=database, cluster=cluster)
    if name == "ENGINE" and argument:
        return engine(argument, cluster=cluster)
    if name == "ENGINE_ALL_NODES" and argument:
        return engine(argument, cluster=cluster, path=ALL_NODES_PATH)
    if name == "TTL" and argument:
        return f"TTL {argument.strip()} + toIntervalDay({ttl_days})" if ttl_days else ""
    if name == "DISTRIBUTED" and argument and ":" in argument:
        table, key = (part.strip() for part in argument.split(":", 1))
        return distributed_table(table, key, database=database, cluster=cluster)
    shown = name if argument is None else f"{name}:{argument}"
    raise QueryError(f"unknown or malformed DDL placeholder {{{{{shown}}}}}")


def physical_table(name: str, *, database: str, cluster: str | None) -> str:
    """``db.name`` without a cluster, ``db.name_local`` with one (the shard-local table)."""
    return f"{database}.{name}{LOCAL_SUFFIX if cluster else ''}"


def engine(spec: str, *, cluster: str | None, path: str = REPLICATION_PATH) -> str:
    """``spec`` (e.g. ``ReplacingMergeTree(IngestedAt)``), replicated when a cluster is given
    (its Keeper ``path`` defaults to one replication group per shard)."""
    match = _ENGINE.fullmatch(spec)
    if match is None:
        raise QueryError(f"{spec!r} is not a MergeTree-family engine")
    family, arguments = match.group(1), (match.group(2) or "").strip()
    if cluster is None:
        return f"{family}({arguments})"
    replicated = [f"'{path}'", "'{replica}'"] + ([arguments] if arguments else [])
    return f"Replicated{family}({', '.join(replicated)})"


def distributed_table(name: str, sharding_key: str, *, database: str, cluster: str | None) -> str:
    """The CREATE of the Distributed table ``name`` over ``name_local``; empty without a cluster."""
    if cluster is None:
        return ""
    local = f"{name}{LOCAL_SUFFIX}"
    return (
        f"CREATE TABLE IF NOT EXISTS {database}.{name} ON CLUSTER {quoted(cluster)}\n"
        f"AS {database}.{local}\n"
        f"ENGINE = Distributed('{cluster}', {database}, {local}, {sharding_key})"
    )
