"""Usage of flows per day, read from the flow rollups: the :class:`~cost.usage.DailyUsage` that
:func:`cost.allocation.allocate` prices. Thin adapter over two reads.

For each flow and UTC day of a :class:`~cost.usage.DateRange`:

- **runs started / successes / failures** — exactly the SLO engine's run semantics
  (:mod:`slo.runs`, kept per run in the run ledger): a run *starts* at its first start event
  or matching start span; its **first terminal item** decides its outcome (a success strictly
  before any failure event, or dead letter when the flow says ``failure.dead_letter: true``);
  it counts as a success or a failure on the day of that item.
- **calls** — every span and every event of a step's operations (:func:`slo.runs.step_match`:
  the step's service, and span name when given) is one call of that step, and one call of the
  step's partner (once, when several steps of one partner match it); a span or event matching
  no step is not a call of any step. Calls count on the day of the item, whether its run
  succeeded or not; a span or event stored twice counts once.
- **CPU-seconds** per step — the sum of the step's span durations (``Duration`` ns / 1e9,
  exact); **invocations** per step — its spans.
- **interventions** — manual work the data shows: each **dead-lettered run** (on the day of
  its first dead-lettered item: a span name or event type matching
  :data:`slo.runs.DEAD_LETTER_PATTERN`) and each **manual replay**, a dead-lettered run that
  later succeeded (on the day of that success). The catalog has no way to mark a human
  approval step, so approvals are not counted.
- **failed** (the cost of failure) — the calls, CPU time and interventions above that belong
  to runs whose first terminal item is a failure lying before the end of the range.

Days are whole hours of the rollups (:mod:`slo.rollup_read`): the cost is the range's hours,
never the history before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from catalog.model import Flow
from cost.money import MONEY_CONTEXT
from cost.usage import NO_ACTIVITY, Activity, DailyUsage, DateRange
from slo.ledger import ensure_current
from slo.ledger_rules import LedgerRules
from slo.rings import to_ns
from slo.rollup import Rollup
from slo.rollup_read import read_failed, read_rollups
from slo.segments import Segment
from warehouse.port import Warehouse

DAY_NS = 86_400 * 10**9
"""Nanoseconds in a UTC day."""
_EPOCH_DAY = date(1970, 1, 1).toordinal()

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


def day_bounds(period: DateRange) -> tuple[int, int]:
    """``[first day 00:00 UTC, day after last 00:00 UTC)`` in ns since the epoch."""
    start = datetime(period.first.year, period.first.month, period.first.day, tzinfo=UTC)
    return to_ns(start), to_ns(start + timedelta(days=len(period)))


_COLUMNS = ("Started", "Valid", "GoodRuns", "DeadLetters", "Replays", "Calls", "Spans",
            "CpuNs", "PartnerCalls")


def _activity(flow: Flow, rules: LedgerRules, calls: Sequence[int], spans: Sequence[int],
              cpu_ns: Sequence[int], partner_calls: Sequence[int],
              interventions: int) -> Activity:
    steps = flow.steps[:rules.step_count]

    def by_step(values: Sequence[int]) -> dict[str, int]:
        return {s.name: int(values[i]) for i, s in enumerate(steps)
                if i < len(values) and values[i]}

    return Activity(
        calls_by_step=by_step(calls),
        calls_by_partner={p: int(partner_calls[q]) for q, p in enumerate(rules.partners)
                          if q < len(partner_calls) and partner_calls[q]},
        cpu_seconds_by_step={name: Decimal(ns).scaleb(-9, context=MONEY_CONTEXT)
                             for name, ns in by_step(cpu_ns).items()},
        invocations_by_step={name: n for name, n in by_step(spans).items()},
        interventions=interventions)


def flow_usage(wh: Warehouse, flows: Sequence[Flow], period: DateRange, *,
               failed: bool = True) -> dict[str, FlowUsage]:
    """The usage of every flow in ``flows`` over ``period`` (two reads for all of them).

    ``failed=False`` leaves the activity of failed runs empty (:attr:`DailyUsage.failed`: no
    cost of failure) and spares its read; run counts and interventions are unchanged.

    Raises :class:`~warehouse.errors.WarehouseError` when the warehouse fails.
    """
    unique = list({f.name: f for f in flows}.values())
    if not unique:
        return {}
    ensure_current(wh, unique)
    t0, _ = day_bounds(period)
    days = list(period)
    segments = [Segment(i + 1, t0 + i * DAY_NS, t0 + (i + 1) * DAY_NS) for i in range(len(days))]
    found = read_rollups(wh, {f.name: segments for f in unique}, _COLUMNS)
    failures = (read_failed(wh, [f.name for f in unique], period.first, period.last)
                if failed else {})
    result: dict[str, FlowUsage] = {}
    for flow in unique:
        rules = LedgerRules.of(flow)
        failed_days = {d.day: d for d in failures.get(flow.name, ())}
        usages = []
        dead = replays = 0
        for i, day in enumerate(days):
            r = found.get((flow.name, i + 1))
            lost = failed_days.get(day)
            if r is None and lost is None:
                continue
            r = r or Rollup()
            dead += r.dead_letters
            replays += r.replays
            good = r.good_in(0)
            usages.append(DailyUsage(
                day=day, runs_started=r.started, successes=good, failures=r.valid_in(0) - good,
                activity=_activity(flow, rules, r.calls, r.spans, r.cpu_ns, r.partner_calls,
                                   r.dead_letters + r.replays),
                failed=NO_ACTIVITY if lost is None else _activity(
                    flow, rules, lost.calls, lost.spans, lost.cpu_ns, lost.partner_calls,
                    lost.dead_letters + lost.replays)))
        result[flow.name] = FlowUsage(flow=flow.name, period=period, days=tuple(usages),
                                      dead_letters=dead, replays=replays)
    return result
