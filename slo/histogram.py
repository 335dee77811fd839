"""Histogram buckets for durations: equal widths, a "nice" width, an optional overflow bucket.

The histogram query (:mod:`slo.flow_time_histogram`) first reads how many durations there are,
their minimum, maximum and 99th percentile, then asks :func:`choose_buckets` for the edges and
counts per bucket in SQL: ``least(intDiv(value - first, width), count)``, so the values are
never fetched. Bucket ``i`` holds ``[first + i * width, first + (i + 1) * width)``; index
``count`` is the **overflow** bucket, every value at or after :attr:`Buckets.end_ns`.

Rules of :func:`choose_buckets`:

- the top is the maximum, or the 99th percentile once there are at least
  :data:`OVERFLOW_MIN_RUNS` values (a few very slow runs then land in the overflow bucket
  instead of squeezing every other bar into one);
- the width is the smallest of :data:`NICE_WIDTHS_MS` (then 1, 2, 5, 10, 20, 50... days) that
  spreads ``top - minimum`` over at most :data:`TARGET_BUCKETS` buckets; 1 ms at least;
- the first edge is the minimum rounded down to a multiple of the width, and the last bucket
  holds the top.

Pure: standard library only. Durations are integer nanoseconds.
"""

from __future__ import annotations

from dataclasses import dataclass

from slo.errors import SLOValueError

NS_PER_MS = 1_000_000
DAY_NS = 86_400_000 * NS_PER_MS
NICE_WIDTHS_MS = (1, 2, 5, 10, 20, 50, 100, 200, 500,
                  1_000, 2_000, 5_000, 10_000, 15_000, 30_000,
                  60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000,
                  3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000)
"""Bucket widths a reader can add up: 1-2-5 ms to seconds, then 15 s, 30 s, 1, 2, 5, 10, 15,
30 min, 1, 2, 3, 6, 12 h and a day."""
TARGET_BUCKETS = 30
"""Most buckets between the minimum and the top (one more when the edges fall unevenly)."""
OVERFLOW_MIN_RUNS = 100
"""From this many values on, the histogram stops at the 99th percentile (overflow beyond)."""


@dataclass(frozen=True)
class Buckets:
    """``count`` buckets of ``width_ns`` from ``first_ns``; values at or after :attr:`end_ns`
    fall in the overflow bucket (index ``count``)."""

    first_ns: int
    width_ns: int
    count: int

    @property
    def end_ns(self) -> int:
        """Where the last bucket ends and the overflow bucket starts."""
        return self.first_ns + self.count * self.width_ns

    def index(self, value_ns: int) -> int:
        """The bucket of ``value_ns`` (``count`` for the overflow, 0 for values before the
        first edge): what the SQL computes."""
        return min(max((value_ns - self.first_ns) // self.width_ns, 0), self.count)


def nice_width_ns(at_least_ns: int) -> int:
    """The smallest nice width (see :data:`NICE_WIDTHS_MS`) of at least ``at_least_ns``."""
    for width_ms in NICE_WIDTHS_MS:
        if width_ms * NS_PER_MS >= at_least_ns:
            return width_ms * NS_PER_MS
    days, scale = -(-at_least_ns // DAY_NS), 1
    while True:
        for factor in (1, 2, 5):
            if factor * scale >= days:
                return factor * scale * DAY_NS
        scale *= 10


def choose_buckets(*, runs: int, low_ns: int, high_ns: int, p99_ns: int,
                   target: int = TARGET_BUCKETS) -> Buckets | None:
    """The buckets for ``runs`` durations from ``low_ns`` to ``high_ns`` whose 99th percentile
    is ``p99_ns`` (see the module docstring); ``None`` without values. Raises
    :class:`ValueError` for a target below 1 or a minimum above the maximum."""
    if target < 1:
        raise SLOValueError(f"a histogram needs at least one bucket, got {target}")
    if runs <= 0:
        return None
    if low_ns > high_ns:
        raise SLOValueError(f"the minimum {low_ns} ns lies above the maximum {high_ns} ns")
    top = max(min(p99_ns, high_ns), low_ns) if runs >= OVERFLOW_MIN_RUNS else high_ns
    width = nice_width_ns(max(-(-(top - low_ns) // target), 1))
    return Buckets(first_ns=low_ns // width * width, width_ns=width,
                   count=top // width - low_ns // width + 1)
