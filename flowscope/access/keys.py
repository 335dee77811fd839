"""API keys with scopes: the keys file, the scope of each route, and keys from the environment.

Keys look like ``fsk_<scope>_<43 url-safe characters>`` (256 random bits). Only their SHA-256
is stored, in ``<data-dir>/keys.yaml`` (or ``FLOWSCOPE_KEYS_FILE``)::

    keys:
      - {name: ci, scope: ingest, hash: "sha256:9f...", created: "2026-11-27T10:00:00Z"}
      - {name: erp, scope: ingest, hash: "sha256:0a...", sources: [/erp]}

A random 256-bit key needs no slow hash: SHA-256 is preimage-resistant, and comparing digests
with :func:`hmac.compare_digest` keeps the check constant-time. A key's **id** is the first 12
hex digits of its digest (what ``flowscope keys list`` shows and ``keys revoke`` takes).

Scopes are ordered (:data:`SCOPE_RANKS`): ``read`` < ``operate`` < ``admin``, and a key allows
what its scope needs and every lower rank; ``ingest`` stands apart and is allowed only to ingest
and admin keys. ``ingest`` may post spans and events; ``read`` may read every query route,
``/metrics``, the API docs and the dashboards; ``operate`` may also replay runs, silence alerts
and declare maintenance (:data:`OPERATE_ROUTES`); ``admin`` may do everything. ``sources``
limits an ingest key to those CloudEvents sources (see :mod:`collector.sources`); without it a
key may send any.

Keys can also come from the environment, as hashes only: ``FLOWSCOPE_API_KEYS`` holds
comma-separated entries ``scope:sha256:<64 hex>`` or ``name=scope:sha256:<64 hex>`` (unnamed
entries are called ``env-<scope>-<n>``). They add to the keys file; ``flowscope keys create``
prints the entry for a new key. A malformed entry stops the server with an
:class:`AccessError` that names its position, never its text. Presented keys, bearer headers and
digests never appear in a log line or an error body.

**Failing closed.** :class:`KeyStore` re-reads the file when it changes on disk (inode, size,
mtime). Once keys are in use — the file existed at some point, or the environment holds keys —
a file that vanishes, empties or breaks never opens the server: :meth:`KeyStore.state` says
``protected`` with no file keys (every key of the file refused) and, for a missing or broken
file, a ``problem`` the guard answers with 503 and logs once per change. Only a server that
never had a keys file and has no environment keys is open (and binds loopback only, see
:func:`refuse_open_bind`).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import os
import re
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, cast

import yaml

from catalog.parameters import rfc3339
from flowscope.access.errors import AccessError

log = logging.getLogger("flowscope.access")

Scope = Literal["ingest", "read", "operate", "admin"]
SCOPES: tuple[Scope, ...] = ("ingest", "read", "operate", "admin")
SCOPE_RANKS: Mapping[Scope, int] = {"ingest": 0, "read": 10, "operate": 50, "admin": 100}
"""Order of the scopes. ``read`` and everything above it form a ladder; ``ingest`` (rank 0)
is granted only to itself and to ``admin`` (the top)."""

OPEN_PATHS = frozenset({"/healthz", "/readyz"})
INGEST_PATHS = frozenset({"/v1/traces", "/v1/logs", "/api/v1/events"})
ADMIN_PREFIXES = ("/api/v1/audit",)
OPERATE_ROUTES = (
    ("POST", re.compile(r"/api/v1/flows/[^/]+/runs/[^/]+/replay")),
    ("POST", re.compile(r"/api/v1/flows/[^/]+/dead-letters/replay")),
    ("POST", re.compile(r"/api/v1/flows/[^/]+/maintenance")),
    ("DELETE", re.compile(r"/api/v1/flows/[^/]+/maintenance/[^/]+")),
    ("POST", re.compile(r"/api/v1/silences")),
    ("DELETE", re.compile(r"/api/v1/silences/[^/]+")),
)
"""Writes the ``operate`` scope may make (method, whole path): replays, maintenance declared
now, silences."""
ENV_KEYS = "FLOWSCOPE_API_KEYS"
"""Environment variable holding extra key hashes (see the module docstring)."""
ID_DIGITS = 12
"""Hex digits of a key's digest that make its id."""
MAX_SOURCES = 100
"""Most CloudEvents sources one key may be limited to."""
_ENV_ENTRY = re.compile(
    r"(?:([A-Za-z0-9_.@-]{1,64})=)?(ingest|read|operate|admin):(sha256:[0-9a-fA-F]{64})"
)


