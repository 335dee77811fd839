"""Browser sessions for the dashboards: a login form that trades a read key for a cookie.

A browser cannot send ``Authorization: Bearer``, so ``/dashboards/login`` takes a ``read`` (or
higher) key in a form, checks it like a bearer, and sets ``flowscope_session``: a random 256-bit
id, HttpOnly, SameSite=Strict, scoped to ``/dashboards``, valid 12 hours, and ``Secure`` when
the request came over HTTPS (directly, or through a trusted proxy saying so). Sessions live in
memory only (a restart logs everyone out) and never hold the key itself, only its digest: every
request of a session looks its key up again (one dictionary lookup), so a session ends as soon
as its key is revoked, the keys file loses it, or its scope drops below what it had at login.
``POST /dashboards/logout`` ends one.

Cross-site requests: the form posts only when the request's ``Origin`` (or, without one, its
``Referer``) is the dashboards' own origin (:func:`same_origin`); a browser always sends one of
them with a form post, a page on another site cannot forge them, and the cookie itself is
SameSite=Strict. Guessing: :class:`LoginThrottle` allows :data:`MAX_FAILURES` failed logins per
client per :data:`FAILURE_WINDOW_S` seconds, then answers 429 with ``Retry-After``.
"""

from __future__ import annotations

import html
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

COOKIE = "flowscope_session"
LOGIN_PATH = "/dashboards/login"
LOGOUT_PATH = "/dashboards/logout"
SESSION_SECONDS = 12 * 3600
MAX_FORM_BYTES = 4096
MAX_SESSIONS = 10_000
"""Most live sessions kept; the oldest is dropped beyond."""
MAX_FAILURES = 5
"""Failed logins a client may make per window before it is throttled."""
FAILURE_WINDOW_S = 60.0
"""The window of :data:`MAX_FAILURES`, in seconds."""
MAX_CLIENTS = 10_000
"""Most clients whose failures are remembered (the longest-quiet ones are forgotten first)."""


@dataclass(frozen=True)
class Session:
    """Who logged in (the key's name, digest and scope then) and until when (monotonic s)."""

    key_name: str
    key_digest: str
    scope: str
    expires: float


class SessionStore:
    """Session ids → sessions, with expiry; thread-safe and bounded (:data:`MAX_SESSIONS`)."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._lock = threading.Lock()

    def open(self, key_name: str, key_digest: str, scope: str) -> str:
        """A new session id for a key that was just checked."""
        sid = secrets.token_urlsafe(32)
        with self._lock:
            now = self._clock()
            while self._sessions:
                oldest = next(iter(self._sessions.values()))
                if oldest.expires > now and len(self._sessions) < MAX_SESSIONS:
                    break
                self._sessions.popitem(last=False)
            self._sessions[sid] = Session(key_name, key_digest, scope, now + SESSION_SECONDS)
        return sid

    def get(self, sid: str) -> Session | None:
        """The live session with that id, or None."""
        with self._lock:
            found = self._sessions.get(sid)
        if found is None or found.expires <= self._clock():
            return None
        return found

    def close(self, sid: str) -> bool:
        """End session ``sid``; False when there was none."""
        with self._lock:
            return self._sessions.pop(sid, None) is not None


class LoginThrottle:
    """Failed logins per client in a sliding window (see the module docstring)."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic,
                 max_failures: int = MAX_FAILURES, window_s: float = FAILURE_WINDOW_S) -> None:
        self._clock = clock
        self._max = max_failures
        self._window = window_s
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def retry_after(self, client: str) -> int:
        """Seconds ``client`` must wait before trying again (0: it may try now)."""
        with self._lock:
            times = self._recent(client)
            if len(times) < self._max:
                return 0
            return max(1, int(times[0] + self._window - self._clock()) + 1)

    def failed(self, client: str) -> None:
        """Count a failed login of ``client``."""
        with self._lock:
            times = self._recent(client)
            times.append(self._clock())
            self._failures[client] = times
            self._failures.move_to_end(client)
            while len(self._failures) > MAX_CLIENTS:
                self._failures.popitem(last=False)

    def _recent(self, client: str) -> deque[float]:
        times = self._failures.get(client, deque())
        horizon = self._clock() - self._window
        while times and times[0] <= horizon:
            times.popleft()
        return times


def session_id(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The ``flowscope_session`` cookie's value, if the request carries one."""
    for name, value in headers:
        if name == b"cookie":
            for part in value.decode("latin-1").split(";"):
                k, _, v = part.strip().partition("=")
                if k == COOKIE and v:
                    return v[:100]
    return None


def session_cookie(sid: str, *, secure: bool) -> bytes:
    """The ``Set-Cookie`` value opening session ``sid``."""
    flags = "; Secure" if secure else ""
    return (f"{COOKIE}={sid}; HttpOnly; SameSite=Strict; Path=/dashboards;"
            f" Max-Age={SESSION_SECONDS}{flags}").encode()


def expired_cookie(*, secure: bool) -> bytes:
    """The ``Set-Cookie`` value that removes the session cookie."""
    flags = "; Secure" if secure else ""
    return f"{COOKIE}=; HttpOnly; SameSite=Strict; Path=/dashboards; Max-Age=0{flags}".encode()


def same_origin(headers: list[tuple[bytes, bytes]], scheme: str) -> bool:
    """Whether the request's ``Origin`` (else ``Referer``) is ``<scheme>://<Host>``; False when
    it carries neither."""
    found = {name: value.decode("latin-1") for name, value in headers
             if name in (b"origin", b"referer", b"host")}
    host = found.get(b"host", "").strip().lower()
    claimed = found.get(b"origin") or found.get(b"referer")
    if not host or not claimed or claimed == "null":
        return False
    parts = urlsplit(claimed.strip())
    return parts.scheme.lower() == scheme and parts.netloc.lower() == host


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
