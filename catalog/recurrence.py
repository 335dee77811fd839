"""Checks recurrence rules (RFC 5545 ``RRULE``) used by maintenance windows.

The catalog stores the rule text verbatim (a consumer may expand it with any RFC 5545
library); this module only refuses what such a library would refuse or misread. Accepted forms::

    FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=0
    RRULE:FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=3
    DTSTART;TZID=Europe/Berlin:20260104T020000
    RRULE:FREQ=WEEKLY;BYDAY=SU

Pure: standard library only (``zoneinfo`` reads the IANA database to check a ``TZID``).
"""

from __future__ import annotations

import re
import zoneinfo

FREQUENCIES = ("SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

# Part name → (lowest, highest, may be negative) for the integer-list BY* parts.
_INTEGER_LISTS: dict[str, tuple[int, int, bool]] = {
    "BYSECOND": (0, 60, False),
    "BYMINUTE": (0, 59, False),
    "BYHOUR": (0, 23, False),
    "BYMONTHDAY": (1, 31, True),
    "BYYEARDAY": (1, 366, True),
    "BYWEEKNO": (1, 53, True),
    "BYMONTH": (1, 12, False),
    "BYSETPOS": (1, 366, True),
}
PARTS = ("FREQ", "UNTIL", "COUNT", "INTERVAL", "BYDAY", "WKST", *_INTEGER_LISTS)

_DATE_TIME = re.compile(r"[0-9]{8}(T[0-9]{6}Z?)?")
_BYDAY = re.compile(r"(?P<ordinal>[+-]?[0-9]{1,2})?(?P<day>[A-Z]{2})")
_INTEGER = re.compile(r"[+-]?[0-9]+")


def check_rrule(text: str) -> list[str]:
    """Every reason ``text`` is not a usable recurrence rule; an empty list when it is."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return ["must be a recurrence rule like \"FREQ=WEEKLY;BYDAY=SU;BYHOUR=2\""]
    reasons: list[str] = []
    rules = []
    for line in lines:
        upper = line.upper()
        if upper.startswith("DTSTART"):
            reasons += _check_dtstart(line)
        elif upper.startswith("RRULE:"):
            rules.append(line[len("RRULE:") :])
        elif "=" in line and ":" not in line:
            rules.append(line)
        else:
            reasons.append(f"unexpected line {line!r}; expected DTSTART:... or RRULE:...")
    if len(rules) != 1:
        reasons.append(f"must hold exactly one RRULE, found {len(rules)}")
    for rule in rules:
        reasons += _check_rule(rule)
    return reasons


def _check_dtstart(line: str) -> list[str]:
    head, _, value = line.partition(":")
    params = head.split(";")[1:]
    reasons: list[str] = []
    if not _DATE_TIME.fullmatch(value):
        reasons.append(f"DTSTART must be YYYYMMDDTHHMMSS[Z], got {value!r}")
    for param in params:
        name, _, zone = param.partition("=")
        if name.upper() != "TZID":
            reasons.append(f"unknown DTSTART parameter {name!r}; allowed: TZID")
            continue
        try:
            zoneinfo.ZoneInfo(zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            reasons.append(f"unknown time zone {zone!r} in DTSTART (an IANA name is expected)")
    return reasons


def _check_rule(rule: str) -> list[str]:
    reasons: list[str] = []
    seen: dict[str, str] = {}
    for part in rule.split(";"):
        name, sep, value = part.partition("=")
        name = name.upper()
        if not sep or not value:
            reasons.append(f"rule part {part!r} must be NAME=VALUE")
        elif name not in PARTS:
            reasons.append(f"unknown rule part {name!r}; allowed: {', '.join(PARTS)}")
        elif name in seen:
            reasons.append(f"rule part {name} given twice")
        else:
            seen[name] = value.upper()
            reasons += _check_part(name, value.upper())
    if "FREQ" not in seen:
        reasons.append("FREQ is required")
    if "COUNT" in seen and "UNTIL" in seen:
        reasons.append("COUNT and UNTIL cannot both be given")
    return reasons


def _check_part(name: str, value: str) -> list[str]:
    if name == "FREQ":
        return [] if value in FREQUENCIES else [f"FREQ must be one of {', '.join(FREQUENCIES)}"]
    if name in ("COUNT", "INTERVAL"):
        return [] if value.isdigit() and int(value) > 0 else [f"{name} must be a positive integer"]
    if name == "UNTIL":
        return [] if _DATE_TIME.fullmatch(value) else ["UNTIL must be YYYYMMDD[THHMMSS[Z]]"]
    if name == "WKST":
        return [] if value in WEEKDAYS else [f"WKST must be one of {', '.join(WEEKDAYS)}"]
    reasons: list[str] = []
    for item in value.split(","):
        if name == "BYDAY":
            match = _BYDAY.fullmatch(item)
            if match is None or match["day"] not in WEEKDAYS:
                reasons.append(f"BYDAY item {item!r} must be like MO, -1FR or 2SU")
            continue
        low, high, signed = _INTEGER_LISTS[name]
        number = int(item) if _INTEGER.fullmatch(item) else None
        if number is None or not low <= abs(number) <= high or (number < 0 and not signed):
            span = f"±{low}..{high}" if signed else f"{low}..{high}"
            reasons.append(f"{name} item {item!r} must be an integer in {span}")
    return reasons
