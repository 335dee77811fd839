"""A signed POST to an operator webhook (a flow's replay or pause URL), and what came of it.

The body is signed like the alert webhook (:func:`alerts.dispatch.signature`,
``X-Flowscope-Signature: sha256=<hex>`` of the exact body bytes, keyed by the flow's secret), so
a receiver checks both with :func:`alerts.dispatch.verify_signature`. The call waits at most
``timeout``; it never raises: a refused connection, a timeout or a non-2xx answer is a
:class:`CallOutcome` that says so, with the receiver's answer cut to :data:`MAX_ANSWER_CHARS`
printable characters. URLs in outcomes lose any ``user:password@`` and query
(:func:`catalog.operations.shown_url`). The secret never appears in
an outcome, a log line or an error.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta

import httpx

from alerts.dispatch import SIGNATURE_HEADER, signature
from catalog.operations import shown_url

MAX_ANSWER_CHARS = 300
"""Characters of a refusing receiver's answer kept in an outcome."""


@dataclass(frozen=True)
class CallOutcome:
    """``accepted`` when the receiver answered 2xx; ``status`` its HTTP status (0 when none
    came), ``latency_ms`` how long the call took, ``error`` why it failed ("" when accepted)."""

    accepted: bool
    status: int
    latency_ms: int
    error: str = ""

    def describe(self) -> str:
        """A short text: ``accepted (202)``, ``failed (500: ...)``, ``failed (no answer ...)``."""
        if self.accepted:
            return f"accepted ({self.status})"
        return f"failed ({self.error})"


def _printable(text: str) -> str:
    kept = "".join(c if c.isprintable() else " " for c in text[:MAX_ANSWER_CHARS])
    return " ".join(kept.split())


def post_signed(url: str, body: bytes, *, secret: bytes, timeout: timedelta,
                headers: Mapping[str, str] | None = None,
                monotonic: Callable[[], float] = time.monotonic) -> CallOutcome:
    """POST ``body`` (JSON) to ``url`` signed with ``secret``; see the module docstring."""
    sent = {"content-type": "application/json", "user-agent": "flowscope",
            SIGNATURE_HEADER: signature(secret, body), **(headers or {})}
    started = monotonic()
    seconds = timeout.total_seconds()
    try:
        response = httpx.post(url, content=body, headers=sent, timeout=seconds)
    except httpx.TimeoutException:
        return CallOutcome(False, 0, _elapsed(started, monotonic),
                           f"no answer from {shown_url(url)} within {seconds:g} s")
    except httpx.HTTPError as exc:
        return CallOutcome(False, 0, _elapsed(started, monotonic),
                           f"cannot reach {shown_url(url)}: {type(exc).__name__}")
    latency = _elapsed(started, monotonic)
    if 200 <= response.status_code < 300:
        return CallOutcome(True, response.status_code, latency)
    answer = _printable(response.text)
    return CallOutcome(False, response.status_code, latency,
                       f"{shown_url(url)} answered {response.status_code}"
                       + (f": {answer}" if answer else ""))


def _elapsed(started: float, monotonic: Callable[[], float]) -> int:
    return max(0, round((monotonic() - started) * 1000))
