"""Maintenance windows as time intervals: runs that become determinate inside one are left out
of SLIs (budget corrections).

A :class:`catalog.model.MaintenanceWindow` holds RFC 5545 recurrence text and a duration; each
occurrence starts a half-open window ``[occurrence, occurrence + duration)``. The conventions
match ``alerts/maintenance.py`` so alert silencing and SLI exclusion agree: a bare rule (no
``DTSTART``) is anchored at 2001-01-01T00:00:00Z (a Monday, the first of a month and of a year),
so parts the rule leaves out default to midnight UTC; a ``DTSTART`` without a time zone is UTC.

Pure: recurrence expansion by ``python-dateutil`` (a computation, no I/O).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from dateutil.rrule import rrulestr  # type: ignore[import-untyped]

from catalog.model import MaintenanceWindow
from slo.errors import MaintenanceError

ANCHOR = datetime(2001, 1, 1, tzinfo=UTC)
"""Start of bare rules (no ``DTSTART``)."""

MAX_OCCURRENCES = 10_000
"""Most occurrences one window may have in the expanded interval (e.g. 7 days of a minutely
rule); beyond it :class:`~slo.errors.MaintenanceError` is raised."""

_SUB_WEEKLY = ("SECONDLY", "MINUTELY", "HOURLY", "DAILY")
_PART = re.compile(r"(?P<name>[A-Z]+)=(?P<value>[^;]*)")


@dataclass(frozen=True)
class Interval:
    """``[start, end)`` as aware UTC datetimes."""

    start: datetime
    end: datetime

    def contains(self, instant: datetime) -> bool:
        """True when ``start <= instant < end``."""
        return self.start <= instant < self.end


def _parts(text: str) -> dict[str, str]:
    for raw in text.strip().splitlines():
        line = raw.strip()
        upper = line.upper()
        if upper.startswith("RRULE:") or ("=" in line and ":" not in line):
            body = line.split(":", 1)[1] if upper.startswith("RRULE:") else line
            return {m["name"].upper(): m["value"] for m in _PART.finditer(body.upper())}
    return {}


def _rule(window: MaintenanceWindow, since: datetime) -> Any:
    rule = rrulestr(window.rrule.strip(), dtstart=ANCHOR)
    start: datetime = rule._dtstart
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
        rule = rule.replace(dtstart=start)
    parts = _parts(window.rrule)
    # With INTERVAL=1 and no COUNT, moving the start by whole days keeps every later
    # occurrence of a daily-or-finer rule, and saves iterating from the anchor.
    if (parts.get("FREQ") in _SUB_WEEKLY and parts.get("INTERVAL", "1") == "1"
            and "COUNT" not in parts):
        days = (since - window.duration - start).days - 1
        if days > 0:
            rule = rule.replace(dtstart=start + timedelta(days=days))
    return rule


def occurrences(window: MaintenanceWindow, start: datetime, end: datetime) -> tuple[Interval, ...]:
    """The windows of ``window`` that overlap ``[start, end)`` (aware datetimes), in order, in
    UTC. Raises :class:`~slo.errors.MaintenanceError` when the rule cannot be expanded or has
    more than :data:`MAX_OCCURRENCES` occurrences there."""
    try:
        rule = _rule(window, start)
        found: list[Interval] = []
        for begin in rule.xafter(start - window.duration, inc=True):
            if begin >= end:
                break
            if len(found) >= MAX_OCCURRENCES:
                raise MaintenanceError(
                    f"maintenance rule {window.rrule.strip()!r} has more than "
                    f"{MAX_OCCURRENCES} occurrences between {start.isoformat()} and "
                    f"{end.isoformat()}")
            finish = begin + window.duration
            if finish > start:
                found.append(Interval(begin.astimezone(UTC), finish.astimezone(UTC)))
    except (ValueError, TypeError, OverflowError) as exc:
        raise MaintenanceError(
            f"maintenance rule {window.rrule.strip()!r} cannot be expanded: {exc}") from exc
    return tuple(found)


def merge(intervals: Iterable[Interval]) -> tuple[Interval, ...]:
    """Overlapping or touching intervals joined, sorted by start."""
    merged: list[Interval] = []
    for item in sorted(intervals, key=lambda i: (i.start, i.end)):
        if merged and item.start <= merged[-1].end:
            last = merged[-1]
            merged[-1] = Interval(last.start, max(last.end, item.end))
        else:
            merged.append(item)
    return tuple(merged)


def maintenance_intervals(windows: Iterable[MaintenanceWindow], start: datetime,
                          end: datetime) -> tuple[Interval, ...]:
    """Every occurrence of ``windows`` overlapping ``[start, end)``, merged and sorted.

    Raises :class:`~slo.errors.MaintenanceError` for the first window that cannot be
    expanded (see :func:`occurrences`).
    """
    return merge(i for window in windows for i in occurrences(window, start, end))


def excluded_intervals(windows: Iterable[MaintenanceWindow], start: datetime,
                       end: datetime) -> tuple[tuple[Interval, ...], str]:
    """What SLIs leave out over ``[start, end)``: :func:`maintenance_intervals` and ``""``,
    or, when a window cannot be expanded, no interval and a note saying why (maintenance is
    then not excluded rather than the SLO not evaluated)."""
    try:
        return maintenance_intervals(windows, start, end), ""
    except MaintenanceError as exc:
        return (), f"{exc}; maintenance is not excluded"


def in_maintenance(instant: datetime, intervals: Iterable[Interval]) -> bool:
    """True when ``instant`` lies in one of ``intervals``."""
    return any(i.contains(instant) for i in intervals)
