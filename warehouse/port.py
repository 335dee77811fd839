"""The Warehouse port: one object over clickhouse-connect for both engines.

``chdb:///abs/path`` runs the embedded engine (chDB) in this process; ``http(s)://...`` talks to
a ClickHouse server or cluster. Callers see the same methods and the same errors
(:mod:`warehouse.errors`) either way.

Thread safety: each thread gets its own clickhouse-connect client (``threading.local``), so
queries from several threads run in parallel (a shared client would serialise them, and an HTTP
session would refuse concurrent queries). Every client is tracked and closed by
:meth:`Warehouse.close`; clients of threads that have ended are closed when a new one is opened.

Values always travel as bound parameters: write ``{name:Type}`` in the SQL and pass
``parameters={"name": value}``; the engine substitutes them (server-side binding).

Reads (:meth:`Warehouse.query`, :meth:`~Warehouse.query_dicts`, :meth:`~Warehouse.query_arrow`)
carry the :class:`QueryLimits` given to :meth:`Warehouse.connect` as ClickHouse settings
(``max_execution_time``, ``max_memory_usage``), so one request cannot hold the engine or the
process's memory; a read they stop raises :class:`QueryLimitExceeded`. Writes, DDL and
``command`` are not limited (migrations and reindexing are long by nature).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from warehouse.dsn import DEFAULT_DATABASE, Dsn, parse_dsn
from warehouse.errors import (
    QueryError,
    QueryLimitExceeded,
    WarehouseError,
    WarehouseNotReady,
    WarehouseUnavailable,
    scrub,
)
from warehouse.identifiers import cluster_name, database_name, quoted, table_name

if TYPE_CHECKING:
    import pyarrow

_T = TypeVar("_T")

Client = Any
"""A clickhouse-connect client (untyped library)."""

# ClickHouse error codes that mean "cannot get in or finish now" (worth retrying later, or a
# deployment problem), not "this statement is wrong".
_UNAVAILABLE_CODES = frozenset(
    {
        159,  # TIMEOUT_EXCEEDED
        160,  # TOO_SLOW
        192,  # UNKNOWN_USER
        193,  # WRONG_PASSWORD
        194,  # REQUIRED_PASSWORD
        202,  # TOO_MANY_SIMULTANEOUS_QUERIES
        203,  # NO_FREE_CONNECTION
        209,  # SOCKET_TIMEOUT
        210,  # NETWORK_ERROR
        241,  # MEMORY_LIMIT_EXCEEDED
        242,  # TABLE_IS_READ_ONLY
        252,  # TOO_MANY_PARTS
        279,  # ALL_CONNECTION_TRIES_FAILED
        394,  # QUERY_WAS_CANCELLED
        516,  # AUTHENTICATION_FAILED
        999,  # KEEPER_EXCEPTION
    }
)

_TIME_LIMIT_CODES = frozenset({159, 160})  # TIMEOUT_EXCEEDED, TOO_SLOW
_MEMORY_LIMIT_CODES = frozenset({241})  # MEMORY_LIMIT_EXCEEDED

INSERT_SETTINGS: Mapping[str, Any] = {"deduplicate_blocks_in_dependent_materialized_views": 1}
"""Engine settings of every :meth:`Warehouse.insert_arrow` (a benchmark's ceiling uses them too).

``deduplicate_blocks_in_dependent_materialized_views``: a replayed block is dropped by the views
too, not only by the table it was inserted into.
"""

HTTP_CONNECT_TIMEOUT_S = 10
"""Seconds to wait for a TCP connection to a ClickHouse server."""
HTTP_SEND_RECEIVE_TIMEOUT_S = 300
"""Seconds to wait for a ClickHouse server to answer one request."""


@dataclass(frozen=True)
class QueryLimits:
    """Bounds on one read: ``timeout_s`` seconds of execution (``max_execution_time``) and
    ``max_memory_bytes`` of engine memory (``max_memory_usage``). Defaults: 60 s and 512 MiB,
    so a process holding chDB (about 400 MB) stays within 1 GiB while one read runs."""

    timeout_s: float = 60.0
    max_memory_bytes: int = 512 * 1024 * 1024

    def settings(self) -> dict[str, Any]:
        """The ClickHouse settings of these limits."""
        return {"max_execution_time": self.timeout_s, "max_memory_usage": self.max_memory_bytes}

    def exceeded(self, code: int, action: str) -> QueryLimitExceeded | None:
        """The error for ClickHouse error ``code`` when it is one of these limits, else None."""
        if code in _TIME_LIMIT_CODES:
            return QueryLimitExceeded(
                f"{action} was stopped: it ran longer than the query time limit of "
                f"{self.timeout_s:g} s")
        if code in _MEMORY_LIMIT_CODES:
            return QueryLimitExceeded(
                f"{action} was stopped: it needed more than the query memory limit of "
                f"{self.max_memory_bytes / 2**20:,.0f} MiB")
        return None


class Warehouse:
    """The one port to ClickHouse. Build it with :meth:`connect`; close it (or use ``with``).

    ``database`` is where unqualified table names resolve and where migrations run; ``cluster``
    (None for a single server or the embedded engine) makes DDL run ``ON CLUSTER``.
    """

    def __init__(
        self,
        dsn: Dsn,
        *,
        database: str,
        cluster: str | None,
        factory: Callable[[str], Client],
        limits: QueryLimits | None = None,
    ) -> None:
        """Use :meth:`connect`. ``factory(database)`` opens one clickhouse-connect client."""
        self._limits = limits
        self._dsn = dsn
        self._database = database
        self._cluster = cluster
        self._factory = factory
        self._local = threading.local()
        self._lock = threading.Lock()
        self._clients: list[tuple[threading.Thread, Client]] = []
        self._closed = False
        self.attachments: dict[str, Any] = {}
        """State other rooms keep per warehouse (e.g. the run ledger's follower, by name); see
        :meth:`attached`."""

    def attached(self, name: str, make: Callable[[], _T]) -> _T:
        """The state kept under ``name`` in :attr:`attachments`, made by ``make()`` the first
        time it is asked for (once, even when threads ask at the same time)."""
        with self._lock:
            found = self.attachments.get(name)
            if found is None:
                found = self.attachments[name] = make()
            return cast(_T, found)

    @classmethod
    def connect(
        cls,
        dsn: str,
        *,
        cluster: str | None = None,
        create_database: bool = True,
        database: str | None = None,
        settings: Mapping[str, Any] | None = None,
        limits: QueryLimits | None = None,
    ) -> Warehouse:
        """Open the engine named by ``dsn`` and check it answers.

        ``database`` overrides the DSN's database (default: the DSN's, else ``default``).
        ``settings`` are ClickHouse settings applied to every query of every client (e.g.
        ``{"use_query_condition_cache": 0}``); per-call ``settings`` add to them.
        ``create_database`` (default True) runs ``CREATE DATABASE IF NOT EXISTS`` (``ON
        CLUSTER`` with a cluster). For ``chdb://`` the data directory is created if missing.
        ``limits`` bound every read (default: none).
        Raises :class:`InvalidDsn`, :class:`WarehouseUnavailable` or :class:`QueryError`.
        """
        parsed = parse_dsn(dsn)
        db = database_name(database or parsed.database or DEFAULT_DATABASE)
        if cluster is not None:
            cluster_name(cluster)
        if parsed.is_embedded:
            _make_data_dir(parsed)
        factory = _client_factory(parsed, dict(settings or {}))
        warehouse = cls(parsed, database=db, cluster=cluster, factory=factory, limits=limits)
        try:
            if create_database and db != DEFAULT_DATABASE:
                warehouse._bootstrap_database()
            warehouse._client()
        except BaseException:
            warehouse.close()
            raise
        return warehouse

    @property
    def database(self) -> str:
        """Database where unqualified names resolve and migrations run."""
        return self._database

    @property
    def cluster(self) -> str | None:
        """Cluster name for ``ON CLUSTER`` DDL, or None."""
        return self._cluster

    @property
    def is_embedded(self) -> bool:
        """True for the in-process chDB engine (``chdb://``)."""
        return self._dsn.is_embedded

    @property
    def limits(self) -> QueryLimits | None:
        """The bounds on every read, or None."""
        return self._limits

    @property
    def dsn(self) -> Dsn:
        """The parsed DSN (its repr hides the password)."""
        return self._dsn

    def query(
        self,
        sql: str,
        parameters: Mapping[str, Any] | None = None,
        *,
        settings: Mapping[str, Any] | None = None,
    ) -> list[tuple[Any, ...]]:
        """Rows of ``sql`` as tuples; ``{name:Type}`` placeholders bound from ``parameters``.

        Per-call ``settings`` add to (and override) the :class:`QueryLimits` settings."""
        with self._translated("query", limited=True):
            result = self._client().query(
                sql, parameters=_dict(parameters), settings=self._read_settings(settings)
            )
            return [tuple(row) for row in result.result_rows]

    def query_dicts(
        self,
        sql: str,
        parameters: Mapping[str, Any] | None = None,
        *,
        settings: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Rows of ``sql`` as ``{column name: value}`` dicts (see :meth:`query`)."""
        with self._translated("query", limited=True):
            result = self._client().query(
                sql, parameters=_dict(parameters), settings=self._read_settings(settings)
            )
            return [dict(row) for row in result.named_results()]

    def query_arrow(
        self,
        sql: str,
        parameters: Mapping[str, Any] | None = None,
        *,
        settings: Mapping[str, Any] | None = None,
    ) -> pyarrow.Table:
        """Result of ``sql`` as a pyarrow Table (see :meth:`query`)."""
        with self._translated("query", limited=True):
            return self._client().query_arrow(
                sql, parameters=_dict(parameters), settings=self._read_settings(settings)
            )

    def command(
        self,
        sql: str,
        parameters: Mapping[str, Any] | None = None,
        *,
        settings: Mapping[str, Any] | None = None,
    ) -> None:
        """Run a statement that returns no rows (DDL, INSERT ... SELECT, ALTER)."""
        with self._translated("command"):
            self._client().command(sql, parameters=_dict(parameters), settings=_dict(settings))

    def insert_arrow(
        self, table: str, data: pyarrow.Table, *, dedup_token: str | None = None
    ) -> None:
        """Insert ``data`` into ``table`` (our table name; columns matched by name).

        With ``dedup_token`` the insert is idempotent: a replay with the same token is stored
        once, in the table and in every materialized view fed by it (tables need
        ``non_replicated_deduplication_window`` or a replicated engine, as ours have). The
        same rows under another token are a new insert. Without a token the engine falls back
        to the block's content hash: a byte-identical block inserted again is dropped too.
        Missing columns take their defaults.
        """
        table_name(table)
        settings: dict[str, Any] = dict(INSERT_SETTINGS)
        if dedup_token is not None:
            settings["insert_deduplication_token"] = dedup_token
        if self._cluster is not None:
            # Forward the block (and its token) to the shards before returning, so a replay
            # meets the shards' deduplication instead of a second background send.
            settings["distributed_foreground_insert"] = 1
        with self._translated(f"insert into {table}"):
            self._client().insert_arrow(
                table, data, database=None if "." in table else self._database, settings=settings
            )

    def ping(self) -> bool:
        """True when the engine answers ``SELECT 1``; never raises."""
        try:
            return self.query("SELECT 1") == [(1,)]
        except WarehouseError:
            return False

    def close(self) -> None:
        """Close every client of every thread. Later calls raise WarehouseUnavailable."""
        with self._lock:
            self._closed = True
            clients, self._clients = self._clients, []
        for _, client in clients:
            _close_quietly(client)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        cluster = f", cluster={self._cluster!r}" if self._cluster else ""
        return f"Warehouse({self._dsn.redacted()!r}, database={self._database!r}{cluster})"

    # -- internals -------------------------------------------------------------------------

    def _bootstrap_database(self) -> None:
        on_cluster = f" ON CLUSTER {quoted(self._cluster)}" if self._cluster else ""
        with self._translated("create database"):
            client = self._factory(DEFAULT_DATABASE)
            try:
                client.command(f"CREATE DATABASE IF NOT EXISTS {self._database}{on_cluster}")
            finally:
                _close_quietly(client)

    def _client(self) -> Client:
        client: Client | None = getattr(self._local, "client", None)
        if client is not None and not self._closed:
            return client
        with self._lock:
            if self._closed:
                raise WarehouseUnavailable(f"{self!r} is closed")
            stale = [(t, c) for t, c in self._clients if not t.is_alive()]
            self._clients = [(t, c) for t, c in self._clients if t.is_alive()]
        for _, old in stale:
            _close_quietly(old)
        with self._translated("connect"):
            client = self._factory(self._database)
        with self._lock:
            if self._closed:
                _close_quietly(client)
                raise WarehouseUnavailable(f"{self!r} is closed")
            self._clients.append((threading.current_thread(), client))
        self._local.client = client
        return client

    def _read_settings(self, settings: Mapping[str, Any] | None) -> dict[str, Any] | None:
        if self._limits is None:
            return _dict(settings)
        return {**self._limits.settings(), **(settings or {})}

    @contextmanager
    def _translated(self, action: str, *, limited: bool = False) -> Iterator[None]:
        try:
            yield
        except WarehouseError:
            raise
        except Exception as exc:
            code = getattr(exc, "code", None)
            if limited and self._limits is not None and isinstance(code, int):
                stopped = self._limits.exceeded(code, "the query")
                if stopped is not None:
                    raise stopped from exc
            raise translate(exc, action=action, secrets=self._dsn.secrets()) from exc


def ready_warehouse(source: Callable[[], Warehouse | None]) -> Warehouse:
    """The warehouse ``source()`` gives once the server has connected and migrated it; raises
    :class:`~warehouse.errors.WarehouseNotReady` while it gives ``None`` (start-up)."""
    wh = source()
    if wh is None:
        raise WarehouseNotReady()
    return wh


def translate(exc: Exception, *, action: str, secrets: tuple[str, ...] = ()) -> WarehouseError:
    """The :class:`WarehouseError` for a driver exception raised while doing ``action``.

    Server errors with a ClickHouse code become :class:`QueryError` (timeouts and overload
    codes :class:`WarehouseUnavailable`); transport failures and a closed or locked engine
    become :class:`WarehouseUnavailable`. Passwords in ``secrets`` are masked in the message
    and in the original exception, which stays chained as ``__cause__``.
    """
    _scrub_args(exc, secrets)
    message = scrub(f"{action} failed: {exc}", *secrets)
    code = getattr(exc, "code", None)
    code = code if isinstance(code, int) else None
    kind = type(exc).__name__
    module = type(exc).__module__
    if code is not None:
        if code in _UNAVAILABLE_CODES:
            return WarehouseUnavailable(message)
        return QueryError(message, code=code)
    if module.startswith("clickhouse_connect"):
        text = str(exc)
        if kind in ("OperationalError", "StreamFailureError") or (
            "Unable to open the chdb engine" in text or "client has been closed" in text
        ):
            return WarehouseUnavailable(message)
        return QueryError(message)
    if module.startswith("chdb") or isinstance(exc, OSError | ConnectionError):
        return WarehouseUnavailable(message)
    return QueryError(message)


def _scrub_args(exc: BaseException, secrets: tuple[str, ...]) -> None:
    if secrets and any(isinstance(arg, str) for arg in exc.args):
        exc.args = tuple(scrub(a, *secrets) if isinstance(a, str) else a for a in exc.args)


def _dict(mapping: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return dict(mapping) if mapping else None


def _close_quietly(client: Client) -> None:
    # Closing is best effort: the engine or server may already be gone.
    with suppress(Exception):
        client.close()


def _make_data_dir(dsn: Dsn) -> None:
    assert dsn.path is not None
    try:
        Path(dsn.path).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WarehouseUnavailable(
            f"cannot create the chDB data directory {dsn.path}: {exc.strerror}"
        ) from exc


def _client_factory(dsn: Dsn, settings: dict[str, Any]) -> Callable[[str], Client]:
    def open_client(database: str) -> Client:
        import clickhouse_connect  # imported here: importing the package costs little, chdb a lot

        if dsn.is_embedded:
            return clickhouse_connect.get_client(
                interface="chdb", path=dsn.path, database=database, settings=dict(settings)
            )
        return clickhouse_connect.get_client(
            interface="https" if dsn.secure else "http",
            host=dsn.host,
            port=dsn.port,
            username=dsn.username,
            password=dsn.password,
            database=database,
            settings=dict(settings),
            autogenerate_session_id=False,
            connect_timeout=HTTP_CONNECT_TIMEOUT_S,
            send_receive_timeout=HTTP_SEND_RECEIVE_TIMEOUT_S,
        )

    return open_client
