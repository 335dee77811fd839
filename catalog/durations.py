"""Durations as the catalog writes them, and as people read them.

Catalog spelling (:func:`parse_duration`, :func:`format_duration`): ``<integer><unit>``, e.g.
``30d``, ``2m``, ``500ms``. Units: ``ms`` (milliseconds), ``s``, ``m`` (minutes), ``h``, ``d``
(days of 24 h), ``w`` (weeks). Only one unit per duration (``90m``, not ``1h30m``), and the
amount is a positive integer.

Human spelling (:func:`human_duration`): the one rule every page, the CLI and the alert texts
use to show a duration: ``0.4 ms``, ``400 ms``, ``9.5 s``, ``42 s``, ``41 min 30 s``,
``3 h 12 min``, ``1 d 1 h``. Units ``ms``, ``s``, ``min``, ``h``, ``d``, chosen from the value.

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


HUMAN_UNITS: tuple[tuple[int, str], ...] = ((86_400, "d"), (3_600, "h"), (60, "min"), (1, "s"))
"""Whole-second units of :func:`human_duration`, largest first: (seconds, name)."""


def human_duration(value: float | timedelta) -> str:
    """A duration (seconds, or a timedelta) as people read it, two units at most, the smaller
    one truncated:

    - under 10 ms, milliseconds to one decimal: ``0.0004`` → ``0.4 ms``, ``0.002`` → ``2 ms``;
    - under 1 s, whole milliseconds: ``0.4`` → ``400 ms``;
    - under 10 s, seconds to one decimal: ``9.46`` → ``9.5 s``, ``2`` → ``2 s``;
    - under 1 min, whole seconds: ``42.4`` → ``42 s``;
    - then the largest unit it reaches and the next one down, in whole units (rounded to the
      second first): ``2_490`` → ``41 min 30 s``, ``11_550`` → ``3 h 12 min``,
      ``90_061`` → ``1 d 1 h``, ``2_520`` → ``42 min``.

    Negative durations read like positive ones with a minus sign (``-90`` → ``-1 min 30 s``).
    """
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    if seconds < 0:
        return "-" + human_duration(-seconds)
    ms = seconds * 1000
    if round(ms, 1) < 10:
        return f"{round(ms, 1):g} ms"
    if round(ms) < 1000:
        return f"{round(ms)} ms"
    if round(seconds, 1) < 10:
        return f"{round(seconds, 1):g} s"
    whole = round(seconds)
    for i, (size, name) in enumerate(HUMAN_UNITS):
        if whole >= size:
            text = f"{whole // size} {name}"
            if size > 1:
                smaller, smaller_name = HUMAN_UNITS[i + 1]
                rest = whole % size // smaller
                text += f" {rest} {smaller_name}" if rest else ""
            return text
    raise AssertionError("unreachable: whole >= 10 s")  # pragma: no cover
