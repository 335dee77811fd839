"""SLI counts from the flow rollups: good and valid runs per window ring, for many flows at once.

One read (:func:`slo.rollup_read.read_rollups`) counts every window of every SLO of every flow
asked for: determinate runs by flow, **mode** and ring (:mod:`slo.rings`), where

- mode 0: no latency threshold (success-rate SLOs); determinate at the first terminal item;
- mode ``k >= 1``: the flow's ``k``-th distinct latency threshold
  (:class:`~slo.ledger_rules.LedgerRules`).

A run counts at the instant it became determinate (kept per run in the ledger, so a run whose
outcome changes with a late event moves, it is not counted twice); runs that became
determinate inside one of the flow's maintenance intervals are left out (the rings are cut
around them). Before reading, :func:`slo.ledger.ensure_current` applies what was stored since
the last follow step. The cost is the rollup rows of the windows, never the history before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from catalog.model import Flow
from slo.errors import SLOValueError
from slo.ledger import ensure_current
from slo.ledger_rules import LedgerRules
from slo.ledger_sql import NEVER_NS
from slo.maintenance import Interval
from slo.rings import RingCount, Rings, duration_ns, to_ns
from slo.rollup import Rollup
from slo.rollup_read import read_rollups
from slo.segments import MINUTE_NS, Segment, cut
from slo.sli import Counts
from warehouse.port import Warehouse

__all__ = ["NEVER_NS", "FlowRules", "ModeKey", "count_rings", "count_slices"]


@dataclass(frozen=True)
class FlowRules:
    """What the SLI read needs to know about one flow: the flow, its distinct latency
    thresholds (ascending; mode ``k`` evaluates the ``k``-th) and the maintenance intervals
    whose determinate runs are left out (see :mod:`slo.maintenance`)."""

    flow: Flow
    thresholds: tuple[timedelta, ...] = ()
    maintenance: tuple[Interval, ...] = ()

    @property
    def name(self) -> str:
        """The flow's name."""
        return self.flow.name

    @classmethod
    def of(cls, flow: Flow, maintenance: tuple[Interval, ...] = ()) -> FlowRules:
        """The rules of a catalog flow."""
        return cls(flow=flow, thresholds=LedgerRules.of(flow).thresholds,
                   maintenance=maintenance)

    def mode(self, threshold: timedelta | None) -> int:
        """The mode of an SLO with latency ``threshold`` (0 for none). Raises
        :class:`ValueError` for a threshold not in :attr:`thresholds`."""
        return 0 if threshold is None else self.thresholds.index(threshold) + 1

    def segments(self, bounds: Sequence[tuple[int, int, int]]) -> list[Segment]:
        """``(id, lo, hi)`` ranges (ns) as segments, with the maintenance intervals cut out."""
        excluded = [(to_ns(i.start), to_ns(i.end)) for i in self.maintenance]
        return [Segment(id_, a, b) for id_, lo, hi in bounds for a, b in cut(lo, hi, excluded)]


ModeKey = tuple[str, int]
"""``(flow name, mode)``."""


def _distinct(flows: Sequence[FlowRules]) -> list[FlowRules]:
    seen: dict[str, FlowRules] = {}
    for flow in flows:
        seen.setdefault(flow.name, flow)
    return list(seen.values())


def count_rings(wh: Warehouse, flows: Sequence[FlowRules], rings: Rings, *,
                catch_up: bool = True) -> dict[ModeKey, tuple[RingCount, ...]]:
    """Determinate runs per ``(flow, mode)`` and ring, good or not, at ``rings.at``.

    Every flow and mode asked for has an entry (empty when no run counts). ``catch_up``: see
    :func:`slo.ledger.ensure_current`. Raises :class:`~warehouse.errors.WarehouseError` when
    the warehouse fails (:class:`~slo.errors.RollupsNotReady` while a flow's rollups are
    built).
    """
    flows = _distinct(flows)
    if not flows:
        return {}
    ensure_current(wh, [f.flow for f in flows], catch_up=catch_up)
    edges = [*rings.starts_ns, to_ns(rings.at)]
    bounds = [(i + 1, edges[i], edges[i + 1]) for i in range(len(edges) - 1)]
    found = read_rollups(wh, {f.name: f.segments(bounds) for f in flows}, ["Valid", "GoodRuns"])
    result: dict[ModeKey, tuple[RingCount, ...]] = {}
    for f in flows:
        for m in range(1 + len(f.thresholds)):
            cells = []
            for ring in range(1, len(edges)):
                rollup = found.get((f.name, ring))
                if rollup is None:
                    continue
                good, valid = rollup.good_in(m), rollup.valid_in(m)
                cells += [RingCount(ring, False, valid - good)] if valid > good else []
                cells += [RingCount(ring, True, good)] if good else []
            result[(f.name, m)] = tuple(cells)
    return result


