"""API keys with scopes, and the ASGI guard that enforces them on every route.

Keys look like ``fsk_<scope>_<43 url-safe characters>`` (256 random bits). Only their SHA-256
is stored, in ``<data-dir>/keys.yaml`` (or ``FLOWSCOPE_KEYS_FILE``)::

    keys:
      - {name: ci, scope: ingest, hash: "sha256:9f...", created: "2026-11-27T10:00:00Z"}

A random 256-bit key needs no slow hash: SHA-256 is preimage-resistant, and comparing digests
with :func:`hmac.compare_digest` keeps the check constant-time.

Scopes: ``ingest`` may post spans and events; ``read`` may read every query route, ``/metrics``,
the API docs and the dashboards; ``admin`` may do everything. As soon as one key exists, every
route but ``/healthz`` and ``/readyz`` (for load balancers) requires ``Authorization: Bearer KEY``:
401 without a valid key, 403 with a key of the wrong scope. With no keys, the server only binds
loopback addresses (see :func:`refuse_open_bind`).

Keys can also come from the environment, as hashes only: ``FLOWSCOPE_API_KEYS`` holds
comma-separated entries ``scope:sha256:<64 hex>`` or ``name=scope:sha256:<64 hex>`` (unnamed
entries are called ``env-<scope>-<n>``), e.g.
``FLOWSCOPE_API_KEYS="ci=ingest:sha256:9f...,admin:sha256:0a..."``. They add to the keys file;
``flowscope keys create`` prints the entry for a new key. A malformed entry stops the server
with an :class:`AccessError` that names its position, never its text (a raw key pasted there by
mistake is not echoed). Presented keys, bearer headers and digests never appear in a log line or
an error body.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import re
import secrets
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, cast

import yaml

from flowscope.sessions import (
    COOKIE,
    LOGIN_PATH,
    MAX_FORM_BYTES,
    SESSION_SECONDS,
    SessionStore,
    login_page,
    session_id,
    submitted_key,
)

Scope = Literal["ingest", "read", "admin"]
SCOPES: tuple[Scope, ...] = ("ingest", "read", "admin")

OPEN_PATHS = frozenset({"/healthz", "/readyz"})
INGEST_PATHS = frozenset({"/v1/traces", "/v1/logs", "/api/v1/events"})
ADMIN_PREFIXES = ("/api/v1/audit",)
ENV_KEYS = "FLOWSCOPE_API_KEYS"
"""Environment variable holding extra key hashes (see the module docstring)."""
_ENV_ENTRY = re.compile(
    r"(?:([A-Za-z0-9_.@-]{1,64})=)?(ingest|read|admin):(sha256:[0-9a-fA-F]{64})"
)


class AccessError(Exception):
    """Keys file unreadable or malformed, or an unknown scope."""


@dataclass(frozen=True)
class StoredKey:
    """One key as stored: its name, scope and ``sha256:<hex>`` digest."""

    name: str
    scope: Scope
    digest: str
    created: str = ""


def digest(key: str) -> str:
    """``sha256:<hex>`` of a presented key."""
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def new_key(scope: Scope) -> str:
    """A fresh random key for ``scope``."""
    return f"fsk_{scope}_{secrets.token_urlsafe(32)}"


def required_scope(method: str, path: str) -> Scope | None:
    """The scope a request needs, or None for the open health routes."""
    if path in OPEN_PATHS:
        return None
    if path in INGEST_PATHS and method == "POST":
        return "ingest"
    if path == "/dashboards" or path.startswith("/dashboards/"):
        return "read"  # Dash posts its callbacks; the pages only read
    if path.startswith(ADMIN_PREFIXES) or method in ("POST", "PUT", "PATCH", "DELETE"):
        return "admin"
    return "read"


def allows(granted: Scope, needed: Scope) -> bool:
    """``admin`` allows everything; other scopes allow only themselves."""
    return granted == "admin" or granted == needed


class KeyStore:
    """The keys file, re-read when it changes on disk (so new keys work without a restart)."""

    def __init__(self, path: Path, *, extra: tuple[StoredKey, ...] = ()) -> None:
        """``extra`` keys (e.g. from :func:`environment_keys`) are valid besides the file's."""
        self.path = path
        self.extra = extra
        self._stamp: tuple[int, int] | None = None
        self._keys: tuple[StoredKey, ...] = ()

    def keys(self) -> tuple[StoredKey, ...]:
        """The keys of the file (none when it does not exist), then the ``extra`` keys."""
        return self._file_keys() + self.extra

    def _file_keys(self) -> tuple[StoredKey, ...]:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            self._stamp, self._keys = None, ()
            return ()
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp != self._stamp:
            self._keys = read_keys(self.path)
            self._stamp = stamp
        return self._keys

    def match(self, presented: str) -> StoredKey | None:
        """The stored key whose digest equals the presented key's, compared in constant time."""
        candidate = digest(presented)
        found: StoredKey | None = None
        for key in self.keys():
            if hmac.compare_digest(candidate, key.digest):
                found = key
        return found

    def create(self, scope: str, *, name: str | None = None, now: datetime | None = None) -> str:
        """Create, store (hash only) and return a new key; the file is replaced atomically."""
        if scope not in SCOPES:
            raise AccessError(f"unknown scope {scope!r}: use one of {', '.join(SCOPES)}")
        key = new_key(scope)
        when = (now or datetime.now(UTC)).isoformat(timespec="seconds").replace("+00:00", "Z")
        entries = [
            {"name": k.name, "scope": k.scope, "hash": k.digest, "created": k.created}
            for k in self._file_keys()
        ]
        label = name or f"{scope}-{len(entries) + 1}"
        entries.append({"name": label, "scope": scope, "hash": digest(key), "created": when})
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        with tmp.open("w") as fh:
            yaml.safe_dump({"keys": entries}, fh, sort_keys=False)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.chmod(0o600)
        tmp.replace(self.path)
        return key


