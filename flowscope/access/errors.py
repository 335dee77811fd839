"""Errors of the access room (keys, sessions, audit trail, client addresses)::

    AccessError               base class, and raised as such for the keys: a keys file that
     │                        cannot be read or is malformed, an unknown scope or key, a bad
     │                        CloudEvents source, a malformed FLOWSCOPE_API_KEYS entry
     ├── ProxySettingError    FLOWSCOPE_TRUSTED_PROXIES holds something that is not an address
     │                        or a CIDR (also a ValueError)
     └── AuditUnavailable     the audit trail cannot be read now: its pending file cannot be
                              read or written (the HTTP boundary answers 503, Retry-After)

Messages never hold a key, a bearer header or a digest. ``OSError`` and ``yaml.YAMLError`` are
translated where they happen, with ``raise ... from exc``.
"""

from __future__ import annotations


class AccessError(Exception):
    """Keys file unreadable or malformed, an unknown scope or key, or a bad source."""


class ProxySettingError(AccessError, ValueError):
    """``FLOWSCOPE_TRUSTED_PROXIES`` holds something that is not an address or a CIDR."""


class AuditUnavailable(AccessError):
    """The audit trail cannot be read now (its pending file cannot be read or written)."""