@dataclass(frozen=True)
class StoredKey:
    """One key as stored: its name, scope, ``sha256:<hex>`` digest, creation time and the
    CloudEvents sources it is limited to (empty: any)."""

    name: str
    scope: Scope
    digest: str
    created: str = ""
    sources: tuple[str, ...] = ()

    @property
    def key_id(self) -> str:
        """The first :data:`ID_DIGITS` hex digits of the digest."""
        return self.digest.removeprefix("sha256:")[:ID_DIGITS]

    def entry(self) -> dict[str, Any]:
        """The key's mapping in the keys file."""
        out: dict[str, Any] = {"name": self.name, "scope": self.scope, "hash": self.digest,
                               "created": self.created}
        if self.sources:
            out["sources"] = list(self.sources)
        return out


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
    if path.startswith(ADMIN_PREFIXES):
        return "admin"
    if any(method == m and pattern.fullmatch(path) for m, pattern in OPERATE_ROUTES):
        return "operate"
    if method in ("POST", "PUT", "PATCH", "DELETE"):
        return "admin"
    return "read"


def allows(granted: Scope, needed: Scope) -> bool:
    """Whether a key of scope ``granted`` may do what ``needed`` allows (see
    :data:`SCOPE_RANKS`)."""
    if granted == needed or granted == "admin":
        return True
    if "ingest" in (granted, needed):
        return False
    return SCOPE_RANKS[granted] >= SCOPE_RANKS[needed]


def check_sources(sources: tuple[str, ...]) -> tuple[str, ...]:
    """``sources`` when each is a CloudEvents source (a non-empty printable URI-reference of at
    most 1,000 characters) and there are at most :data:`MAX_SOURCES`; AccessError otherwise."""
    if len(sources) > MAX_SOURCES:
        raise AccessError(f"a key may be limited to at most {MAX_SOURCES} sources")
    for source in sources:
        if not source or len(source) > 1000 or not source.isprintable() or source != source.strip():
            raise AccessError(f"{source[:80]!r} is not a CloudEvents source (non-empty "
                              "printable text without surrounding blanks)")
    return tuple(dict.fromkeys(sources))


@dataclass(frozen=True)
class KeysState:
    """What the key configuration allows right now.

    ``protected``: keys are required (False only for a server that never had any).
    ``keys``: the valid keys (file, then environment). ``problem``: why the file's keys are
    all refused (missing or broken file), or "".
    """

    protected: bool
    keys: tuple[StoredKey, ...] = ()
    problem: str = ""
    by_digest: Mapping[str, StoredKey] = field(default_factory=dict, compare=False)


