"""The flow times of a flow over ``[start, end)`` as a histogram, and where one run falls in it.

**Flow time** as in :mod:`slo.latency_query`: success - start (0 when the success is stamped
first) of the runs that succeeded (success strictly before any failure, :mod:`slo.runs`) with a
known start and whose success lies in ``[start, end)``, read from ``flow_runs`` with the rules
of :mod:`slo.sli_query`. Three queries, none of which fetches the values, so millions of runs
cost three scans of the flow's runs:

1. the run of one correlation id (a point lookup: ``flow_runs`` is ordered by flow and id):
   succeeded, failed or in flight, and its flow time;
2. how many flow times, their minimum, maximum and 99th percentile
   (``quantileExactInclusive``, as the latency route), and how many are strictly shorter
   than the run's;
3. runs per bucket of :func:`slo.histogram.choose_buckets`, the overflow bucket included.

A run that succeeds between queries 2 and 3 may fall outside the edges: it is counted in the
first or the overflow bucket, and :attr:`FlowTimeHistogram.runs` is the sum of the buckets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from catalog.model import Flow
from slo.histogram import Buckets, choose_buckets
from slo.latency_query import flow_times_sql
from slo.rings import from_ns, to_ns
from slo.sli_query import NEVER_NS, FlowRules, rules_parameters, rules_sql
from warehouse.port import Warehouse

Outcome = Literal["succeeded", "failed", "in flight"]

_RUN = """SELECT succeeded, s != {never}, greatest(g - s, 0), f != {never}
FROM ({runs})
WHERE CorrelationId = {{correlation_id:String}}"""


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
    rules = FlowRules.of(flow)
    params = rules_parameters([rules], 1)
    params["correlation_id"] = correlation_id
    runs = rules_sql(wh, [rules], 1, extra=("CorrelationId",))
    rows = wh.query(_RUN.format(never=NEVER_NS, runs=runs), params)
    if not rows:
        return None
    succeeded, started, elapsed, failed = rows[0]
    if succeeded:
        return RunFlowTime(correlation_id, "succeeded", int(elapsed) if started else None)
    return RunFlowTime(correlation_id, "failed" if failed else "in flight", None)


def _int(value: Any) -> int:
    return int(value) if value == value else 0  # nan (no values) is not equal to itself


def flow_time_histogram(wh: Warehouse, flow: Flow, start: datetime, end: datetime, *,
                        correlation_id: str | None = None) -> FlowTimeHistogram:
    """The histogram of ``flow``'s flow times over ``[start, end)`` (aware), with the run of
    ``correlation_id`` placed in it when given. Raises :class:`ValueError` when ``end`` is not
    after ``start``, :class:`~warehouse.errors.WarehouseError` when the warehouse fails."""
    if end <= start:
        raise ValueError(f"the range must end after it starts, got {start.isoformat()} to "
                         f"{end.isoformat()}")
    run = None if correlation_id is None else run_flow_time(wh, flow, correlation_id)
    mine = None if run is None else run.flow_time_ns
    rules = FlowRules.of(flow)
    values = flow_times_sql(wh, rules)
    params = rules_parameters([rules], 1)
    params.update(t0=to_ns(start), t1=to_ns(end), mine=-1 if mine is None else mine)
    ((count, low, high, p99, faster),) = wh.query(
        "SELECT count(), min(ft), max(ft), quantileExactInclusive(0.99)(ft), "
        f"countIf(ft < {{mine:Int64}})\nFROM ({values})", params)
    window = (from_ns(to_ns(start)), from_ns(to_ns(end)))
    buckets = choose_buckets(runs=int(count), low_ns=_int(low), high_ns=_int(high),
                             p99_ns=_int(p99))
    if buckets is None:
        return FlowTimeHistogram(flow.name, *window, 0, None, (), 0, run,
                                 None if mine is None else 0)
    params.update(first=buckets.first_ns, width=buckets.width_ns, buckets=buckets.count)
    rows = wh.query(
        "SELECT least(greatest(intDiv(ft - {first:Int64}, {width:Int64}), 0), "
        f"{{buckets:Int64}}) AS bucket, count()\nFROM ({values})\nGROUP BY bucket", params)
    found = {int(b): int(n) for b, n in rows}
    counts = tuple(found.get(i, 0) for i in range(buckets.count))
    overflow = found.get(buckets.count, 0)
    return FlowTimeHistogram(flow.name, *window, sum(counts) + overflow, buckets, counts,
                             overflow, run, None if mine is None else int(faster))
