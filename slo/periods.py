"""SLO periods as half-open ``[start, end)`` intervals of aware UTC instants.

- **Rolling** periods end at the instant of evaluation: ``[at - length, at)``.
- **Calendar** periods (``week``, ``month``, ``quarter``, ``year``) start at local midnight, in
  an IANA time zone, of the first day of the unit containing ``at``: weeks start on Monday
  (ISO 8601), quarters in January, April, July and October, years on January 1. The period
  ends where the next one starts. Bounds are converted to UTC, so the length is real elapsed
  time and daylight saving changes show: the first quarter of 2026 in ``Europe/Berlin`` lasts
  90 days minus one hour.

A local midnight that falls in a daylight-saving gap or overlap resolves to its first
occurrence (``fold=0``), i.e. the first instant of that local day.

Instants must be timezone-aware. Pure: standard library (:mod:`zoneinfo` reads the time zone
database, which is reference data, not I/O of ours).
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from catalog.model import SLOSpec
from slo.errors import PeriodError

CalendarUnit = Literal["week", "month", "quarter", "year"]
CALENDAR_UNITS: tuple[CalendarUnit, ...] = ("week", "month", "quarter", "year")


@dataclass(frozen=True)
class Period:
    """``[start, end)`` as aware UTC datetimes."""

    start: datetime
    end: datetime

    @property
    def length(self) -> timedelta:
        """Elapsed time from start to end (DST changes included)."""
        return self.end - self.start

    def contains(self, instant: datetime) -> bool:
        """True when ``start <= instant < end`` (``instant`` must be aware)."""
        return self.start <= _aware(instant) < self.end

    def elapsed(self, at: datetime) -> timedelta:
        """Time from ``start`` to ``at``, clamped to ``[0, length]``."""
        return min(max(_aware(at) - self.start, timedelta(0)), self.length)


def _aware(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise PeriodError(f"instants must be timezone-aware, got naive {instant.isoformat()}")
    return instant


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise PeriodError(f"unknown time zone {name!r} (an IANA name like 'Europe/Berlin' is "
                          f"expected)") from exc


def rolling_period(at: datetime, length: timedelta) -> Period:
    """``[at - length, at)`` in UTC. Raises :class:`PeriodError` for a naive ``at`` or a
    non-positive ``length``."""
    if length <= timedelta(0):
        raise PeriodError(f"a period must be positive, got {length}")
    end = _aware(at).astimezone(UTC)
    return Period(start=end - length, end=end)


def _first_day(day: date, unit: CalendarUnit) -> tuple[date, date]:
    if unit == "week":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=7)
    if unit == "year":
        return date(day.year, 1, 1), date(day.year + 1, 1, 1)
    months = 3 if unit == "quarter" else 1
    first_month = (day.month - 1) // months * months + 1
    start = date(day.year, first_month, 1)
    next_month = first_month + months
    end = (date(day.year + 1, next_month - 12, 1) if next_month > 12
           else date(day.year, next_month, 1))
    return start, end


def calendar_period(at: datetime, unit: str, timezone: str = "UTC") -> Period:
    """The calendar ``unit`` (week, month, quarter, year) containing ``at``, in ``timezone``.

    Raises :class:`PeriodError` for a naive ``at``, an unknown unit or an unknown time zone.
    """
    if unit not in CALENDAR_UNITS:
        raise PeriodError(f"calendar unit must be one of {', '.join(CALENDAR_UNITS)}, "
                          f"got {unit!r}")
    chosen: CalendarUnit = next(u for u in CALENDAR_UNITS if u == unit)
    zone = _zone(timezone)
    local_day = _aware(at).astimezone(zone).date()
    first, after = _first_day(local_day, chosen)
    return Period(start=_midnight(first, zone), end=_midnight(after, zone))


def _midnight(day: date, zone: zoneinfo.ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def slo_period(spec: SLOSpec, at: datetime) -> Period:
    """The period of ``spec`` at ``at``: rolling when ``spec.period`` is set, else the calendar
    period ``spec.calendar`` in ``spec.timezone`` (UTC when unset)."""
    if spec.period is not None:
        return rolling_period(at, spec.period)
    if spec.calendar is not None:
        return calendar_period(at, spec.calendar, spec.timezone or "UTC")
    raise PeriodError(f"SLO {spec.name!r} has neither a rolling period nor a calendar")
