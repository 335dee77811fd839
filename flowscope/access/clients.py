"""Who is asking: the client address and scheme of a request, believing proxies only when told.

By default the client is the socket's peer and ``X-Forwarded-For`` / ``X-Forwarded-Proto`` are
ignored: anyone can send them. With ``FLOWSCOPE_TRUSTED_PROXIES`` (comma-separated addresses or
CIDRs, e.g. ``10.0.0.0/8, 127.0.0.1``) a request whose peer is one of them is taken at its
word: the client is the right-most address of ``X-Forwarded-For`` that is not itself a trusted
proxy (so a client cannot prepend a forged address), and ``X-Forwarded-Proto: https`` marks the
request as HTTPS (the session cookie then gets ``Secure``). Uvicorn's own proxy-header handling
is switched off (``proxy_headers=False``) so that this is the only place that decides.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass
from typing import Any

from flowscope.access.errors import ProxySettingError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_FORWARDED_HOPS = 20
"""Most ``X-Forwarded-For`` entries read (from the right)."""


@dataclass(frozen=True)
class TrustedProxies:
    """The proxies whose forwarding headers are believed (none by default)."""

    networks: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, text: str) -> TrustedProxies:
        """``"10.0.0.0/8, 127.0.0.1"`` → the networks; ProxySettingError naming a bad entry."""
        networks: list[Network] = []
        for entry in (e.strip() for e in text.split(",")):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                raise ProxySettingError(
                    f"FLOWSCOPE_TRUSTED_PROXIES: {entry[:60]!r} is not an address or a CIDR"
                ) from None
        return cls(tuple(networks))

    def trusts(self, address: str) -> bool:
        """Whether ``address`` is one of the trusted proxies."""
        if not self.networks:
            return False
        try:
            ip = ipaddress.ip_address(address.strip().strip("[]"))
        except ValueError:
            return False
        return any(ip in net for net in self.networks)

    def client(self, scope: MutableMapping[str, Any]) -> str:
        """The client address of an ASGI request (see the module docstring); "" if unknown."""
        peer = _peer(scope)
        if not self.trusts(peer):
            return peer
        hops = [h.strip() for h in _header(scope, b"x-forwarded-for").split(",") if h.strip()]
        for hop in reversed(hops[-MAX_FORWARDED_HOPS:]):
            if not self.trusts(hop):
                return _address(hop) or peer
        return peer

    def is_https(self, scope: MutableMapping[str, Any]) -> bool:
        """Whether the request came over HTTPS, directly or through a trusted proxy."""
        if scope.get("scheme") == "https":
            return True
        if not self.trusts(_peer(scope)):
            return False
        proto = _header(scope, b"x-forwarded-proto").split(",")[0].strip().lower()
        return proto == "https"


def _peer(scope: MutableMapping[str, Any]) -> str:
    client = scope.get("client")
    return str(client[0]) if client else ""


def _header(scope: MutableMapping[str, Any], name: bytes) -> str:
    values: Iterable[tuple[bytes, bytes]] = scope.get("headers", [])
    return ",".join(v.decode("latin-1") for k, v in values if k == name)[:4096]


def _address(hop: str) -> str:
    """The address of one ``X-Forwarded-For`` entry, or "" when it is not an address."""
    try:
        return str(ipaddress.ip_address(hop.strip("[]")))
    except ValueError:
        return ""
