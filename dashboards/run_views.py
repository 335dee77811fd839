"""The on-call health cards and the trace page's flow-time view, from the slo room's answers.

Pure mapping (no I/O): :mod:`dashboards.facade` runs the queries
(:func:`slo.health_query.flow_health`, :func:`slo.health_query.dead_letter_series`,
:func:`slo.flow_time_histogram.flow_time_histogram`) over the ranges below and hands their
answers here. Durations become seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from catalog.model import Flow
from dashboards.model import FlowHealthCard, FlowTimeBar, FlowTimeView, InflowBar, StepLoad
from slo.flow_time_histogram import FlowTimeHistogram
from slo.health_query import DeadLetterBucket, FlowHealth

HEALTH_RANGE = timedelta(hours=24)
"""The on-call health range: the last 24 h, ending at the read model's clock."""
INFLOW_STEP = timedelta(hours=1)
"""Width of a dead-letter inflow bar."""
FLOW_TIME_RANGE = timedelta(days=30)
"""The trace page's flow-time histogram: runs that succeeded in the last 30 days."""

_NS_PER_S = 1e9


def health_card(health: FlowHealth, inflow: Sequence[DeadLetterBucket]) -> FlowHealthCard:
    """One flow's on-call health from its :class:`~slo.health_query.FlowHealth` and dead-letter
    inflow series over the same range."""
    return FlowHealthCard(
        flow=health.flow, start=health.start, end=health.end, runs=health.runs,
        dead_letter_inflow=health.dead_letter_inflow,
        inflow=tuple(InflowBar(b.start, b.end, b.runs) for b in inflow),
        oldest_dead_letter_seconds=health.oldest_dead_letter_age_seconds,
        steps=tuple(StepLoad(s.step, s.waiting, s.lag_seconds, s.retried_runs, s.retries,
                             s.dead_letters) for s in health.steps))


def flow_time_view(flow: Flow, found: FlowTimeHistogram, correlation_id: str) -> FlowTimeView:
    """The trace page's histogram of ``flow`` (its buckets in seconds, an overflow bar after
    them when runs overflow) with the run ``correlation_id`` placed in it."""
    bars: list[FlowTimeBar] = []
    if found.buckets is not None:
        first, width = found.buckets.first_ns, found.buckets.width_ns
        bars = [FlowTimeBar((first + i * width) / _NS_PER_S, (first + (i + 1) * width)
                            / _NS_PER_S, n) for i, n in enumerate(found.counts)]
        if found.overflow:
            end = found.buckets.end_ns
            bars.append(FlowTimeBar(end / _NS_PER_S, (end + width) / _NS_PER_S,
                                    found.overflow, overflow=True))
    run = found.run
    elapsed = None if run is None or run.flow_time_ns is None else run.flow_time_ns / _NS_PER_S
    slower = (found.faster / found.runs
              if found.faster is not None and found.runs and elapsed is not None else None)
    thresholds = tuple((s.name, s.latency.threshold.total_seconds()) for s in flow.slos
                       if s.latency is not None)
    return FlowTimeView(flow.name, correlation_id, found.start, found.end, found.runs,
                        tuple(bars), "unknown" if run is None else run.outcome, elapsed,
                        slower, thresholds)
