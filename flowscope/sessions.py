"""Browser sessions for the dashboards: a login form that trades a read key for a cookie.

A browser cannot send ``Authorization: Bearer``, so ``/dashboards/login`` takes a ``read`` (or
``admin``) key in a form, checks it like a bearer, and sets ``flowscope_session``: a random
256-bit id, HttpOnly, SameSite=Strict, scoped to ``/dashboards``, valid 12 hours. Sessions live in
memory only (a restart logs everyone out) and never hold the key itself.
"""

from __future__ import annotations

import html
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs

COOKIE = "flowscope_session"
LOGIN_PATH = "/dashboards/login"
SESSION_SECONDS = 12 * 3600
MAX_FORM_BYTES = 4096


@dataclass(frozen=True)
class Session:
    """Who logged in (the key's name and scope) and until when (monotonic seconds)."""

    key_name: str
    scope: str
    expires: float


class SessionStore:
    """Session ids → sessions, with expiry; thread-safe."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def open(self, key_name: str, scope: str) -> str:
        """A new session id for a key that was just checked."""
        sid = secrets.token_urlsafe(32)
        with self._lock:
            now = self._clock()
            self._sessions = {k: s for k, s in self._sessions.items() if s.expires > now}
            self._sessions[sid] = Session(key_name, scope, now + SESSION_SECONDS)
        return sid

    def get(self, sid: str) -> Session | None:
        """The live session with that id, or None."""
        with self._lock:
            found = self._sessions.get(sid)
        if found is None or found.expires <= self._clock():
            return None
        return found


def session_id(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The ``flowscope_session`` cookie's value, if the request carries one."""
    for name, value in headers:
        if name == b"cookie":
            for part in value.decode("latin-1").split(";"):
                k, _, v = part.strip().partition("=")
                if k == COOKIE and v:
                    return v
    return None


def submitted_key(body: bytes) -> str | None:
    """The ``key`` field of a urlencoded login form."""
    values = parse_qs(body.decode("utf-8", "replace")).get("key")
    return values[0].strip() if values and values[0].strip() else None


def login_page(message: str = "") -> bytes:
    """The login form; ``message`` (escaped) says why the last attempt failed."""
    note = f'<p role="alert" style="color:#8a1c1c">{html.escape(message)}</p>' if message else ""
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>flowscope · sign in</title>"
        "</head><body style='font-family:sans-serif;max-width:32em;margin:4em auto'>"
        "<h1>flowscope</h1><p>Paste an API key with the <b>read</b> scope"
        " (<code>flowscope keys create --scope read</code>).</p>"
        f"{note}<form method='post' action='{LOGIN_PATH}'>"
        "<input type='password' name='key' autocomplete='off' size='48' autofocus>"
        " <button type='submit'>Sign in</button></form></body></html>"
    ).encode()
