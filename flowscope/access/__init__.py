"""Who may do what, and what they did: API keys, the access guard, sessions, the audit trail.

- :mod:`flowscope.access.keys` — API keys with scopes: the keys file, keys from the
  environment, the scope each route needs (re-exported here).
- :mod:`flowscope.access.guard` — the ASGI guard that checks a key (or a session) before any
  route runs, and answers the dashboards' login and logout.
- :mod:`flowscope.access.sessions` — browser sessions: the login form, cookies, throttling.
- :mod:`flowscope.access.clients` — the client address and scheme, believing proxies only
  when told.
- :mod:`flowscope.access.denials` — refused requests aggregated per client, reason and minute.
- :mod:`flowscope.access.audit` — the audit trail: records, the pending file, the warehouse
  table.
- :mod:`flowscope.access.audit_http` — the middleware recording admin calls, and
  ``GET /api/v1/audit``.
- :mod:`flowscope.access.errors` — the exception tree.
"""

from flowscope.access.errors import AccessError
from flowscope.access.keys import (
    SCOPE_RANKS,
    SCOPES,
    KeysState,
    KeyStore,
    Scope,
    StoredKey,
    allows,
    check_sources,
    digest,
    env_entry,
    environment_keys,
    is_loopback,
    key_store,
    new_key,
    read_keys,
    refuse_open_bind,
    required_scope,
)

__all__ = [
    "SCOPES",
    "SCOPE_RANKS",
    "AccessError",
    "KeyStore",
    "KeysState",
    "Scope",
    "StoredKey",
    "allows",
    "check_sources",
    "digest",
    "env_entry",
    "environment_keys",
    "is_loopback",
    "key_store",
    "new_key",
    "read_keys",
    "refuse_open_bind",
    "required_scope",
]