def read_keys(path: Path) -> tuple[StoredKey, ...]:
    """Parse a keys file; raises :class:`AccessError` naming what is wrong."""
    try:
        doc = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise AccessError(f"cannot read the keys file {path}: {exc}") from exc
    out: list[StoredKey] = []
    for i, entry in enumerate(doc.get("keys") or []):
        if not isinstance(entry, dict):
            raise AccessError(f"{path}: keys[{i}] must be a mapping")
        scope, hashed = entry.get("scope"), str(entry.get("hash", ""))
        if scope not in SCOPES:
            raise AccessError(f"{path}: keys[{i}].scope must be one of {', '.join(SCOPES)}")
        if not hashed.startswith("sha256:") or len(hashed) != 71:
            raise AccessError(f"{path}: keys[{i}].hash must be sha256:<64 hex digits>")
        out.append(
            StoredKey(str(entry.get("name", "")), scope, hashed, str(entry.get("created", "")))
        )
    return tuple(out)


def environment_keys(environ: Mapping[str, str]) -> tuple[StoredKey, ...]:
    """The key hashes in ``environ[FLOWSCOPE_API_KEYS]`` (none when unset or blank).

    Raises :class:`AccessError` naming the 1-based position of a malformed entry (not its text).
    """
    found: list[StoredKey] = []
    entries = [e.strip() for e in environ.get(ENV_KEYS, "").split(",")]
    for position, entry in enumerate(entries, start=1):
        if not entry:
            continue
        match = _ENV_ENTRY.fullmatch(entry)
        if match is None:
            raise AccessError(
                f"{ENV_KEYS} entry {position} is not [name=]scope:sha256:<64 hex digits>"
                " (scope ingest, read or admin); it must hold hashes, never keys"
            )
        name, scope, hashed = match.groups()
        label = name or f"env-{scope}-{position}"
        found.append(StoredKey(label, cast(Scope, scope), hashed.lower()))
    return tuple(found)


def key_store(path: Path, environ: Mapping[str, str] | None = None) -> KeyStore:
    """The keys file at ``path`` plus the hashes in ``FLOWSCOPE_API_KEYS`` (``os.environ``)."""
    return KeyStore(path, extra=environment_keys(os.environ if environ is None else environ))