MAX_SEGMENT_SLICES = 2_000
"""Slices read as separate segments at most; more (e.g. a month of one-minute slices) are
counted by grouping whole minutes, which needs slices and their start on whole minutes."""


def count_slices(wh: Warehouse, flow: FlowRules, mode: int, start: datetime, end: datetime,
                 slice_length: timedelta) -> tuple[Counts, ...]:
    """Good and valid runs per time slice of ``slice_length`` from ``start`` (aware), for the
    slices that end by ``end``: ``[start + i * slice, start + (i + 1) * slice)``, one entry per
    slice in order (``Counts(0, 0)`` for a slice without determinate runs). Raises
    :class:`ValueError` for more than :data:`MAX_SEGMENT_SLICES` slices not on whole minutes."""
    whole = (end - start) // slice_length if end > start else 0
    if whole <= 0:
        return ()
    ensure_current(wh, [flow.flow])
    length = duration_ns(slice_length)
    first = to_ns(start)
    bounds = [(i + 1, first + i * length, first + (i + 1) * length) for i in range(whole)]
    if whole <= MAX_SEGMENT_SLICES:
        found = read_rollups(wh, {flow.name: flow.segments(bounds)}, ["Valid", "GoodRuns"])
    elif first % MINUTE_NS == 0 and length % MINUTE_NS == 0:
        found = _minute_slices(wh, flow, first, length, whole)
    else:
        raise SLOValueError(f"{whole} slices of {slice_length} are too many to read unless the "
                            f"slices and their start fall on whole minutes")
    counts = []
    for i in range(whole):
        rollup = found.get((flow.name, i + 1))
        counts.append(Counts(rollup.good_in(mode), rollup.valid_in(mode)) if rollup
                      else Counts(0, 0))
    return tuple(counts)


def _minute_slices(wh: Warehouse, flow: FlowRules, first: int, length: int, whole: int
                   ) -> dict[tuple[str, int], Rollup]:
    """Slices on whole minutes: the minutes rollup grouped by slice, leaving out minutes that
    touch maintenance, whose kept parts are read as segments."""
    excluded = [(to_ns(i.start), to_ns(i.end)) for i in flow.maintenance]
    end = first + whole * length
    rows = wh.query(
        f"SELECT intDiv(t - {{first:Int64}}, {{length:Int64}}) + 1 AS i, "  # noqa: S608
        f"sumForEach(Valid), sumForEach(GoodRuns) FROM ("
        f"SELECT *, toInt64(toUnixTimestamp(Minute)) * 1000000000 AS t "
        f"FROM {wh.database}.flow_rollup_minutes FINAL WHERE Flow = {{flow:String}} "
        "AND Minute >= fromUnixTimestamp64Nano({first:Int64}, 'UTC') "
        "AND Minute < fromUnixTimestamp64Nano({end:Int64}, 'UTC')) "
        "WHERE NOT arrayExists((a, b) -> t < b AND t + 60000000000 > a, {x_lo:Array(Int64)}, "
        "{x_hi:Array(Int64)}) GROUP BY i",
        {"flow": flow.name, "first": first, "length": length, "end": end,
         "x_lo": [a for a, _ in excluded], "x_hi": [b for _, b in excluded]})
    found = {(flow.name, int(i)): Rollup(valid=tuple(int(x) for x in v),
                                        good_runs=tuple(int(x) for x in g))
             for i, v, g in rows}
    touched = sorted({m for a, b in excluded for m in (a - a % MINUTE_NS, b - b % MINUTE_NS)
                      if first <= m < end})
    parts = [(1 + (m - first) // length, m, m + MINUTE_NS) for m in touched]
    for key, rollup in read_rollups(wh, {flow.name: flow.segments(parts)},
                                    ["Valid", "GoodRuns"]).items():
        found[key] = found[key].merge(rollup) if key in found else rollup
    return found
