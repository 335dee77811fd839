"""Warehouse DSNs: where the ClickHouse engine is and how to reach it. Pure: no I/O.

Two forms are understood:

- ``chdb:///abs/path`` — the embedded engine (chDB) on a data directory. The path must be
  absolute; ``?database=name`` optionally picks the database (default ``default``).
- ``http(s)://user:password@host:port/database`` — a ClickHouse server. The port defaults to
  8123 (http) or 8443 (https), the user to ``default``, the database to ``default``. User and
  password may be percent-encoded.

A :class:`Dsn` never shows its password: ``repr()`` and :meth:`Dsn.redacted` print ``***``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import parse_qs, quote, unquote, urlsplit

from warehouse.errors import InvalidDsn
from warehouse.identifiers import database_name

DEFAULT_DATABASE = "default"
_DEFAULT_PORTS = {"http": 8123, "https": 8443}
_MASK = "***"


@dataclass(frozen=True)
class Dsn:
    """A parsed DSN.

    ``scheme`` is ``chdb``, ``http`` or ``https``. For ``chdb`` only ``path`` (absolute data
    directory) and ``database`` are set; for http(s) ``host``, ``port``, ``username``,
    ``password`` and ``database``. ``secure`` is True for https. ``database`` is None when the
    DSN names none (the engine default, ``default``, applies).
    """

    scheme: str
    path: str | None = None
    host: str | None = None
    port: int | None = None
    username: str | None = None
    password: str = field(default="", repr=False)
    database: str | None = None
    secure: bool = False

    @property
    def is_embedded(self) -> bool:
        """True for the in-process chDB engine."""
        return self.scheme == "chdb"

    def redacted(self) -> str:
        """The DSN as text with the password replaced by ``***`` (safe to log)."""
        if self.is_embedded:
            text = f"chdb://{quote(self.path or '')}"
            return f"{text}?database={self.database}" if self.database else text
        auth = ""
        if self.username is not None:
            auth = quote(self.username, safe="")
            if self.password:
                auth += f":{_MASK}"
            auth += "@"
        host = f"[{self.host}]" if self.host and ":" in self.host else self.host
        return f"{self.scheme}://{auth}{host}:{self.port}/{self.database or ''}"

    def secrets(self) -> tuple[str, ...]:
        """Forms of the password that could appear in a message (raw, percent-encoded)."""
        if not self.password:
            return ()
        return (self.password, quote(self.password, safe=""), quote(self.password))

    def __repr__(self) -> str:
        return f"Dsn({self.redacted()!r})"

    def __str__(self) -> str:
        return self.redacted()


def parse_dsn(text: str) -> Dsn:
    """Parse ``text`` into a :class:`Dsn`; :class:`InvalidDsn` names what is wrong.

    The message of an :class:`InvalidDsn` never repeats the DSN itself (it may hold a password).
    """
    if "://" not in text:
        raise InvalidDsn(
            "a warehouse DSN looks like chdb:///abs/path or http://user:password@host:8123/db"
        )
    scheme = text.split("://", 1)[0].lower()
    if scheme == "chdb":
        return _parse_chdb(text)
    if scheme in _DEFAULT_PORTS:
        return _parse_http(text, scheme)
    raise InvalidDsn(f"unsupported DSN scheme {scheme!r}: use chdb://, http:// or https://")


def default_dsn(data_dir: Path) -> str:
    """The default engine DSN for a data directory: ``chdb://<data-dir>/clickhouse``.

    A relative ``data_dir`` is made absolute against the current directory.
    """
    path = data_dir.absolute() / "clickhouse"
    return f"chdb://{quote(path.as_posix())}"


def _parse_chdb(text: str) -> Dsn:
    parts = urlsplit(text)
    if parts.fragment:
        raise InvalidDsn("a chdb DSN takes no #fragment")
    if parts.netloc:
        if "@" in parts.netloc:
            raise InvalidDsn("a chdb DSN takes no user or password (the engine is in-process)")
        raise InvalidDsn(
            "a chdb DSN needs an absolute path after three slashes, e.g. chdb:///var/lib/flowscope"
        )
    path = unquote(parts.path)
    if not path or not PurePosixPath(path).is_absolute():
        raise InvalidDsn("a chdb DSN needs an absolute data directory path, e.g. chdb:///data/ch")
    query = _query(parts.query, allowed={"database"})
    database = query.get("database")
    return Dsn(
        scheme="chdb",
        path=path,
        database=database_name(database) if database is not None else None,
    )


def _parse_http(text: str, scheme: str) -> Dsn:
    parts = urlsplit(text)
    if parts.fragment:
        raise InvalidDsn("an http(s) DSN takes no #fragment")
    _query(parts.query, allowed=set())
    host = parts.hostname
    if not host:
        raise InvalidDsn(f"a {scheme} DSN needs a host, e.g. {scheme}://host:8123/database")
    try:
        port = parts.port
    except ValueError as exc:
        raise InvalidDsn(f"the port of the {scheme} DSN is not a number from 1 to 65535") from exc
    if port == 0:
        raise InvalidDsn(f"the port of the {scheme} DSN is not a number from 1 to 65535")
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) > 1:
        raise InvalidDsn(
            f"the path of a {scheme} DSN is only the database name, e.g. {scheme}://host:8123/db"
        )
    database = database_name(unquote(segments[0])) if segments else None
    username = unquote(parts.username) if parts.username is not None else None
    password = unquote(parts.password) if parts.password is not None else ""
    return Dsn(
        scheme=scheme,
        host=host,
        port=port if port is not None else _DEFAULT_PORTS[scheme],
        username=username or "default",
        password=password,
        database=database,
        secure=scheme == "https",
    )


def _query(query: str, *, allowed: set[str]) -> dict[str, str]:
    if not query:
        return {}
    try:
        params = parse_qs(query, keep_blank_values=True, strict_parsing=True)
    except ValueError as exc:
        raise InvalidDsn("the DSN query string cannot be parsed") from exc
    unknown = sorted(set(params) - allowed)
    if unknown:
        names = ", ".join(unknown)
        accepted = ", ".join(sorted(allowed)) or "none"
        raise InvalidDsn(f"unsupported DSN parameter(s): {names} (accepted: {accepted})")
    repeated = sorted(name for name, values in params.items() if len(values) > 1)
    if repeated:
        raise InvalidDsn(f"DSN parameter(s) given more than once: {', '.join(repeated)}")
    return {name: values[0] for name, values in params.items()}