class KeyStore:
    """The keys file, re-read when it changes on disk (so new and revoked keys take effect
    without a restart), plus ``extra`` keys (e.g. from :func:`environment_keys`)."""

    def __init__(self, path: Path, *, extra: tuple[StoredKey, ...] = ()) -> None:
        self.path = path
        self.extra = extra
        self._lock = threading.Lock()
        self._stamp: tuple[int, ...] | None = None
        self._seen_file = False
        self._state = KeysState(protected=bool(extra), keys=extra,
                                by_digest={k.digest: k for k in extra})
        self._logged = ""

    def state(self) -> KeysState:
        """The current :class:`KeysState`; never raises (a broken file is a ``problem``)."""
        try:
            st = self.path.stat()
            stamp: tuple[int, ...] | None = (st.st_ino, st.st_size, st.st_mtime_ns,
                                             st.st_ctime_ns)
        except OSError:
            stamp = None
        with self._lock:
            if stamp != self._stamp or self._stamp is None:
                self._reload(stamp)
            return self._state

    def _reload(self, stamp: tuple[int, ...] | None) -> None:
        problem = ""
        file_keys: tuple[StoredKey, ...] = ()
        if stamp is None:
            if self._seen_file:
                problem = f"the keys file {self.path} is missing"
        else:
            self._seen_file = True
            try:
                file_keys = read_keys(self.path)
            except AccessError as exc:
                problem = str(exc)
        keys = file_keys + self.extra
        self._stamp = stamp
        self._state = KeysState(protected=self._seen_file or bool(self.extra), keys=keys,
                                problem=problem, by_digest={k.digest: k for k in keys})
        if problem != self._logged:
            if problem:
                log.error("refusing every key of the keys file until it is fixed: %s", problem)
            else:
                log.warning("the keys file %s is readable again (%d keys)", self.path,
                            len(file_keys))
            self._logged = problem
        elif self._state.protected and not keys and not problem:
            log.warning("the keys file %s holds no key: every request needing one is refused",
                        self.path)

    def keys(self) -> tuple[StoredKey, ...]:
        """The valid keys (the file's, then the ``extra`` ones); raises :class:`AccessError`
        when the file is broken (for commands; the server uses :meth:`state`)."""
        state = self.state()
        if state.problem and self.path.exists():
            raise AccessError(state.problem)
        return state.keys

    def match(self, presented: str) -> StoredKey | None:
        """The valid key whose digest equals the presented key's, compared in constant time."""
        candidate = digest(presented)
        found: StoredKey | None = None
        for key in self.state().keys:
            if hmac.compare_digest(candidate, key.digest):
                found = key
        return found

    def current(self, key_digest: str) -> StoredKey | None:
        """The valid key with that digest now (a session's key), or None if it is gone."""
        return self.state().by_digest.get(key_digest)

    def create(self, scope: str, *, name: str | None = None, now: datetime | None = None,
               sources: tuple[str, ...] = ()) -> str:
        """Create, store (hash only) and return a new key; the file is replaced atomically."""
        if scope not in SCOPES:
            raise AccessError(f"unknown scope {scope!r}: use one of {', '.join(SCOPES)}")
        if sources and scope not in ("ingest", "admin"):
            raise AccessError("--source limits what a key may ingest: give it to an ingest key")
        chosen = next(s for s in SCOPES if s == scope)
        key = new_key(chosen)
        when = rfc3339(now or datetime.now(UTC), "seconds")
        existing = self._file_keys()
        label = name or f"{scope}-{len(existing) + 1}"
        if any(k.name == label for k in existing):
            raise AccessError(f"a key named {label!r} exists already: choose another --name")
        made = StoredKey(label, chosen, digest(key), when, check_sources(sources))
        self._write((*existing, made))
        return key

    def revoke(self, which: str) -> tuple[StoredKey, ...]:
        """Remove the file's keys named ``which``, or whose id starts with ``which`` (at least 4
        hex digits); returns them. AccessError when none or several different keys match."""
        existing = self._file_keys()
        chosen = tuple(k for k in existing if k.name == which)
        if not chosen and re.fullmatch(r"[0-9a-f]{4,64}", which):
            chosen = tuple(k for k in existing if k.digest[7:].startswith(which))
        if not chosen:
            env = [k.name for k in self.extra if k.name == which or k.key_id.startswith(which)]
            where = f" ({ENV_KEYS} holds it: remove it there)" if env else ""
            raise AccessError(f"no key named {which!r} or with an id starting so in "
                              f"{self.path}{where}")
        if len(chosen) > 1 and len({k.name for k in chosen}) > 1:
            names = ", ".join(f"{k.name} ({k.key_id})" for k in chosen)
            raise AccessError(f"{which!r} matches several keys: {names}; give more of the id")
        self._write(tuple(k for k in existing if k not in chosen))
        return chosen

    def _file_keys(self) -> tuple[StoredKey, ...]:
        if not self.path.exists():
            return ()
        return read_keys(self.path)

    def _write(self, keys: tuple[StoredKey, ...]) -> None:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            yaml.safe_dump({"keys": [k.entry() for k in keys]}, fh, sort_keys=False)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.chmod(0o600)
        tmp.replace(self.path)


def read_keys(path: Path) -> tuple[StoredKey, ...]:
    """Parse a keys file; raises :class:`AccessError` naming what is wrong."""
    try:
        doc = yaml.safe_load(path.read_text())
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise AccessError(f"cannot read the keys file {path}: {exc}") from exc
    if doc is None:
        doc = {}
    if not isinstance(doc, dict) or not isinstance(doc.get("keys") or [], list):
        raise AccessError(f"{path}: must be a mapping with a list 'keys'")
    out: list[StoredKey] = []
    for i, entry in enumerate(doc.get("keys") or []):
        if not isinstance(entry, dict):
            raise AccessError(f"{path}: keys[{i}] must be a mapping")
        scope, hashed = entry.get("scope"), str(entry.get("hash", ""))
        if scope not in SCOPES:
            raise AccessError(f"{path}: keys[{i}].scope must be one of {', '.join(SCOPES)}")
        if not re.fullmatch(r"sha256:[0-9a-fA-F]{64}", hashed):
            raise AccessError(f"{path}: keys[{i}].hash must be sha256:<64 hex digits>")
        hashed = hashed.lower()
        sources = entry.get("sources") or []
        if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
            raise AccessError(f"{path}: keys[{i}].sources must be a list of strings")
        try:
            checked = check_sources(tuple(sources))
        except AccessError as exc:
            raise AccessError(f"{path}: keys[{i}].sources: {exc}") from None
        out.append(StoredKey(str(entry.get("name", "")), scope, hashed,
                             str(entry.get("created", "")), checked))
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
                " (scope ingest, read, operate or admin); it must hold hashes, never keys"
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
