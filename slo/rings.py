"""Every SLI window of one evaluation, counted in one pass: rings between window starts.

All windows of an evaluation end at the same instant ``at`` (a window ``w`` is
``[at - w, at)``) and so does the SLO period so far (``[period start, at)``). Sort every window
start ascending, ``b_1 < b_2 < ... < b_n``; the **ring** of an instant ``d < at`` is the number
of starts at or before it, ``#{i : b_i <= d}``: 0 when it is older than every start, ``n`` when
it lies in the shortest window. ``d`` lies in the window starting at ``b_i`` exactly when its
ring is at least ``i``. So the SLI query groups determinate runs by ring (a handful of groups
per SLO, whatever the traffic) and the counts of each window are a suffix sum over rings, summed
first and divided once.

Instants travel to SQL as integer nanoseconds since the Unix epoch (:func:`to_ns`).
Pure: standard library and :mod:`slo.sli` only.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from slo.errors import PeriodError, SLOValueError
from slo.sli import Counts

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def to_ns(instant: datetime) -> int:
    """Nanoseconds since the Unix epoch of an aware datetime (microsecond precision)."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise PeriodError(f"instants must be timezone-aware, got naive {instant.isoformat()}")
    return (instant - EPOCH) // _MICROSECOND * 1000


def duration_ns(duration: timedelta) -> int:
    """A duration in nanoseconds (microsecond precision)."""
    return duration // _MICROSECOND * 1000


def from_ns(nanoseconds: int) -> datetime:
    """The aware UTC datetime of ``nanoseconds`` since the epoch (truncated to microseconds)."""
    return EPOCH + timedelta(microseconds=nanoseconds // 1000)


@dataclass(frozen=True)
class Rings:
    """The sorted, distinct window starts of one evaluation at ``at``.

    Build it with :meth:`of`; every start is at or before ``at``.
    """

    at: datetime
    starts: tuple[datetime, ...]

    @classmethod
    def of(cls, at: datetime, starts: Iterable[datetime]) -> Rings:
        """Rings for windows starting at ``starts`` and ending at ``at`` (aware datetimes).

        Raises :class:`~slo.errors.PeriodError` for a naive instant or a start after ``at``.
        """
        to_ns(at)
        distinct: set[datetime] = set()
        for start in starts:
            to_ns(start)
            distinct.add(start.astimezone(UTC))
        chosen = sorted(distinct)
        if chosen and chosen[-1] > at:
            raise PeriodError(f"a window cannot start ({chosen[-1].isoformat()}) after it ends "
                              f"({at.isoformat()})")
        return cls(at=at.astimezone(UTC), starts=tuple(chosen))

    @property
    def starts_ns(self) -> tuple[int, ...]:
        """The starts in nanoseconds since the epoch, ascending."""
        return tuple(to_ns(s) for s in self.starts)

    @property
    def earliest(self) -> datetime:
        """The earliest start (``at`` when there is none)."""
        return self.starts[0] if self.starts else self.at

    def ring(self, instant: datetime) -> int:
        """The ring of ``instant``: how many starts are at or before it (0 for instants at or
        after ``at``, which lie in no window)."""
        if instant >= self.at:
            return 0
        return bisect_right(self.starts, instant)

    def index(self, start: datetime) -> int:
        """The 1-based position of ``start`` among the starts: an instant lies in the window
        starting there when its ring is at least this. Raises :class:`ValueError` for an
        instant that is not one of the starts."""
        position = bisect_right(self.starts, start)
        if position == 0 or self.starts[position - 1] != start:
            raise SLOValueError(f"{start.isoformat()} is not a window start of these rings")
        return position


@dataclass(frozen=True)
class RingCount:
    """Runs that became determinate in one ring, good or not."""

    ring: int
    good: bool
    runs: int


def counts_since(rings: Rings, start: datetime, rows: Iterable[RingCount]) -> Counts:
    """Good and valid runs of the window ``[start, at)``: the rows whose ring is at least the
    position of ``start`` (which must be one of the rings' starts)."""
    lowest = rings.index(start)
    good = valid = 0
    for row in rows:
        if row.ring >= lowest:
            valid += row.runs
            if row.good:
                good += row.runs
    return Counts(good, valid)
