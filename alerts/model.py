"""Alert values: labels, observations, alerts, transitions and notifications.

An **observation** is what a rule says about one alert at one evaluation: its labels and
annotations and whether its condition holds now. The lifecycle (:mod:`alerts.lifecycle`)
turns observations into **alerts**, each in one state::

    inactive ──condition──▶ pending ──held for `for`──▶ firing ──condition gone──▶ resolved
        ▲                      │                                                     │
        └──condition gone──────┘                    ◀──condition again (pending)─────┘

An alert is identified by its **fingerprint**, a hash of its sorted labels: two observations
with the same labels are one alert (deduplication). Every change of state is a
**transition**, recorded in the history. A **notification** is what a channel (Alertmanager,
a webhook) is sent about one alert.

Labels and annotations are tuples of ``(name, value)`` pairs sorted by name, so every value here
is frozen and hashable. Instants are aware UTC datetimes. Pure: standard library only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

Labels = tuple[tuple[str, str], ...]
"""Sorted ``(name, value)`` pairs; build them with :func:`labels_of`."""

AlertStatus = Literal["inactive", "pending", "firing", "resolved"]
STATUSES: tuple[AlertStatus, ...] = ("inactive", "pending", "firing", "resolved")
NotificationStatus = Literal["firing", "resolved"]


def labels_of(pairs: Mapping[str, str] | Iterable[tuple[str, str]]) -> Labels:
    """Sorted label pairs; pairs whose value is empty are left out (Prometheus treats an empty
    label as an absent one)."""
    items = pairs.items() if isinstance(pairs, Mapping) else pairs
    return tuple(sorted((str(k), str(v)) for k, v in items if v != ""))


def fingerprint(labels: Labels) -> str:
    """A stable 16-hex-digit identity of a label set (SHA-256 of the sorted pairs)."""
    digest = hashlib.sha256()
    for name, value in sorted(labels):
        digest.update(name.encode())
        digest.update(b"\xff")
        digest.update(value.encode())
        digest.update(b"\xfe")
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class Observation:
    """What one rule says about one alert at one evaluation.

    ``rule`` names the rule that produced it (e.g. ``order-to-cash/slo/success-rate``); when a
    rule cannot be evaluated (its data is unavailable), its alerts keep their state instead of
    resolving. ``active`` is whether the condition holds now; ``for_duration`` how long it must
    hold before the alert fires (0: at once); ``value`` the measured quantity (an error ratio, an
    age in seconds, a budget fraction) or ``None``.
    """

    rule: str
    labels: Labels
    annotations: Labels
    active: bool
    for_duration: timedelta = timedelta(0)
    value: float | None = None

    @property
    def fingerprint(self) -> str:
        """The fingerprint of :attr:`labels`."""
        return fingerprint(self.labels)


@dataclass(frozen=True)
class Alert:
    """One alert and its state.

    ``active_since`` is when the condition last started to hold (``None`` once resolved);
    ``fired_at`` when it last started firing; ``resolved_at`` when it last resolved;
    ``updated_at`` the last evaluation that saw it. Annotations keep the last values computed
    while the condition held, so a resolved notification still says what happened.
    """

    fingerprint: str
    rule: str
    labels: Labels
    annotations: Labels
    status: AlertStatus
    for_duration: timedelta
    active_since: datetime | None
    fired_at: datetime | None
    resolved_at: datetime | None
    updated_at: datetime
    value: float | None = None

    def label(self, name: str, default: str = "") -> str:
        """The value of label ``name`` (``default`` when absent)."""
        return dict(self.labels).get(name, default)

    def annotation(self, name: str, default: str = "") -> str:
        """The value of annotation ``name`` (``default`` when absent)."""
        return dict(self.annotations).get(name, default)


@dataclass(frozen=True)
class Transition:
    """An alert changed state from ``from_status`` to ``to_status`` at ``at``.

    ``for_duration``, ``active_since`` and ``fired_at`` are the alert's after the change, so an
    evaluator restarted from the history can restore pending and firing alerts.
    """

    fingerprint: str
    rule: str
    labels: Labels
    annotations: Labels
    from_status: AlertStatus
    to_status: AlertStatus
    at: datetime
    value: float | None = None
    for_duration: timedelta = timedelta(0)
    active_since: datetime | None = None
    fired_at: datetime | None = None


@dataclass(frozen=True)
class Notification:
    """What a channel is told about one alert.

    ``status`` is ``firing`` or ``resolved``. ``starts_at`` is when the alert started firing;
    ``ends_at`` is when it resolved, or, while firing, until when the receiver should consider
    it firing without hearing from us again (so a crashed evaluator's alerts expire).
    """

    fingerprint: str
    labels: Labels
    annotations: Labels
    status: NotificationStatus
    starts_at: datetime
    ends_at: datetime | None
