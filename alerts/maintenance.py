"""Catalog maintenance windows: is a flow in planned downtime at an instant?

Notifications of a flow's alerts are held back while the flow is inside one of its maintenance
windows (evaluation and history go on). The windows are expanded by
:mod:`slo.maintenance`, the same expansion that leaves maintenance out of SLIs, so silencing
and budget corrections agree: each occurrence of the rule starts a half-open window
``[occurrence, occurrence + duration)``. A rule that cannot be expanded never matches and is
reported by :func:`maintenance_problems`. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from catalog.model import MaintenanceWindow
from slo.errors import MaintenanceError
from slo.maintenance import occurrences

_INSTANT = timedelta(microseconds=1)


def covers(window: MaintenanceWindow, at: datetime) -> bool:
    """Whether an occurrence of ``window`` covers the aware instant ``at``."""
    try:
        return bool(occurrences(window, at, at + _INSTANT))
    except MaintenanceError:
        return False


def active_window(windows: Iterable[MaintenanceWindow], at: datetime
                  ) -> MaintenanceWindow | None:
    """The first of ``windows`` that covers ``at``, or ``None``."""
    return next((w for w in windows if covers(w, at)), None)


def maintenance_problems(windows: Iterable[MaintenanceWindow], at: datetime) -> tuple[str, ...]:
    """Why some of ``windows`` cannot be expanded around ``at`` (empty when all can)."""
    problems = []
    for window in windows:
        try:
            occurrences(window, at, at + _INSTANT)
        except MaintenanceError as exc:
            problems.append(str(exc))
    return tuple(problems)
