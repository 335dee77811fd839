"""Usage of flows per day, read from the warehouse: the :class:`~cost.usage.DailyUsage` that
:func:`cost.allocation.allocate` prices. Thin adapter over two queries.

For each flow and UTC day of a :class:`~cost.usage.DateRange`:

- **runs started / successes / failures** — exactly the SLO engine's run semantics
  (:mod:`slo.runs`, evaluated by :func:`slo.sli_query.rules_sql`): a run *starts* at its first
  start event or matching start span; its **first terminal item** decides its outcome (a
  success strictly before any failure event, or dead letter when the flow says
  ``failure.dead_letter: true``); it counts as a success or a failure on the day of that item.
- **calls** — every span and every event of a step's operations (:func:`slo.runs.step_match`:
  the step's service, and span name when given) is one call of that step, and one call of the
  step's partner; a span or event matching no step is not a call of any step. Calls count on
  the day of the item, whether its run succeeded or not.
- **CPU-seconds** per step — the sum of the step's span durations (``Duration`` ns / 1e9,
  exact); **invocations** per step — its spans.
- **interventions** — manual work the data shows: each **dead-lettered run** (on the day of
  its first dead-lettered item: a span name or event type matching
  :data:`slo.runs.DEAD_LETTER_PATTERN`) and each **manual replay**, a dead-lettered run that
  later succeeded (on the day of that success). The catalog has no way to mark a human
  approval step, so approvals are not counted.
- **failed** (the cost of failure) — the items, CPU time and interventions above that belong to
  runs whose first terminal item is a failure lying before the end of the range.

Items are read once each (``correlation_items FINAL``: a replayed span or event counts once).
An item belongs to a failed run when ``flow \\x1f correlation id`` is among the failed runs'
(flow names are identifiers, so the separator keeps the key unique); one string probes the set
about a quarter faster than a ``(Flow, CorrelationId)`` tuple (bench/dashboards.py, 10M items).
Every value is a bound parameter; identifiers come from our code.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from catalog.model import Flow
from cost.money import MONEY_CONTEXT
from cost.usage import Activity, DailyUsage, DateRange
from slo.rings import to_ns
from slo.runs import operation_key, step_match
from slo.sli_query import NEVER_NS, FlowRules, rules_parameters, rules_sql
from warehouse.port import Warehouse

DAY_NS = 86_400 * 10**9
"""Nanoseconds in a UTC day."""
_EPOCH_DAY = date(1970, 1, 1).toordinal()

_RUNS = """
SELECT flow, ev.1 AS kind, intDiv(ev.2, {day_ns}) AS day, failed_run, count() AS n
FROM (
    SELECT flow, NOT succeeded AND t < {{t1:Int64}} AS failed_run, arrayJoin([
        tuple('start', s),
        tuple('success', if(succeeded, t, toInt64({never}))),
        tuple('failure', if(succeeded, toInt64({never}), t)),
        tuple('dead_letter', dl),
        tuple('replay', if(dl < {never} AND g < {never} AND g > dl, g, toInt64({never})))
    ]) AS ev
    FROM (SELECT *, toInt64(ifNull(toUnixTimestamp64Nano(DeadLetterAt), {never})) AS dl
          FROM ({runs}))
)
WHERE ev.2 >= {{t0:Int64}} AND ev.2 < {{t1:Int64}}
GROUP BY flow, kind, day, failed_run
"""

_FAILED = """concat(Flow, char(31), CorrelationId) {in_} (
               SELECT concat(flow, char(31), CorrelationId) FROM ({runs})
               WHERE NOT succeeded AND t < {{t1:Int64}})"""

_ITEMS = """
SELECT Flow, intDiv(toUnixTimestamp64Nano(Timestamp), {day_ns}) AS day, ServiceName, Name,
       Kind, count() AS items, sum(DurationNs) AS ns, countIf(failed) AS failed_items,
       sumIf(DurationNs, failed) AS failed_ns
