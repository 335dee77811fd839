"""The flow times of a flow over ``[start, end)`` as a histogram, and where one run falls in it.

**Flow time** as in :mod:`slo.latency_query`: success - start (0 when the success is stamped
first) of the runs that succeeded (success strictly before any failure, :mod:`slo.runs`) with a
known start and whose success lies in ``[start, end)``. The distribution comes from the flow
rollups' logarithmic buckets (:mod:`slo.sketch`, one read of the window's rows): the count is
exact; the minimum, maximum and 99th percentile, and each run's place among the equal-width
buckets of :func:`slo.histogram.choose_buckets`, are those of its log bucket, within 0.99 % of
its flow time (a run within 1 % of an edge may be drawn in the bucket beside).

The run asked for is read from its own items (a point lookup by correlation id), exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from catalog.model import Flow
from slo import sketch
from slo.errors import SLOValueError
from slo.histogram import Buckets, choose_buckets
from slo.ledger import ensure_current
from slo.ledger_sql import NEVER_NS
from slo.rings import from_ns, to_ns
from slo.rollup_read import read_window
from slo.runs import DEAD_LETTER_PATTERN, span_match
from warehouse.port import Warehouse

Outcome = Literal["succeeded", "failed", "in flight"]

_RUN = """
SELECT
    min(if(Kind = 'event' AND Outcome = 'start', at, {never})),
    min(if({{start_on:UInt8}} = 1 AND Kind = 'span'
           AND ({{start_service:String}} = '' OR ServiceName = {{start_service:String}})
           AND ({{start_name:String}} = '' OR Name = {{start_name:String}}), at, {never})),
    min(if(Kind = 'event' AND Outcome = 'success', at, {never})),
    min(if({{success_on:UInt8}} = 1 AND Kind = 'span'
           AND ({{success_service:String}} = '' OR ServiceName = {{success_service:String}})
           AND ({{success_name:String}} = '' OR Name = {{success_name:String}}), at, {never})),
    min(if(Kind = 'event' AND Outcome = 'failure', at, {never})),
    min(if(match(Name, {{pattern:String}}), at, {never})),
    count()
FROM (SELECT *, toUnixTimestamp64Nano(Timestamp) AS at FROM {table} FINAL
      WHERE CorrelationId = {{correlation_id:String}} AND Flow = {{flow:String}})
"""


@dataclass(frozen=True)
class RunFlowTime:
    """One run: ``succeeded`` (success before any failure), ``failed`` (a failure, or a dead
    letter when the flow fails on one, and no earlier success) or ``in flight``; its flow time
    in nanoseconds when it succeeded with a known start (else ``None``)."""

    correlation_id: str
    outcome: Outcome
    flow_time_ns: int | None


@dataclass(frozen=True)
class FlowTimeHistogram:
    """Flow times of ``flow`` over ``[start, end)`` (see the module docstring).

    ``counts[i]`` runs lie in bucket ``i`` of ``buckets`` (``None`` and ``()`` without runs);
    ``overflow`` runs at or after ``buckets.end_ns``. ``run`` is the run asked for (``None``
    when none was, or the flow has no run with that id); ``faster`` how many of the ``runs``
    had a strictly shorter flow time than it (``None`` unless it has a flow time).
    """

    flow: str
    start: datetime
    end: datetime
    runs: int
    buckets: Buckets | None
    counts: tuple[int, ...]
    overflow: int
    run: RunFlowTime | None = None
    faster: int | None = None


def run_flow_time(wh: Warehouse, flow: Flow, correlation_id: str) -> RunFlowTime | None:
    """The run of ``flow`` with ``correlation_id`` (``None`` when there is none). Raises
    :class:`~warehouse.errors.WarehouseError` when the warehouse fails."""
    params: dict[str, object] = {"correlation_id": correlation_id, "flow": flow.name,
                                 "pattern": DEAD_LETTER_PATTERN}
    for which, matcher in (("start", span_match(flow.start)),
                           ("success", span_match(flow.success))):
        params[f"{which}_on"] = int(matcher is not None)
        params[f"{which}_service"] = (matcher.service or "") if matcher else ""
        params[f"{which}_name"] = (matcher.name or "") if matcher else ""
    ((ev_s, span_s, ev_g, span_g, ev_f, dead, items),) = wh.query(
        _RUN.format(never=NEVER_NS, table=f"{wh.database}.correlation_items"), params)
    if int(items) == 0:
        return None
    s, g = min(int(ev_s), int(span_s)), min(int(ev_g), int(span_g))
    f = min(int(ev_f), int(dead) if flow.failure.dead_letter else NEVER_NS)
    if g < f:
        return RunFlowTime(correlation_id, "succeeded", max(g - s, 0) if s < NEVER_NS else None)
    return RunFlowTime(correlation_id, "failed" if f < NEVER_NS else "in flight", None)


def flow_time_histogram(wh: Warehouse, flow: Flow, start: datetime, end: datetime, *,
                        correlation_id: str | None = None) -> FlowTimeHistogram:
    """The histogram of ``flow``'s flow times over ``[start, end)`` (aware), with the run of
    ``correlation_id`` placed in it when given. Raises :class:`ValueError` when ``end`` is not
    after ``start``, :class:`~warehouse.errors.WarehouseError` when the warehouse fails."""
    if end <= start:
        raise SLOValueError(f"the range must end after it starts, got {start.isoformat()} to "
                            f"{end.isoformat()}")
    run = None if correlation_id is None else run_flow_time(wh, flow, correlation_id)
    mine = None if run is None else run.flow_time_ns
    ensure_current(wh, [flow])
    histogram = read_window(wh, flow.name, to_ns(start), to_ns(end),
                            ["FlowTimeHist"]).flow_time_hist
    window = (from_ns(to_ns(start)), from_ns(to_ns(end)))
    count = sketch.count(histogram)
    faster = None if mine is None else sketch.count_below(histogram, mine)
    present = sorted(b for b, n in histogram.items() if n)
    buckets = choose_buckets(
        runs=count, low_ns=int(sketch.value(present[0])) if present else 0,
        high_ns=int(sketch.value(present[-1])) if present else 0,
        p99_ns=int(sketch.quantile(histogram, 0.99) or 0))
    if buckets is None:
        return FlowTimeHistogram(flow.name, *window, 0, None, (), 0, run,
                                 None if mine is None else 0)
    counts, overflow = sketch.place(histogram, buckets.first_ns, buckets.width_ns, buckets.count)
    return FlowTimeHistogram(flow.name, *window, count, buckets, counts, overflow, run, faster)
