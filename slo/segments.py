"""How a read splits its time ranges over the rollups: whole hours, whole minutes, and the
partial minutes at the edges that are read from the ledger itself. Pure.

A read asks for **segments**: half-open ranges ``[lo, hi)`` of nanoseconds since the epoch,
each with an ``id`` (the ring of an SLI window, the bucket of a series...); several segments
may share an id (a window cut by maintenance) and segments never overlap. :func:`plan` covers
each segment with

- the whole hours inside it (``flow_rollup_hours``),
- the whole minutes inside it but outside those hours (``flow_rollup_minutes``),
- and at most two partial minutes (``run_ledger`` rows of that minute, each fact kept only when
  its instant lies inside the segment).

So a read costs at most ``hours + 2 * 59 minutes`` rollup rows per segment plus the ledger
rows of two minutes, whatever history lies before it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

MINUTE_NS = 60 * 10**9
HOUR_NS = 60 * MINUTE_NS


@dataclass(frozen=True)
class Segment:
    """``[lo, hi)`` in ns since the epoch, counted under ``id`` (any int >= 1)."""

    id: int
    lo: int
    hi: int


@dataclass(frozen=True)
class Range:
    """Rollup rows (hours or minutes, by their start in ns) in ``[lo, hi)``, counted under
    ``id``."""

    id: int
    lo: int
    hi: int


@dataclass(frozen=True)
class Plan:
    """Where each segment's answer comes from (see the module docstring).

    ``raw_minutes`` are the starts (ns) of the partial minutes; ``segments`` are all the
    segments, whose bounds decide, fact by fact, what those minutes' ledger rows count for.
    """

    segments: tuple[Segment, ...]
    hours: tuple[Range, ...] = ()
    minutes: tuple[Range, ...] = ()
    raw_minutes: tuple[int, ...] = field(default_factory=tuple)

    @property
    def empty(self) -> bool:
        """True when nothing needs to be read."""
        return not (self.hours or self.minutes or self.raw_minutes)


def _floor(t: int, unit: int) -> int:
    return t - t % unit


def _ceil(t: int, unit: int) -> int:
    return -((-t) // unit) * unit


def plan(segments: Iterable[Segment]) -> Plan:
    """The :class:`Plan` of ``segments`` (empty ones are dropped). Raises :class:`ValueError`
    when two segments overlap."""
    chosen = sorted((s for s in segments if s.hi > s.lo), key=lambda s: (s.lo, s.hi))
    for before, after in pairwise(chosen):
        if after.lo < before.hi:
            raise ValueError(f"segments [{before.lo}, {before.hi}) and [{after.lo}, {after.hi}) "
                             f"overlap")
    hours: list[Range] = []
    minutes: list[Range] = []
    raw: set[int] = set()
    for s in chosen:
        m_lo, m_hi = _ceil(s.lo, MINUTE_NS), _floor(s.hi, MINUTE_NS)
        if m_lo >= m_hi:
            # no whole minute: one or two partial minutes
            raw.add(_floor(s.lo, MINUTE_NS))
            if s.hi > _floor(s.hi, MINUTE_NS) and _floor(s.hi, MINUTE_NS) >= s.lo:
                raw.add(_floor(s.hi, MINUTE_NS))
            continue
        if s.lo != m_lo:
            raw.add(_floor(s.lo, MINUTE_NS))
        if s.hi != m_hi:
            raw.add(m_hi)
        h_lo, h_hi = _ceil(m_lo, HOUR_NS), _floor(m_hi, HOUR_NS)
        if h_lo < h_hi:
            hours.append(Range(s.id, h_lo, h_hi))
            _add(minutes, s.id, m_lo, h_lo)
            _add(minutes, s.id, h_hi, m_hi)
        else:
            _add(minutes, s.id, m_lo, m_hi)
    return Plan(tuple(chosen), tuple(hours), tuple(minutes), tuple(sorted(raw)))


def _add(ranges: list[Range], id_: int, lo: int, hi: int) -> None:
    if hi > lo:
        ranges.append(Range(id_, lo, hi))


def cut(lo: int, hi: int, excluded: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """``[lo, hi)`` minus the ``excluded`` ranges (half-open, any order, may overlap), as
    sorted disjoint ranges."""
    parts = [(lo, hi)] if hi > lo else []
    for x_lo, x_hi in sorted(excluded):
        kept: list[tuple[int, int]] = []
        for a, b in parts:
            if x_hi <= a or x_lo >= b:
                kept.append((a, b))
                continue
            if x_lo > a:
                kept.append((a, x_lo))
            if x_hi < b:
                kept.append((x_hi, b))
        parts = kept
    return parts


def series(lo: int, step: int, count: int, hi: int) -> list[Segment]:
    """Buckets ``[lo + i * step, lo + (i + 1) * step)`` for ``i < count``, the last ending at
    ``hi``, as segments with ids ``1..count``."""
    return [Segment(i + 1, lo + i * step, min(lo + (i + 1) * step, hi)) for i in range(count)]
