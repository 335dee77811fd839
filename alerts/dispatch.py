"""Which notifications each channel gets after an evaluation, and how they are encoded (pure).

A channel remembers when it was last told about each firing alert (``sent``, by fingerprint).
After each evaluation, :func:`plan_notifications`:

- tells it about every **firing** alert it has not heard of, and again every
  ``resend_every`` while the alert keeps firing (Alertmanager forgets alerts whose ``endsAt``
  passes, so it must hear from us; a webhook is told once, ``resend_every=None``); a firing
  notification's ``ends_at`` is ``at + valid_for``, so a receiver lets the alert expire if
  flowscope stops;
- holds back firing notifications of **muted** alerts (silenced, or their flow is in a
  maintenance window); a muted alert that was already announced is not repeated, so
  Alertmanager lets it expire;
- tells it about every alert that **resolved**, when (and only when) it was told the alert
  fired, muted or not, so no receiver keeps a stale alert.

Encoding: :func:`alertmanager_payload` is the body of Alertmanager's ``POST /api/v2/alerts``
(a list of postable alerts); :func:`webhook_body` the generic webhook's JSON document (shaped
like Alertmanager's own webhook payload); :func:`signature` its
``X-Flowscope-Signature`` header value, ``sha256=<hex HMAC-SHA256 of the exact body bytes>``.
Pure: the standard library, :mod:`alerts.model` and :mod:`catalog.parameters`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from alerts.model import Alert, Notification
from catalog import parameters

SIGNATURE_HEADER = "X-Flowscope-Signature"


@dataclass(frozen=True)
class ChannelPolicy:
    """How a channel is kept informed: resend firing alerts every ``resend_every`` (``None``:
    once per firing episode); firing notifications are valid for ``valid_for``."""

    resend_every: timedelta | None = timedelta(minutes=1)
    valid_for: timedelta = timedelta(minutes=4)


@dataclass(frozen=True)
class Plan:
    """Notifications to send now and the channel's updated ``sent`` map."""

    notifications: tuple[Notification, ...]
    sent: Mapping[str, datetime]


def plan_notifications(alerts: Iterable[Alert], *, muted: Collection[str], at: datetime,
                       sent: Mapping[str, datetime], policy: ChannelPolicy) -> Plan:
    """The notifications one channel gets after an evaluation at ``at`` (module docstring)."""
    notes: list[Notification] = []
    updated: dict[str, datetime] = {}
    for alert in alerts:
        fp = alert.fingerprint
        last = sent.get(fp)
        if alert.status == "firing":
            due = last is None or (policy.resend_every is not None
                                   and at - last >= policy.resend_every)
            if fp in muted or not due:
                if last is not None:
                    updated[fp] = last
                continue
            notes.append(Notification(fp, alert.labels, alert.annotations, "firing",
                                      alert.fired_at or at, at + policy.valid_for))
            updated[fp] = at
        elif alert.status == "resolved" and last is not None:
            notes.append(Notification(fp, alert.labels, alert.annotations, "resolved",
                                      alert.fired_at or last, alert.resolved_at or at))
        elif last is not None and alert.status == "pending":
            updated[fp] = last
    return Plan(tuple(notes), updated)


def rfc3339(moment: datetime) -> str:
    """``2026-11-27T10:00:00.123Z``: :func:`catalog.parameters.rfc3339` in milliseconds, as
    Alertmanager and the alert routes write times."""
    return parameters.rfc3339(moment, "milliseconds")


def alertmanager_payload(notes: Sequence[Notification], *, generator_url: str = ""
                         ) -> list[dict[str, Any]]:
    """The JSON body of Alertmanager's ``POST /api/v2/alerts``."""
    payload = []
    for note in notes:
        item: dict[str, Any] = {
            "labels": dict(note.labels),
            "annotations": dict(note.annotations),
            "startsAt": rfc3339(note.starts_at),
        }
        if note.ends_at is not None:
            item["endsAt"] = rfc3339(note.ends_at)
        if generator_url:
            item["generatorURL"] = generator_url
        payload.append(item)
    return payload


def webhook_body(notes: Sequence[Notification], *, sent_at: datetime,
                 receiver: str = "flowscope") -> bytes:
    """The generic webhook's JSON body (UTF-8 bytes, keys sorted): ``status`` is ``firing`` when
    any alert fires, else ``resolved``; every alert keeps its own ``status``."""
    document = {
        "version": "1",
        "receiver": receiver,
        "status": "firing" if any(n.status == "firing" for n in notes) else "resolved",
        "sentAt": rfc3339(sent_at),
        "alerts": [
            {
                "status": n.status,
                "fingerprint": n.fingerprint,
                "labels": dict(n.labels),
                "annotations": dict(n.annotations),
                "startsAt": rfc3339(n.starts_at),
                "endsAt": rfc3339(n.ends_at) if n.ends_at is not None else None,
            }
            for n in notes
        ],
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def signature(secret: bytes, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of ``body`` keyed with ``secret``."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify_signature(secret: bytes, body: bytes, header: str) -> bool:
    """Whether ``header`` is the signature of ``body`` (constant-time comparison); receivers
    use it to check a delivery came from us."""
    return hmac.compare_digest(signature(secret, body), header)
