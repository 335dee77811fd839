"""The ASGI guard that enforces API keys on every route, and the dashboards' login and logout.

Order of checks for a request:

1. ``/healthz`` and ``/readyz`` pass, whatever the state of the keys (load balancers).
2. A server that never had keys (:class:`~flowscope.access.KeysState` not ``protected``) is
   open; it binds loopback only.
3. ``/dashboards/login`` and ``POST /dashboards/logout`` are answered here
   (:mod:`flowscope.access.sessions`).
4. ``Authorization: Bearer KEY`` is checked; without one, a dashboards request may carry a
   session cookie, whose key is looked up again now (a session ends with its key or when its
   scope drops). A page (GET) without either is redirected to the login form.
5. 401 without a valid key, 403 with a key of the wrong scope; 503 while the keys file is
   missing or broken and the presented key is not one of the keys still valid (the log says
   why, once).

Every refusal is noted in a :class:`~flowscope.access.denials.DenialLog` (aggregated per client,
reason and minute). The client address comes from :class:`~flowscope.access.clients.TrustedProxies`.
A request that passes carries ``state["api_key_name"]``, ``state["api_key_sources"]`` (the
CloudEvents sources its key is limited to; empty: any) and ``state["api_key_scope"]`` (its key's
scope, ``admin`` on a server without keys: what the dashboards may offer it) and
``state["client"]`` (the client address).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from flowscope.access.clients import TrustedProxies
from flowscope.access.denials import DenialLog
from flowscope.access.keys import SCOPE_RANKS, KeyStore, Scope, StoredKey, allows, required_scope
from flowscope.access.sessions import (
    LOGIN_PATH,
    LOGOUT_PATH,
    MAX_FORM_BYTES,
    LoginThrottle,
    SessionStore,
    expired_cookie,
    login_page,
    same_origin,
    session_cookie,
    session_id,
    submitted_key,
)

ASGIApp = Callable[
    [MutableMapping[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]],
    Awaitable[None],
]
Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]
_HTML = [(b"content-type", b"text/html; charset=utf-8")]


class AccessGuard:
    """ASGI middleware: checks the bearer key (or session) before the app sees the request."""

    def __init__(self, app: ASGIApp, store: KeyStore, sessions: SessionStore | None = None, *,
                 proxies: TrustedProxies | None = None, denials: DenialLog | None = None,
                 throttle: LoginThrottle | None = None) -> None:
        self.app = app
        self.store = store
        self.sessions = sessions or SessionStore()
        self.proxies = proxies or TrustedProxies()
        self.denials = denials
        self.throttle = throttle or LoginThrottle()

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive,
                       send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, method = scope["path"], scope["method"]
        needed = required_scope(method, path)
        if needed is None:
            await self.app(scope, receive, send)
            return
        state = self.store.state()
        if not state.protected:  # a server that never had keys grants everything (loopback)
            scope.setdefault("state", {})["api_key_scope"] = "admin"
            await self.app(scope, receive, send)
            return
        if path == LOGIN_PATH:
            await self._login(scope, receive, send)
            return
        if path == LOGOUT_PATH and method == "POST":
            await self._logout(scope, send)
            return
        presented = _bearer(scope)
        key = self.store.match(presented) if presented else None
        reason = "invalid key" if presented else "no key"
        if key is None and not presented and path.startswith("/dashboards"):
            key = self._session_key(scope)
            if key is None and method == "GET":
                await _respond(send, 303, b"", [(b"location", LOGIN_PATH.encode())])
                return
            reason = "no key or session"
        if key is None:
            if presented and state.problem:
                self._deny(scope, "keys unavailable", 503)
                await _deny(send, 503, "API keys cannot be checked now: the server's keys file "
                                       "is missing or broken (an operator must fix it)")
                return
            self._deny(scope, reason, 401)
            await _deny(send, 401, "a valid API key is required: Authorization: Bearer KEY")
            return
        scope.setdefault("state", {})["api_key_name"] = key.name
        if not allows(key.scope, needed):
            self._deny(scope, "wrong scope", 403, actor=key.name)
            await _deny(send, 403, f"this key has scope {key.scope!r}; this route needs {needed!r}")
            return
        scope["state"]["api_key_sources"] = key.sources
        scope["state"]["api_key_scope"] = key.scope
        scope["state"]["client"] = self.proxies.client(scope)
        await self.app(scope, receive, send)

    def _session_key(self, scope: MutableMapping[str, Any]) -> StoredKey | None:
        """The key of the request's live session, looked up now; ends a session whose key is
        gone or whose scope dropped below what it had at login."""
        sid = session_id(scope.get("headers", []))
        session = self.sessions.get(sid) if sid else None
        if sid is None or session is None:
            return None
        current = self.store.current(session.key_digest)
        if (current is None or not allows(current.scope, "read")
                or SCOPE_RANKS[current.scope] < SCOPE_RANKS.get(_scope(session.scope), 0)):
            self.sessions.close(sid)
            return None
        return current

    def _deny(self, scope: MutableMapping[str, Any], reason: str, status: int,
              actor: str = "anonymous") -> None:
        scope.setdefault("state", {})["access_denied"] = True
        if self.denials is not None:
            self.denials.note(client=self.proxies.client(scope), reason=reason, status=status,
                              method=scope["method"], path=scope["path"], actor=actor)

    async def _login(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["method"] != "POST":
            await _respond(send, 200, login_page(), _HTML)
            return
        scheme = "https" if self.proxies.is_https(scope) else "http"
        if not same_origin(scope.get("headers", []), scheme):
            self._deny(scope, "cross-site login", 403)
            await _respond(send, 403, login_page("sign in from this server's own login page"),
                           _HTML)
            return
        client = self.proxies.client(scope)
        wait = self.throttle.retry_after(client)
        if wait:
            self._deny(scope, "login throttled", 429)
            await _respond(send, 429, login_page(f"too many failed sign-ins: try again in "
                                                 f"{wait} s"),
                           [*_HTML, (b"retry-after", str(wait).encode())])
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if len(body) > MAX_FORM_BYTES:
                await _respond(send, 413, login_page("that form is too large"), _HTML)
                return
            if not message.get("more_body"):
                break
        presented = submitted_key(body)
        key = self.store.match(presented) if presented else None
        if key is None or not allows(key.scope, "read"):
            self.throttle.failed(client)
            self._deny(scope, "login failed", 401, actor="anonymous" if key is None else key.name)
            why = "that key is not valid" if key is None else "that key has no read scope"
            await _respond(send, 401, login_page(why), _HTML)
            return
        sid = self.sessions.open(key.name, key.digest, key.scope)
        cookie = session_cookie(sid, secure=scheme == "https")
        await _respond(send, 303, b"", [(b"location", b"/dashboards/executive"),
                                        (b"set-cookie", cookie)])

    async def _logout(self, scope: MutableMapping[str, Any], send: Send) -> None:
        scheme = "https" if self.proxies.is_https(scope) else "http"
        if not same_origin(scope.get("headers", []), scheme):
            self._deny(scope, "cross-site logout", 403)
            await _deny(send, 403, "sign out from this server's own pages")
            return
        sid = session_id(scope.get("headers", []))
        if sid is not None:
            self.sessions.close(sid)
        await _respond(send, 303, b"", [(b"location", LOGIN_PATH.encode()),
                                        (b"set-cookie", expired_cookie(secure=scheme == "https"))])


def _scope(name: str) -> Scope:
    return next((s for s in SCOPE_RANKS if s == name), "ingest")


async def _respond(send: Send, status: int, body: bytes,
                   headers: list[tuple[bytes, bytes]]) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _bearer(scope: MutableMapping[str, Any]) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            text = value.decode("latin-1")
            if text[:7].lower() == "bearer ":
                return text[7:].strip()[:512] or None
    return None


async def _deny(send: Send, status: int, message: str) -> None:
    body = ('{"detail": "' + message.replace('"', "'") + '"}').encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="flowscope"'))
    if status == 503:
        headers.append((b"retry-after", b"30"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
