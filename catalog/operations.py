"""The operator's sections of a ``flowscope/v1`` flow: ``search_keys``, ``replay`` and ``pause``.

```yaml
search_keys: [customer.id, invoice.number]     # attributes indexed at ingest
replay: {url: https://automation.example.com/replay, secret_env: ORDERS_REPLAY_SECRET,
         timeout: 10s, max_per_minute: 30}
pause:  {url: https://automation.example.com/pause, secret_env: ORDERS_PAUSE_SECRET}
```

- ``search_keys``: at most :data:`MAX_SEARCH_KEYS` distinct attribute keys (span, resource,
  CloudEvents extension or data), each at most :data:`MAX_KEY_CHARS` characters; not the flow's
  correlation key (runs are looked up by it directly) nor a ``flowscope.*`` tag. A key the
  catalog's redaction drops can never be searched and is refused by
  :func:`check_search_redaction`; a hashed one is searched by its hash (the server hashes the
  value asked for the same way).
- ``replay``: ``url`` (http or https) and ``secret_env``, the *name* of the environment
  variable holding the HMAC secret (never the secret itself); ``timeout`` from 100 ms to
  :data:`MAX_TIMEOUT` (default 10 s); ``max_per_minute`` a whole number from 1 to
  :data:`MAX_PER_MINUTE` (default 30).
- ``pause``: ``url`` and ``secret_env`` as above.

Part of the spec mapping in :mod:`catalog.spec`; pure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

from yaml.nodes import Node

from catalog.errors import PatternError
from catalog.model import PauseTarget, RedactionRule, ReplayTarget
from catalog.patterns import compile_glob
from catalog.reader import SpecReader

REPLAY_KEYS = ("url", "secret_env", "timeout", "max_per_minute")
PAUSE_KEYS = ("url", "secret_env")
MAX_SEARCH_KEYS = 16
"""Most search keys one flow may declare (each is indexed for every span and event)."""
MAX_KEY_CHARS = 200
MAX_TIMEOUT = timedelta(minutes=2)
"""Longest replay timeout (an operator waits for the answer)."""
MIN_TIMEOUT = timedelta(milliseconds=100)
MAX_PER_MINUTE = 10_000
DEFAULT_TIMEOUT = timedelta(seconds=10)
DEFAULT_PER_MINUTE = 30
RESERVED_PREFIX = "flowscope."

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")


def read_search_keys(r: SpecReader, node: Node, path: str, correlation_key: str | None,
                     redaction: Sequence[RedactionRule] = ()) -> tuple[str, ...] | None:
    """The ``search_keys`` list (see the module docstring); ``None`` with problems reported.
    ``redaction`` are the rules of the same document (a key they drop is refused)."""
    entries = r.sequence(node, path)
    if entries is None:
        return None
    keys: list[str] = []
    broken = False
    for item, item_path in entries:
        key = r.text(item, item_path)
        if key is None:
            broken = True
            continue
        reason = _search_key_problem(key, keys, correlation_key, redaction)
        if reason:
            r.report(item, item_path, reason)
            broken = True
            continue
        keys.append(key)
    if len(keys) > MAX_SEARCH_KEYS:
        r.report(node, path, f"at most {MAX_SEARCH_KEYS} search keys per flow (each is indexed "
                             f"for every span and event), got {len(keys)}")
        broken = True
    return None if broken else tuple(keys)


def _search_key_problem(key: str, seen: Sequence[str], correlation_key: str | None,
                        redaction: Sequence[RedactionRule]) -> str:
    if len(key) > MAX_KEY_CHARS:
        return f"a search key may have at most {MAX_KEY_CHARS} characters, got {len(key)}"
    if key in seen:
        return f"search key {key!r} is listed twice"
    if key == correlation_key:
        return (f"{key!r} is the flow's correlation key: runs are looked up by it directly "
                "(GET /api/v1/correlations/ID), so it needs no search key")
    if key.startswith(RESERVED_PREFIX):
        return f"{key!r} is a tag flowscope sets itself ({RESERVED_PREFIX}*), not a search key"
    rule = dropping_rule(key, redaction)
    if rule is not None:
        return (f"search key {key!r} is dropped by the redaction rule {rule.key!r} before "
                "anything is stored, so no run could ever be found by it; hash it instead "
                "(action: hash keeps it searchable by its value)")
    return ""


def _secret_env(r: SpecReader, node: Node, path: str) -> str | None:
    name = r.text(node, path)
    if name is None:
        return None
    if _ENV_NAME.fullmatch(name) is None:
        r.report(node, path, "must name the environment variable holding the secret (letters, "
                             "digits and _, like ORDERS_REPLAY_SECRET), never the secret itself")
        return None
    return name


def read_replay(r: SpecReader, node: Node, path: str) -> ReplayTarget | None:
    """The ``replay`` mapping (see the module docstring)."""
    f = r.mapping(node, path, allowed=REPLAY_KEYS, required=("url", "secret_env"))
    if f is None:
        return None
    url = f.read("url", r.url)
    secret_env = f.read("secret_env", lambda n, p: _secret_env(r, n, p))
    timeout = f.read("timeout", r.duration)
    timeout_node = f.node("timeout")
    if timeout is not None and timeout_node is not None and not (
            MIN_TIMEOUT <= timeout <= MAX_TIMEOUT):
        r.report(timeout_node, f.field("timeout"), "must lie between 100ms and 2m (an operator "
                 "waits for the answer)")
        timeout = None
    per_minute = f.read("max_per_minute", r.number)
    per_minute_node = f.node("max_per_minute")
    if per_minute is not None and per_minute_node is not None and (
            per_minute != per_minute.to_integral_value()
            or not 1 <= per_minute <= MAX_PER_MINUTE):
        r.report(per_minute_node, f.field("max_per_minute"),
                 f"must be a whole number of replays from 1 to {MAX_PER_MINUTE:,}, got "
                 f"{per_minute}")
        per_minute = None
    if url is None or secret_env is None or ("timeout" in f and timeout is None) or (
            "max_per_minute" in f and per_minute is None):
        return None
    return ReplayTarget(url=url, secret_env=secret_env, timeout=timeout or DEFAULT_TIMEOUT,
                        max_per_minute=DEFAULT_PER_MINUTE if per_minute is None
                        else int(per_minute))


def read_pause(r: SpecReader, node: Node, path: str) -> PauseTarget | None:
    """The ``pause`` mapping (see the module docstring)."""
    f = r.mapping(node, path, allowed=PAUSE_KEYS, required=PAUSE_KEYS)
    if f is None:
        return None
    url = f.read("url", r.url)
    secret_env = f.read("secret_env", lambda n, p: _secret_env(r, n, p))
    if url is None or secret_env is None:
        return None
    return PauseTarget(url=url, secret_env=secret_env)


def dropping_rule(key: str, redaction: Sequence[RedactionRule]) -> RedactionRule | None:
    """The first redaction rule (file order, as applied at ingest) that matches ``key``, when
    it drops the value; ``None`` when the value is kept or hashed."""
    for rule in redaction:
        try:
            matches = compile_glob(rule.key, what="the key").fullmatch(key) is not None
        except PatternError:
            continue
        if matches:
            return rule if rule.action == "drop" else None
    return None


def shown_url(url: str) -> str:
    """``url`` as it may be shown or logged: without ``user:password@``, query or fragment
    (``https://user:pw@host/x?token=1`` → ``https://host/x``)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))
