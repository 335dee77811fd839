"""Exceptions raised by the warehouse room.

Every error the room raises is a :class:`WarehouseError`; driver errors (clickhouse-connect,
chDB, pyarrow) are translated at the boundary with ``raise ... from exc``::

    WarehouseError
    ├── InvalidDsn            (also a ValueError) a DSN or identifier that cannot be used
    ├── WarehouseUnavailable  cannot connect or log in, engine gone or closed, timeouts,
    │                         overload (too many parts/queries, memory): retry later
    ├── QueryError            bad SQL, bad parameters, server-side exceptions:
    │                         the same call will fail again
    └── SchemaMismatch        an existing table lacks our columns or types;
                              an applied migration file was changed afterwards

Messages never contain a password: :func:`scrub` removes it before a message is built.
"""

from __future__ import annotations

_MASK = "***"


class WarehouseError(Exception):
    """Base class of every error raised by the warehouse room."""


class InvalidDsn(WarehouseError, ValueError):
    """A DSN (or a database/cluster/table identifier) that cannot be used, with what is wrong."""


class WarehouseUnavailable(WarehouseError):
    """The engine cannot be reached: connection refused, engine closed or locked, timeout."""


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
