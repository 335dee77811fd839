"""Durations in logarithmic buckets, and percentiles read back from them. Pure.

A duration ``v`` (nanoseconds) falls in bucket 0 when ``v < 1 µs`` and otherwise in bucket
``1 + floor(log(v / 1 µs) / log(GAMMA))``: bucket ``b >= 1`` covers ``[1 µs * GAMMA**(b - 1),
1 µs * GAMMA**b)``. The rollups keep, per flow and minute, how many durations fell in each
bucket (``Map(bucket, count)``), which merge by summing, so any window's distribution is the
sum of its minutes'.

A bucket is read back as the value that halves the worst relative error,
``1 µs * GAMMA**(b - 1) * 2 * GAMMA / (1 + GAMMA)``, so every value is within
``(GAMMA - 1) / (GAMMA + 1)`` (0.99 % for ``GAMMA = 1.02``) of the true one, and bucket 0 reads
as 0 (within 1 µs). :func:`quantile` places percentiles exactly like the exact method it stands
for (ClickHouse's ``quantileExactInclusive``, numpy's "linear"): position ``p * (n - 1)`` of
the sorted values, interpolated linearly between the two closest ranks; since both ranks are
read within 0.99 %, so is the interpolation. Bounds with 1,440 buckets reach 30 days.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

GAMMA = 1.02
"""Ratio between consecutive bucket bounds."""
FLOOR_NS = 1_000
"""Durations below this (1 µs) share bucket 0."""
RELATIVE_ERROR = (GAMMA - 1) / (GAMMA + 1)
"""Largest relative error of a value read back from its bucket (about 0.0099)."""
STEP_KEY = 4096
"""Per-step histograms key a bucket as ``step * STEP_KEY + bucket`` (step from 0)."""

BUCKET_SQL = (f"toUInt16(if({{v}} < {FLOOR_NS}, 0, least(4095, 1 + floor(log({{v}} / "
              f"{FLOOR_NS}) / log({GAMMA})))))")
"""SQL: the bucket of the duration ``{v}`` (format it in), as :func:`bucket`."""


def bucket(value_ns: int) -> int:
    """The bucket of a duration in nanoseconds (negative durations count as 0)."""
    if value_ns < FLOOR_NS:
        return 0
    return min(4095, 1 + math.floor(math.log(value_ns / FLOOR_NS) / math.log(GAMMA)))


def value(index: int) -> float:
    """The duration (ns) bucket ``index`` reads back as (see the module docstring)."""
    if index <= 0:
        return 0.0
    return FLOOR_NS * GAMMA ** (index - 1) * 2 * GAMMA / (1 + GAMMA)


def count(histogram: Mapping[int, int]) -> int:
    """How many durations ``histogram`` holds."""
    return sum(histogram.values())


def quantile(histogram: Mapping[int, int], p: float) -> float | None:
    """The ``p``-quantile (0 <= p <= 1) of the durations in ``histogram`` (bucket -> count),
    in nanoseconds, by linear interpolation between ranks (see the module docstring); ``None``
    when it is empty. Raises :class:`ValueError` for ``p`` outside ``[0, 1]``."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"a quantile level lies in [0, 1], got {p}")
    total = count(histogram)
    if total == 0:
        return None
    position = p * (total - 1)
    low = math.floor(position)
    fraction = position - low
    below = _rank_value(histogram, low)
    if fraction == 0 or low + 1 >= total:
        return below
    return below + fraction * (_rank_value(histogram, low + 1) - below)


def _rank_value(histogram: Mapping[int, int], rank: int) -> float:
    """The read-back value of the ``rank``-th smallest duration (0-based)."""
    seen = 0
    for index in sorted(histogram):
        seen += histogram[index]
        if rank < seen:
            return value(index)
    return value(max(histogram))


def split_steps(histogram: Mapping[int, int], steps: int) -> tuple[dict[int, int], ...]:
    """Per step (from 0), the buckets of a per-step histogram keyed
    ``step * STEP_KEY + bucket``."""
    found: list[dict[int, int]] = [{} for _ in range(steps)]
    for key, n in histogram.items():
        step, index = divmod(int(key), STEP_KEY)
        if 0 <= step < steps and n:
            found[step][index] = found[step].get(index, 0) + int(n)
    return tuple(found)


def count_below(histogram: Mapping[int, int], limit_ns: int) -> int:
    """How many durations lie in buckets below the bucket of ``limit_ns`` (a run's rank among
    others: exact but for durations within about 2 % of it, which share its bucket)."""
    limit = bucket(limit_ns)
    return sum(n for index, n in histogram.items() if index < limit)


def place(histogram: Mapping[int, int], first_ns: int, width_ns: int, count: int
          ) -> tuple[tuple[int, ...], int]:
    """The durations of ``histogram`` counted in ``count`` equal buckets of ``width_ns`` from
    ``first_ns`` (each by the value its log bucket reads back as; before the first edge counts
    in the first), and how many lie at or after the last edge (the overflow)."""
    counts = [0] * (count + 1)
    for index, n in histogram.items():
        position = (int(value(index)) - first_ns) // width_ns
        counts[min(max(position, 0), count)] += n
    return tuple(counts[:-1]), counts[-1]
