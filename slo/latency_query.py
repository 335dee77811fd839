"""Latency of a flow over ``[start, end)``: flow time and time in (and waiting before) each step.

- **Flow time** = success - start (0 when the success is stamped first) of the runs that
  succeeded (success strictly before any failure, :mod:`slo.runs`) with a known start and
  whose success lies in ``[start, end)``. With ``step`` set, also per bucket
  ``[start + i * step, start + (i + 1) * step)`` of success time.
- **Time in a step** = the last end (start + duration) minus the first start of the step's
  operations in a run (its spans and events, :func:`slo.runs.step_match`), for the runs whose
  first item at that step lies in ``[start, end)``.
- **Waiting before a step** = its first start minus the last end of the steps before it (in
  catalog order) that the run reached, 0 when they overlap; runs that reached no earlier step
  have none.

Counts are exact. Percentiles come from the rollups' logarithmic buckets (:mod:`slo.sketch`):
within 0.99 % of the exact value (``quantileExactInclusive``: linear interpolation between
the two closest ranks, position ``p * (n - 1)``, as numpy's default), and within 1 µs below
1 µs. Durations are milliseconds. The read costs the window's rollup rows
(:mod:`slo.rollup_read`), never the history before it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from catalog.model import Flow
from slo import sketch
from slo.errors import SLOValueError
from slo.ledger import ensure_current
from slo.rings import duration_ns, from_ns, to_ns
from slo.rollup_read import read_rollups, read_window
from slo.segments import series
from warehouse.port import Warehouse

PERCENTILES = (0.5, 0.95, 0.99)
MAX_BUCKETS = 1_000
"""Most buckets a latency series may have."""

_NS_PER_MS = 1_000_000


@dataclass(frozen=True)
class LatencySummary:
    """How many durations, and their 50th, 95th and 99th percentiles in milliseconds
    (``None`` when there are none)."""

    count: int
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None


@dataclass(frozen=True)
class StepLatency:
    """Time in a step and waiting before it."""

    step: str
    time: LatencySummary
    wait: LatencySummary


@dataclass(frozen=True)
class LatencyBucket:
    """Flow time of the runs that succeeded in ``[start, end)``."""

    start: datetime
    end: datetime
    flow_time: LatencySummary


@dataclass(frozen=True)
class FlowLatency:
    """Latency of one flow over ``[start, end)`` (see the module docstring)."""

    flow: str
    start: datetime
    end: datetime
    flow_time: LatencySummary
    steps: tuple[StepLatency, ...]
    series: tuple[LatencyBucket, ...] = ()


def summary(histogram: Mapping[int, int]) -> LatencySummary:
    """A :class:`LatencySummary` of the durations in a log-bucket histogram."""
    n = sketch.count(histogram)
    if n == 0:
        return LatencySummary(0)
    p50, p95, p99 = (float(sketch.quantile(histogram, p) or 0.0) / _NS_PER_MS
                     for p in PERCENTILES)
    return LatencySummary(n, p50, p95, p99)


def _flow_time(wh: Warehouse, flow: Flow, start: datetime, end: datetime,
               step: timedelta | None) -> tuple[LatencySummary, tuple[LatencyBucket, ...]]:
    lo, hi = to_ns(start), to_ns(end)
    overall = summary(read_window(wh, flow.name, lo, hi, ["FlowTimeHist"]).flow_time_hist)
    if step is None:
        return overall, ()
    count = -(-(end - start) // step)
    found = read_rollups(wh, {flow.name: series(lo, duration_ns(step), count, hi)},
                         ["FlowTimeHist"])
    buckets = tuple(
        LatencyBucket(start + i * step, min(start + (i + 1) * step, end),
                      summary(found[(flow.name, i + 1)].flow_time_hist)
                      if (flow.name, i + 1) in found else LatencySummary(0))
        for i in range(count))
    return overall, buckets


def _steps(wh: Warehouse, flow: Flow, start: datetime, end: datetime
           ) -> tuple[StepLatency, ...]:
    if not flow.steps:
        return ()
    rollup = read_window(wh, flow.name, to_ns(start), to_ns(end),
                         ["StepTimeHist", "StepWaitHist"])
    times = sketch.split_steps(rollup.step_time_hist, len(flow.steps))
    waits = sketch.split_steps(rollup.step_wait_hist, len(flow.steps))
    return tuple(StepLatency(s.name, summary(t), summary(w))
                 for s, t, w in zip(flow.steps, times, waits, strict=True))


def flow_latency(wh: Warehouse, flow: Flow, start: datetime, end: datetime, *,
                 step: timedelta | None = None) -> FlowLatency:
    """Latency of ``flow`` over ``[start, end)`` (aware), with a series when ``step`` is set.

    Raises :class:`ValueError` when ``end`` is not after ``start`` or the series would have
    more than :data:`MAX_BUCKETS` buckets, and
    :class:`~warehouse.errors.WarehouseError` when the warehouse fails.
    """
    if end <= start:
        raise SLOValueError(f"the range must end after it starts, got {start.isoformat()} to "
                            f"{end.isoformat()}")
    if step is not None and (step <= timedelta(0) or (end - start) / step > MAX_BUCKETS):
        raise SLOValueError(f"step must be positive and give at most {MAX_BUCKETS} buckets, got "
                            f"{step} over {end - start}")
    ensure_current(wh, [flow])
    overall, series_ = _flow_time(wh, flow, start, end, step)
    return FlowLatency(flow.name, from_ns(to_ns(start)), from_ns(to_ns(end)), overall,
                       _steps(wh, flow, start, end), series_)
