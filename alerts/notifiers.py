"""Notification channels: Alertmanager v2, a signed generic webhook, and their delivery thread.

A :class:`Notifier` hands one batch of notifications to its receiver or raises
:class:`~alerts.errors.DeliveryError`. A :class:`Dispatcher` owns one notifier and a thread:
the evaluator :meth:`~Dispatcher.submit` s batches and returns at once; the thread delivers them
in order, retrying a failed batch with exponential backoff (``attempts`` tries, waits of
``backoff(1)``, ``backoff(2)``... seconds; default 0.5 s doubling, at most 10 s). Batches
that still fail are counted and their firing alerts reported back through
:meth:`~Dispatcher.take_failed`, so the evaluator announces them again next time. When more
than ``max_pending`` notifications wait, the oldest batches are dropped (and counted):
delivery never blocks evaluation.

The webhook secret is kept as bytes and never appears in a repr, a log line or an error.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

import httpx

from alerts.dispatch import (
    SIGNATURE_HEADER,
    ChannelPolicy,
    alertmanager_payload,
    signature,
    webhook_body,
)
from alerts.errors import DeliveryError
from alerts.metrics import AlertMetrics
from alerts.model import Notification

log = logging.getLogger("flowscope.alerts")

DEFAULT_TIMEOUT_S = 5.0
"""Seconds to wait for a receiver to answer one delivery."""


class Notifier(Protocol):
    """One channel: a name for metrics, a resend policy, and a blocking ``send``."""

    channel: str
    policy: ChannelPolicy

    def send(self, notes: Sequence[Notification], at: datetime) -> None:
        """Deliver ``notes`` (composed at ``at``); raise :class:`DeliveryError` on failure."""
        ...


def _post(channel: str, url: str, *, timeout: float, content: bytes,
          headers: dict[str, str]) -> None:
    try:
        response = httpx.post(url, content=content, headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        raise DeliveryError(f"{channel}: cannot reach {url}: {type(exc).__name__}: {exc}"
                            ) from exc
    if not 200 <= response.status_code < 300:
        raise DeliveryError(f"{channel}: {url} answered {response.status_code}: "
                            f"{response.text[:200]}")


class AlertmanagerNotifier:
    """Posts to Alertmanager's v2 API (``<url>/api/v2/alerts``); firing alerts are resent
    every ``policy.resend_every`` while they fire, resolved ones carry their ``endsAt``."""

    channel = "alertmanager"

    def __init__(self, url: str, *, policy: ChannelPolicy | None = None,
                 timeout: float = DEFAULT_TIMEOUT_S, generator_url: str = "") -> None:
        base = url.rstrip("/")
        self.url = base if base.endswith("/api/v2/alerts") else base + "/api/v2/alerts"
        self.policy = policy or ChannelPolicy()
        self.timeout = timeout
        self.generator_url = generator_url

    def send(self, notes: Sequence[Notification], at: datetime) -> None:
        """POST the batch as a JSON list of postable alerts."""
        body = json.dumps(alertmanager_payload(notes, generator_url=self.generator_url))
        _post(self.channel, self.url, timeout=self.timeout, content=body.encode(),
              headers={"content-type": "application/json"})

    def __repr__(self) -> str:
        return f"AlertmanagerNotifier({self.url!r})"


class WebhookNotifier:
    """Posts a JSON document (:func:`alerts.dispatch.webhook_body`) to ``url``, signed with
    ``X-Flowscope-Signature: sha256=<hex>`` when a secret is given. Told once per firing
    episode and once on resolve."""

    channel = "webhook"

    def __init__(self, url: str, *, secret: bytes | None = None,
                 policy: ChannelPolicy | None = None, timeout: float = DEFAULT_TIMEOUT_S) -> None:
        self.url = url
        self._secret = secret
        self.policy = policy or ChannelPolicy(resend_every=None)
        self.timeout = timeout

    def send(self, notes: Sequence[Notification], at: datetime) -> None:
        """POST the signed JSON body."""
        body = webhook_body(notes, sent_at=at)
        headers = {"content-type": "application/json", "user-agent": "flowscope"}
        if self._secret:
            headers[SIGNATURE_HEADER] = signature(self._secret, body)
        _post(self.channel, self.url, timeout=self.timeout, content=body, headers=headers)

    def __repr__(self) -> str:
        signed = "signed" if self._secret else "unsigned"
        return f"WebhookNotifier({self.url!r}, {signed})"


def default_backoff(attempt: int) -> float:
    """Seconds to wait before retry ``attempt`` (1-based): 0.5, 1, 2, 4... at most 10."""
    return float(min(0.5 * 2 ** (attempt - 1), 10.0))


class Dispatcher:
    """Delivers batches for one notifier on its own thread (see the module docstring)."""

    def __init__(self, notifier: Notifier, metrics: AlertMetrics, *, attempts: int = 4,
                 backoff: Callable[[int], float] = default_backoff,
                 max_pending: int = 10_000) -> None:
        self.notifier = notifier
        self.metrics = metrics
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self.max_pending = max_pending
        self._queue: deque[tuple[tuple[Notification, ...], datetime]] = deque()
        self._pending = 0
        self._failed: set[str] = set()
        self._busy = False
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def channel(self) -> str:
        """The notifier's channel name."""
        return self.notifier.channel

    def start(self) -> None:
        """Start the delivery thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, daemon=True,
                                            name=f"flowscope-alerts-{self.channel}")
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop retrying and end the thread (pending batches are abandoned)."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)

    def submit(self, notes: Sequence[Notification], at: datetime) -> None:
        """Queue a batch; never blocks. Oldest batches are dropped past ``max_pending``."""
        if not notes:
            return
        with self._cond:
            self._queue.append((tuple(notes), at))
            self._pending += len(notes)
            while self._pending > self.max_pending and len(self._queue) > 1:
                dropped, _ = self._queue.popleft()
                self._pending -= len(dropped)
                self.metrics.notifications.labels(self.channel, "dropped").inc(len(dropped))
            self._cond.notify()

    def take_failed(self) -> set[str]:
        """Fingerprints of firing alerts whose delivery failed since the last call."""
        with self._cond:
            failed, self._failed = self._failed, set()
        return failed

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued batch was delivered or given up; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._queue and not self._busy, timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._cond:
                self._cond.wait_for(lambda: bool(self._queue) or self._stop.is_set())
                if self._stop.is_set():
                    return
                notes, at = self._queue.popleft()
                self._pending -= len(notes)
                self._busy = True
            try:
                self._deliver(notes, at)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _deliver(self, notes: tuple[Notification, ...], at: datetime) -> None:
        for attempt in range(1, self.attempts + 1):
            try:
                self.notifier.send(notes, at)
            except DeliveryError as exc:
                self.metrics.attempts.labels(self.channel, "error").inc()
                log.warning("alert delivery failed (attempt %d of %d): %s", attempt,
                            self.attempts, exc)
                if attempt == self.attempts or self._stop.wait(self.backoff(attempt)):
                    break
                continue
            except Exception:  # a notifier bug must not kill the delivery thread
                self.metrics.attempts.labels(self.channel, "error").inc()
                log.exception("alert notifier %r crashed", self.notifier)
                break
            self.metrics.attempts.labels(self.channel, "ok").inc()
            self.metrics.notifications.labels(self.channel, "sent").inc(len(notes))
            return
        self.metrics.notifications.labels(self.channel, "failed").inc(len(notes))
        with self._cond:
            self._failed.update(n.fingerprint for n in notes if n.status == "firing")