def env_entry(key: StoredKey) -> str:
    """``name=scope:sha256:<hex>``: how ``key`` is written in ``FLOWSCOPE_API_KEYS``."""
    return f"{key.name}={key.scope}:{key.digest}"


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def refuse_open_bind(host: str, store: KeyStore) -> str | None:
    """An error message when binding ``host`` without any key would expose the server."""
    if is_loopback(host) or store.keys():
        return None
    return (
        f"refusing to listen on {host} without API keys: anyone on the network could read and"
        " write your data. Create one first, e.g.\n"
        "  flowscope keys create --scope ingest --name my-service\n"
        "  flowscope keys create --scope read --name dashboards\n"
        "or bind 127.0.0.1."
    )


ASGIApp = Callable[
    [MutableMapping[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]],
    Awaitable[None],
]


class AccessGuard:
    """ASGI middleware: checks the bearer key's scope before the app sees the request."""

    def __init__(self, app: ASGIApp, store: KeyStore, sessions: SessionStore | None = None) -> None:
        self.app = app
        self.store = store
        self.sessions = sessions or SessionStore()

    async def __call__(
        self,
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[Any]],
        send: Callable[[Any], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http" or not self.store.keys():
            await self.app(scope, receive, send)
            return
        if scope["path"] == LOGIN_PATH:
            await self._login(scope, receive, send)
            return
        needed = required_scope(scope["method"], scope["path"])
        if needed is None:
            await self.app(scope, receive, send)
            return
        presented = _bearer(scope)
        key = self.store.match(presented) if presented else None
        if key is None and scope["path"].startswith("/dashboards"):
            sid = session_id(scope.get("headers", []))
            session = self.sessions.get(sid) if sid else None
            if session is not None:
                key = StoredKey(session.key_name, session.scope, "")  # type: ignore[arg-type]
            elif scope["method"] == "GET":
                await _respond(send, 303, b"", [(b"location", LOGIN_PATH.encode())])
                return
        if key is None:
            await _deny(send, 401, "a valid API key is required: Authorization: Bearer KEY")
            return
        scope.setdefault("state", {})["api_key_name"] = key.name
        if not allows(key.scope, needed):
            await _deny(send, 403, f"this key has scope {key.scope!r}; this route needs {needed!r}")
            return
        await self.app(scope, receive, send)


    async def _login(
        self,
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[Any]],
        send: Callable[[Any], Awaitable[None]],
    ) -> None:
        html_type = [(b"content-type", b"text/html; charset=utf-8")]
        if scope["method"] != "POST":
            await _respond(send, 200, login_page(), html_type)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if len(body) > MAX_FORM_BYTES:
                await _respond(send, 413, login_page("that form is too large"), html_type)
                return
            if not message.get("more_body"):
                break
        presented = submitted_key(body)
        key = self.store.match(presented) if presented else None
        if key is None or not allows(key.scope, "read"):
            reason = "that key is not valid" if key is None else "that key has no read scope"
            await _respond(send, 401, login_page(reason), html_type)
            return
        sid = self.sessions.open(key.name, key.scope)
        cookie = (f"{COOKIE}={sid}; HttpOnly; SameSite=Strict; Path=/dashboards;"
                  f" Max-Age={SESSION_SECONDS}")
        await _respond(send, 303, b"", [(b"location", b"/dashboards/executive"),
                                        (b"set-cookie", cookie.encode())])


async def _respond(
    send: Callable[[Any], Awaitable[None]],
    status: int,
    body: bytes,
    headers: list[tuple[bytes, bytes]],
) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _bearer(scope: MutableMapping[str, Any]) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            text = value.decode("latin-1")
            if text[:7].lower() == "bearer ":
                return text[7:].strip() or None
    return None


async def _deny(send: Callable[[Any], Awaitable[None]], status: int, message: str) -> None:
    body = ('{"detail": "' + message.replace('"', "'") + '"}').encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="flowscope"'))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
