"""Checks for the identifiers the warehouse pastes into SQL: database, cluster and table names.

User strings never reach SQL text: values are bound as ``{name:Type}`` parameters. The only names
pasted into statements are the database (from the DSN or settings), the cluster (from settings)
and table names (from our own code); each is checked here first. Pure: no I/O.
"""

from __future__ import annotations

import re

from warehouse.errors import InvalidDsn, QueryError

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CLUSTER = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
_MAX_LENGTH = 128


def database_name(name: str) -> str:
    """``name`` if it is a plain identifier (letters, digits, ``_``; not starting with a digit).

    Raises :class:`InvalidDsn` naming the problem otherwise.
    """
    if not _PLAIN.fullmatch(name) or len(name) > _MAX_LENGTH:
        raise InvalidDsn(
            f"database name {name!r} is not a plain identifier "
            "(letters, digits and '_', not starting with a digit)"
        )
    return name


def table_name(name: str) -> str:
    """``name`` if a plain identifier, optionally ``database.table``; else :class:`QueryError`."""
    parts = name.split(".")
    if len(parts) > 2 or not all(_PLAIN.fullmatch(p) and len(p) <= _MAX_LENGTH for p in parts):
        raise QueryError(f"table name {name!r} is not a plain identifier")
    return name


def cluster_name(name: str) -> str:
    """``name`` if it is a usable cluster name (letters, digits, ``_``, ``.``, ``-``)."""
    if not _CLUSTER.fullmatch(name) or len(name) > _MAX_LENGTH:
        raise InvalidDsn(
            f"cluster name {name!r} may contain only letters, digits, '_', '.' and '-'"
        )
    return name


def quoted(name: str) -> str:
    """``name`` as SQL: bare when it is a plain identifier, else in backquotes.

    Only for names already checked by this module (they hold no backquote).
    """
    return name if _PLAIN.fullmatch(name) else f"`{name}`"