FROM (
    SELECT Flow, Timestamp, ServiceName, Name, Kind, DurationNs, {failed} AS failed
    FROM {table} FINAL
    WHERE Flow IN {{flows:Array(String)}} AND CorrelationId != ''
      AND toUnixTimestamp64Nano(Timestamp) >= {{t0:Int64}}
      AND toUnixTimestamp64Nano(Timestamp) < {{t1:Int64}}
)
GROUP BY Flow, day, ServiceName, Name, Kind
"""


@dataclass(frozen=True)
class FlowUsage:
    """A flow's usage over a range: one :class:`DailyUsage` per day with any (in order), and
    the interventions behind it (``dead_letters`` runs, ``replays``)."""

    flow: str
    period: DateRange
    days: tuple[DailyUsage, ...]
    dead_letters: int = 0
    replays: int = 0

    def on(self, day: date) -> DailyUsage | None:
        """The usage of ``day``, if any."""
        for usage in self.days:
            if usage.day == day:
                return usage
        return None


@dataclass
class _Meter:
    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    partner_calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    nanos: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    spans: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    interventions: int = 0

    def activity(self) -> Activity:
        return Activity(
            calls_by_step=dict(self.calls), calls_by_partner=dict(self.partner_calls),
            cpu_seconds_by_step={k: Decimal(v).scaleb(-9, context=MONEY_CONTEXT)
                                 for k, v in self.nanos.items()},
            invocations_by_step=dict(self.spans), interventions=self.interventions)


@dataclass
class _Day:
    started: int = 0
    successes: int = 0
    failures: int = 0
    all: _Meter = field(default_factory=_Meter)
    failed: _Meter = field(default_factory=_Meter)


def day_bounds(period: DateRange) -> tuple[int, int]:
    """``[first day 00:00 UTC, day after last 00:00 UTC)`` in ns since the epoch."""
    start = datetime(period.first.year, period.first.month, period.first.day, tzinfo=UTC)
    return to_ns(start), to_ns(start + timedelta(days=len(period)))


def flow_usage(wh: Warehouse, flows: Sequence[Flow], period: DateRange, *,
               failed: bool = True) -> dict[str, FlowUsage]:
    """The usage of every flow in ``flows`` over ``period`` (two queries for all of them).

    ``failed=False`` leaves the activity of failed runs empty (:attr:`DailyUsage.failed`: no
    cost of failure) and spares the items query matching every item against the failed runs,
    most of its time; run counts and interventions are unchanged.

    Raises :class:`~warehouse.errors.WarehouseError` when the warehouse fails.
    """
    unique = list({f.name: f for f in flows}.values())
    if not unique:
        return {}
    rules = [FlowRules.of(f) for f in unique]
    runs = rules_sql(wh, rules, 1, extra=("DeadLetterAt",))
    params = rules_parameters(rules, 1)
    t0, t1 = day_bounds(period)
    params.update(t0=t0, t1=t1)
    days: dict[str, dict[int, _Day]] = {f.name: defaultdict(_Day) for f in unique}
    totals: dict[str, list[int]] = {f.name: [0, 0] for f in unique}
    run_sql = _RUNS.format(day_ns=DAY_NS, never=NEVER_NS, runs=runs)
    for flow, kind, day, failed_run, n in wh.query(run_sql, params):
        _count_run(days[str(flow)][int(day)], str(kind), failed and bool(failed_run), int(n),
                   totals[str(flow)])
    probe = _FAILED.format(runs=rules_sql(wh, rules, 1, extra=("CorrelationId",)),
                           in_="GLOBAL IN" if wh.cluster else "IN")
    item_sql = _ITEMS.format(day_ns=DAY_NS, table=f"{wh.database}.correlation_items",
                             failed=probe if failed else "false")
    by_name = {f.name: f for f in unique}
    for flow, day, service, name, kind, items, ns, failed_items, failed_ns in wh.query(
            item_sql, params):
        key = operation_key(str(service), str(name), "span" if kind == "span" else "event")
        cell = days[str(flow)][int(day)]
        _meter(by_name[str(flow)], key, kind == "span", cell.all, int(items), int(ns))
        _meter(by_name[str(flow)], key, kind == "span", cell.failed, int(failed_items),
               int(failed_ns))
    return {
        name: FlowUsage(flow=name, period=period, days=tuple(
            _daily(number, cell) for number, cell in sorted(cells.items())),
            dead_letters=totals[name][0], replays=totals[name][1])
        for name, cells in days.items()}


def _count_run(cell: _Day, kind: str, failed_run: bool, n: int, totals: list[int]) -> None:
    if kind == "start":
        cell.started += n
    elif kind == "success":
        cell.successes += n
    elif kind == "failure":
        cell.failures += n
    elif kind in ("dead_letter", "replay"):
        cell.all.interventions += n
        if failed_run:
            cell.failed.interventions += n
        totals[0 if kind == "dead_letter" else 1] += n


def _meter(flow: Flow, key: str, span: bool, meter: _Meter, items: int, nanos: int) -> None:
    if items == 0:
        return
    partners: set[str] = set()
    for step in flow.steps:
        if not step_match(step).matches(key):
            continue
        meter.calls[step.name] += items
        if span:
            meter.spans[step.name] += items
            meter.nanos[step.name] += nanos
        if step.partner:
            partners.add(step.partner)
    for partner in partners:
        meter.partner_calls[partner] += items


def _daily(number: int, cell: _Day) -> DailyUsage:
    return DailyUsage(day=date.fromordinal(_EPOCH_DAY + number), runs_started=cell.started,
                      successes=cell.successes, failures=cell.failures,
                      activity=cell.all.activity(), failed=cell.failed.activity())
