"""The alert lifecycle: a pure state machine advanced once per evaluation.

:func:`advance` takes the alerts of the previous evaluation, this evaluation's observations and
its instant (the caller's clock), and returns the new alerts and every transition:

- condition holds, alert inactive or resolved → **pending** (or straight to **firing** when its
  ``for`` duration is 0);
- condition holds, pending for at least ``for`` (measured from when it started to hold) →
  **firing**;
- condition gone while pending → **inactive** (the alert is dropped);
- condition gone while firing → **resolved**; resolved alerts are kept for
  ``keep_resolved`` (default 15 min) so readers and channels still see them, then dropped;
- an alert whose rule produced no observation this time is treated as "condition gone",
  unless its rule is listed in ``unknown_rules`` (its data could not be read): then it keeps
  its state untouched, so an outage of the warehouse neither resolves nor fires anything.

Several observations with the same labels are one alert (deduplicated by fingerprint): it
holds when any of them holds, and takes the annotations of the first one that holds.
Pure: standard library only.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from alerts.model import Alert, AlertStatus, Observation, Transition

RESOLVED_RETENTION = timedelta(minutes=15)
"""How long a resolved alert stays listed before it is dropped (default of ``keep_resolved``)."""


@dataclass(frozen=True)
class Evaluation:
    """The outcome of one evaluation at ``at``: the alerts (pending, firing, recently
    resolved; sorted by fingerprint) and the transitions that happened, in fingerprint order."""

    at: datetime
    alerts: tuple[Alert, ...]
    transitions: tuple[Transition, ...]

    @property
    def active(self) -> tuple[Alert, ...]:
        """Alerts that are pending or firing."""
        return tuple(a for a in self.alerts if a.status in ("pending", "firing"))

    @property
    def firing(self) -> tuple[Alert, ...]:
        """Alerts that are firing."""
        return tuple(a for a in self.alerts if a.status == "firing")


def deduplicate(observations: Iterable[Observation]) -> dict[str, Observation]:
    """One observation per fingerprint: the first that holds, else the first seen."""
    chosen: dict[str, Observation] = {}
    for obs in observations:
        current = chosen.get(obs.fingerprint)
        if current is None or (obs.active and not current.active):
            chosen[obs.fingerprint] = obs
    return chosen


def advance(previous: Iterable[Alert], observations: Iterable[Observation], at: datetime, *,
            unknown_rules: Collection[str] = (),
            keep_resolved: timedelta = RESOLVED_RETENTION) -> Evaluation:
    """The alerts and transitions after evaluating ``observations`` at ``at``.

    ``previous`` are the alerts returned by the previous call (or restored from history).
    See the module docstring for the rules.
    """
    before = {a.fingerprint: a for a in previous}
    seen = deduplicate(observations)
    alerts: list[Alert] = []
    transitions: list[Transition] = []
    for fp in sorted(set(before) | set(seen)):
        alert, obs = before.get(fp), seen.get(fp)
        if obs is None and alert is not None and alert.rule in unknown_rules:
            alerts.append(alert)
            continue
        if obs is not None and obs.active:
            updated = _holds(alert, obs, at)
        elif alert is not None:
            updated = _gone(alert, at)
        else:
            continue
        old_status: AlertStatus = alert.status if alert is not None else "inactive"
        if updated.status != old_status:
            transitions.append(Transition(
                fingerprint=fp, rule=updated.rule, labels=updated.labels,
                annotations=updated.annotations, from_status=old_status,
                to_status=updated.status, at=at, value=updated.value,
                for_duration=updated.for_duration, active_since=updated.active_since,
                fired_at=updated.fired_at))
        if updated.status == "inactive":
            continue
        if (updated.status == "resolved" and updated.resolved_at is not None
                and at - updated.resolved_at > keep_resolved):
            continue
        alerts.append(updated)
    return Evaluation(at=at, alerts=tuple(alerts), transitions=tuple(transitions))


def _holds(alert: Alert | None, obs: Observation, at: datetime) -> Alert:
    if alert is None or alert.status in ("inactive", "resolved"):
        status: AlertStatus = "firing" if obs.for_duration <= timedelta(0) else "pending"
        return Alert(
            fingerprint=obs.fingerprint, rule=obs.rule, labels=obs.labels,
            annotations=obs.annotations, status=status, for_duration=obs.for_duration,
            active_since=at, fired_at=at if status == "firing" else None,
            resolved_at=None, updated_at=at, value=obs.value,
        )
    since = alert.active_since or at
    if alert.status == "pending" and at - since >= obs.for_duration:
        return replace(alert, status="firing", fired_at=at, annotations=obs.annotations,
                       for_duration=obs.for_duration, updated_at=at, value=obs.value)
    return replace(alert, annotations=obs.annotations, for_duration=obs.for_duration,
                   updated_at=at, value=obs.value)


def _gone(alert: Alert, at: datetime) -> Alert:
    if alert.status == "pending":
        return replace(alert, status="inactive", active_since=None, updated_at=at)
    if alert.status == "firing":
        return replace(alert, status="resolved", active_since=None, resolved_at=at,
                       updated_at=at)
    return replace(alert, updated_at=at)
