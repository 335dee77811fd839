"""Duration axes in human units: tick values and labels chosen from the range drawn.

Plotly labels a numeric axis in plain numbers (``2.5M``); a duration axis instead gets ticks at
round human steps (1, 2, 5, 10, 15, 30 of a unit) labelled by
:func:`catalog.durations.human_duration` (``0``, ``10 min``, ``20 min``, ``30 min``,
``40 min``). Pure: values in, axis settings out.
"""

from __future__ import annotations

import math

from catalog.durations import human_duration

_DAY = 86_400.0
STEPS: tuple[float, ...] = (
    0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5,
    1, 2, 5, 10, 15, 30,
    60, 120, 300, 600, 900, 1_800,
    3_600, 7_200, 10_800, 21_600, 43_200,
    _DAY, 2 * _DAY, 7 * _DAY, 14 * _DAY, 30 * _DAY)
"""Tick steps in seconds, smallest first."""
MOST_TICKS = 6
"""Most intervals between ticks on an axis."""


def tick_step(longest_seconds: float, most: int = MOST_TICKS) -> float:
    """The smallest step of :data:`STEPS` that covers ``longest_seconds`` in at most ``most``
    intervals (past the last step, whole multiples of 30 days)."""
    for step in STEPS:
        if longest_seconds <= step * most:
            return step
    return math.ceil(longest_seconds / most / STEPS[-1]) * STEPS[-1]


def duration_axis(longest_seconds: float, *, per_second: float = 1.0,
                  most: int = MOST_TICKS) -> dict[str, object]:
    """Plotly axis settings for durations from 0 to ``longest_seconds``: ticks every
    :func:`tick_step`, labelled in human units. ``per_second`` is how many axis units make a
    second (1000 for an axis drawn in milliseconds)."""
    step = tick_step(max(longest_seconds, 0.0), most)
    count = math.floor(max(longest_seconds, 0.0) / step + 1e-9) + 1
    values = [i * step for i in range(count + 1)]
    return {"tickmode": "array", "tickvals": [v * per_second for v in values],
            "ticktext": ["0" if v == 0 else human_duration(v) for v in values]}
