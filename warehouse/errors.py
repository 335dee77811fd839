"""Exceptions raised by the warehouse room.

Every error the room raises is a :class:`WarehouseError`; driver errors (clickhouse-connect,
chDB, pyarrow) are translated at the boundary with ``raise ... from exc``::

    WarehouseError
    ├── InvalidDsn            (also a ValueError) a DSN or identifier that cannot be used
    ├── InvalidCursor         (also a ValueError) a page cursor this code did not write
    ├── WarehouseUnavailable  cannot connect or log in, engine gone or closed, timeouts,
    │   │                     overload (too many parts/queries, memory): retry later
    │   ├── WarehouseNotReady   the server has not connected and migrated yet (start-up)
    │   └── QueryLimitExceeded  a read stopped by its time or memory limit (QueryLimits)
    ├── QueryError            bad SQL, bad parameters, server-side exceptions:
    │                         the same call will fail again
    └── SchemaMismatch        an existing table lacks our columns or types;
                              an applied migration file was changed afterwards

Messages never contain a password: :func:`scrub` removes it before a message is built. They
do carry the engine's own text (for logs); what a client may be shown is
:func:`public_message`, which never does: it is the message only of errors whose text is
ours (``public = True``), else a sentence saying what kind of failure it was.
"""

from __future__ import annotations

_MASK = "***"


class WarehouseError(Exception):
    """Base class of every error raised by the warehouse room."""

    public = False
    """True when the message is ours only (no engine text), so a client may be shown it."""


class InvalidDsn(WarehouseError, ValueError):
    """A DSN (or a database/cluster/table identifier) that cannot be used, with what is wrong."""


class InvalidCursor(WarehouseError, ValueError):
    """A page cursor (of the correlation lookup) that this code did not write."""


class WarehouseUnavailable(WarehouseError):
    """The engine cannot be reached: connection refused, engine closed or locked, timeout."""


class WarehouseNotReady(WarehouseUnavailable):
    """The server has not connected to the warehouse and applied its migrations yet: it is
    starting, or retrying a warehouse that was unreachable when it started."""

    public = True

    def __init__(self, message: str = "the warehouse is not ready yet") -> None:
        super().__init__(message)


class QueryLimitExceeded(WarehouseUnavailable):
    """A read stopped by a :class:`warehouse.port.QueryLimits` bound; the message is ours
    (which limit, its value), without engine text."""

    public = True


class QueryError(WarehouseError):
    """The engine rejected a statement: syntax, unknown table, bad parameter, server exception.

    ``code`` is the ClickHouse error code when known (e.g. 62 for a syntax error), else None.
    """

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class SchemaMismatch(WarehouseError):
    """The database does not hold the schema this code expects.

    Raised when an existing table lacks a column or has it with another type, when an applied
    migration's file changed since it was applied, or when the database knows migrations this
    code does not.
    """


def scrub(text: str, *secrets: str) -> str:
    """``text`` with every occurrence of each non-empty secret (a password) replaced by ``***``.

    Longer secrets are replaced first, so a secret that contains another is masked whole.
    """
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, _MASK)
    return text


def public_message(exc: WarehouseError) -> str:
    """What a client may be told about ``exc``: its message when it is ours (which limit
    stopped a query, that the server is starting), or that the warehouse is unavailable or
    failed (with the ClickHouse error code), never the engine's text (it can hold versions,
    paths and SQL: that goes to the log)."""
    if exc.public:
        return str(exc)
    if isinstance(exc, WarehouseUnavailable):
        return "the warehouse is unavailable; retry later"
    code = getattr(exc, "code", None)
    suffix = f" (ClickHouse error {code})" if isinstance(code, int) else ""
    return f"the warehouse could not answer{suffix}; the server log has the details"
