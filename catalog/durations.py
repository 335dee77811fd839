"""Durations as the catalog writes them: ``<integer><unit>``, e.g. ``30d``, ``2m``, ``500ms``.

Units: ``ms`` (milliseconds), ``s``, ``m`` (minutes), ``h``, ``d`` (days of 24 h), ``w`` (weeks).
Only one unit per duration (``90m``, not ``1h30m``), and the amount is a positive integer.
Pure: standard library only.
"""

from __future__ import annotations

import re
from datetime import timedelta

UNITS: dict[str, timedelta] = {
    "ms": timedelta(milliseconds=1),
    "s": timedelta(seconds=1),
    "m": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
    "w": timedelta(weeks=1),
}

_DURATION = re.compile(r"(?P<amount>[0-9]+)(?P<unit>ms|s|m|h|d|w)")


def parse_duration(text: str) -> timedelta:
    """``"30d"`` → ``timedelta(days=30)``.

    Raises :class:`ValueError` with a user-facing message when ``text`` is not a positive
    ``<integer><unit>`` duration.
    """
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        units = ", ".join(UNITS)
        raise ValueError(
            f'must be a duration like "30d" or "2m" (an integer and one unit of {units}), '
            f"got {text[:40]!r}"
        )
    amount = int(match["amount"])
    if amount == 0:
        raise ValueError(f"must be a positive duration, got {text!r}")
    try:
        return amount * UNITS[match["unit"]]
    except OverflowError:
        raise ValueError(f"is too long: {text.strip()[:40]!r}") from None


def format_duration(value: timedelta) -> str:
    """The shortest ``<integer><unit>`` spelling of ``value`` (``timedelta(days=7)`` → ``"1w"``).

    Raises :class:`ValueError` for durations that are not a positive whole number of
    milliseconds.
    """
    if value <= timedelta(0):
        raise ValueError(f"must be a positive duration, got {value}")
    for unit, size in sorted(UNITS.items(), key=lambda item: item[1], reverse=True):
        amount, rest = divmod(value, size)
        if not rest:
            return f"{amount}{unit}"
    raise ValueError(f"{value} is not a whole number of milliseconds")
