"""OpenSLO v1 time windows: rolling or calendar-aligned periods, and timeslice lengths.

Durations use OpenSLO's shorthand (a positive integer and one of m, h, d, w, M, Q, Y); only
m, h, d and w have a fixed length, so rolling windows and slices use those, while 1w, 1M, 1Q
and 1Y name flowscope's calendar periods (week, month, quarter, year). Problems are recorded
in the :class:`~catalog.reader.SpecReader`; functions return ``None`` for unusable values.

Pure: standard library, the YAML node classes and :mod:`catalog` only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from yaml.nodes import Node, ScalarNode

from catalog.durations import format_duration
from catalog.reader import INT, STR, TIMESTAMP, Fields, SpecReader, describe

WINDOW_KEYS = ("duration", "isRolling", "calendar")
CALENDAR_KEYS = ("startTime", "timeZone")
CALENDARS = {"1w": "week", "1M": "month", "1Q": "quarter", "1Y": "year"}
CALENDAR_STARTS = {
    "week": "a Monday at 00:00", "month": "the 1st of a month at 00:00",
    "quarter": "January, April, July or October 1st at 00:00", "year": "January 1st at 00:00",
}
_SHORTHAND = re.compile(r"(?P<amount>[0-9]+)(?P<unit>[mhdwMQY])")
_FIXED_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1),
                "w": timedelta(weeks=1)}
_CALENDAR_UNITS = {"M": "month", "Q": "quarter", "Y": "year"}
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Window:
    """An SLO period: rolling ``period``, or a ``calendar`` unit in ``timezone``."""

    period: timedelta | None
    calendar: str | None = None
    timezone: str | None = None


def read_time_window(r: SpecReader, node: Node | None, spec: Node) -> Window | None:
    """``spec.timeWindow``: exactly one rolling or calendar-aligned window."""
    path = "spec.timeWindow"
    if node is None:
        r.report(spec, path, "is required: flowscope needs the SLO's period, e.g. "
                 "[{duration: 30d, isRolling: true}]")
        return None
    entries = r.sequence(node, path)
    if entries is None:
        return None
    if len(entries) != 1:
        r.report(node, path, f"must hold exactly one time window, got {len(entries)}")
        return None
    item, item_path = entries[0]
    f = r.mapping(item, item_path, allowed=WINDOW_KEYS, required=("duration",))
    if f is None:
        return None
    rolling = f.read("isRolling", r.boolean)
    if "calendar" in f:
        if rolling:
            r.report(f.node("isRolling") or item, f.field("isRolling"),
                     "must be false or left out for a calendar window")
        return _calendar_window(r, f)
    if rolling is not True:
        if "isRolling" not in f or rolling is False:
            r.report(f.node("isRolling") or item, f.field("isRolling"),
                     "must be true for a window without calendar (a calendar-aligned window "
                     "needs calendar: {startTime, timeZone})")
        return None
    period = f.read("duration", lambda n, p: read_rolling(r, n, p))
    return None if period is None else Window(period=period)


def _shorthand(r: SpecReader, node: Node, path: str) -> tuple[int, str] | None:
    """An OpenSLO duration shorthand: a positive integer and one of m, h, d, w, M, Q, Y."""
    text = str(node.value).strip() if isinstance(node, ScalarNode) and node.tag == STR else ""
    match = _SHORTHAND.fullmatch(text)
    if match is None or int(match["amount"]) == 0:
        r.report(node, path, 'must be an OpenSLO duration like "30d", "4w" or "1M" (a positive '
                 f"integer and one of m, h, d, w, M, Q, Y), got {describe(node)}")
        return None
    return int(match["amount"]), match["unit"]


def read_rolling(r: SpecReader, node: Node, path: str) -> timedelta | None:
    shorthand = _shorthand(r, node, path)
    if shorthand is None:
        return None
    amount, unit = shorthand
    if unit not in _FIXED_UNITS:
        r.report(node, path, "a rolling window must be in m, h, d or w (months, quarters and "
                 f"years have no fixed length), got '{amount}{unit}'; for a calendar "
                 f"{_CALENDAR_UNITS[unit]} use duration 1{unit} with calendar: "
                 "{startTime, timeZone}")
        return None
    return amount * _FIXED_UNITS[unit]


def _calendar_window(r: SpecReader, f: Fields) -> Window | None:
    unit = None
    duration = f.node("duration")
    shorthand = None if duration is None else _shorthand(r, duration, f.field("duration"))
    if shorthand is not None and duration is not None:
        unit = CALENDARS.get(f"{shorthand[0]}{shorthand[1]}")
        if unit is None:
            r.report(duration, f.field("duration"), "a calendar window must be 1w, 1M, 1Q or 1Y "
                     "(a calendar week, month, quarter or year), got "
                     f"'{shorthand[0]}{shorthand[1]}'")
    calendar = f.node("calendar")
    c = None if calendar is None else r.mapping(calendar, f.field("calendar"),
                                                allowed=CALENDAR_KEYS, required=CALENDAR_KEYS)
    if c is None:
        return None
    timezone = c.read("timeZone", r.timezone)
    start = c.read("startTime", lambda n, p: _start_time(r, n, p))
    start_node = c.node("startTime")
    if start is not None and unit is not None and start_node is not None and not _starts(
            unit, start):
        r.report(start_node, c.field("startTime"), f"must begin a calendar {unit}: "
                 f"{CALENDAR_STARTS[unit]} (flowscope periods follow the calendar), got "
                 f"'{start.isoformat(sep=' ')}'")
        return None
    if unit is None or timezone is None or start is None:
        return None
    return Window(period=None, calendar=unit, timezone=timezone)


def _start_time(r: SpecReader, node: Node, path: str) -> datetime | None:
    ok = isinstance(node, ScalarNode) and node.tag in (STR, TIMESTAMP)
    try:
        value = datetime.fromisoformat(str(node.value).strip()) if ok else None
    except ValueError:
        value = None
    if value is None:
        r.report(node, path, f"must be a date and time like 2026-01-01 00:00:00, got "
                 f"{describe(node)}")
        return None
    if value.tzinfo is not None:
        r.report(node, path, "must be a local date and time without offset (timeZone gives "
                 f"the zone), got {describe(node)}")
        return None
    return value


def _starts(unit: str, start: datetime) -> bool:
    if start.time() != time(0):
        return False
    if unit == "week":
        return start.weekday() == 0
    quarter_months = (1, 4, 7, 10) if unit == "quarter" else (1,) if unit == "year" else None
    return start.day == 1 and (quarter_months is None or start.month in quarter_months)


def read_slice(r: SpecReader, node: Node, path: str, window: Window | None) -> timedelta | None:
    """A slice length: a duration shorthand in m, h, d or w, or a whole number of minutes."""
    if isinstance(node, ScalarNode) and node.tag == INT:
        size = timedelta(minutes=int(node.value)) if int(node.value) > 0 else None
        if size is None:
            r.report(node, path, f"must be a positive number of minutes, got {node.value}")
    else:
        size = read_rolling(r, node, path)
    if size is None or window is None:
        return size
    whole = window.period if window.period is not None else _ONE_DAY
    if whole % size:
        what = f"the {format_duration(whole)} period" if window.period else "a day"
        r.report(node, path, f"must cut {what} into whole slices, got {format_duration(size)}")
        return None
    return size
