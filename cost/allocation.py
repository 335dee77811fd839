"""Allocating cost to a flow from its cost model, its usage and imported spend.

For each day of the period, in the flow's ``cost.currency``:

- **per_call** — one line per declared price: a ``step`` price times that step's calls, a
  ``partner`` price times that partner's calls. Every call costs, whether its run succeeded or
  not. Each price applies on its own: a step price and a price on that step's partner both
  charge. A step line is also attributed to the step's partner; a partner line to the step
  that names the partner when exactly one step does.
- **compute** — ``per_cpu_second`` times each step's CPU-seconds, and ``per_invocation``
  times each step's invocations (one line per step that has any, in the flow's step order,
  then other names alphabetically).
- **fixed** — each monthly fee amortised to the day (:func:`cost.amortisation.amortise_fixed`);
  charged every day of the period, with or without usage.
- **people** — ``interventions * minutes_per_intervention * hourly_rate / 60`` (one division,
  :func:`cost.money.divide`), when both people fields are declared.
- **imported** — spend lines booked on that day that belong to the flow (``line.flow`` is the
  flow, or ``line.flow`` is empty and ``line.partner`` is one of the flow's partners),
  converted into the flow's currency; other lines are left out, so a whole import can be
  passed. The same ``(source, line_id)`` twice is refused.

Failure lines price the day's failed-run activity the same way (per_call, compute, people only).
A period's breakdown is the exact sum of its days (:func:`cost.breakdown.combine`).

Pure: standard library, :mod:`catalog.model` and the cost modules only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import TypeVar

from catalog.model import CostModel, Flow
from cost.amortisation import amortise_fixed
from cost.breakdown import CostBreakdown, CostLine, combine
from cost.currency import ExchangeRates, check_currency, convert
from cost.errors import CostModelError, NoCostModelError, SpendLineError, UsageError
from cost.money import check_amount, divide, exact
from cost.usage import Activity, DailyUsage, DateRange, SpendLine

MINUTES_PER_HOUR = 60

V = TypeVar("V", int, Decimal)


def allocate(flow: Flow, period: DateRange, usage: Iterable[DailyUsage],
             imported: Iterable[SpendLine] = (), *, rates: ExchangeRates | None = None
             ) -> CostBreakdown:
    """The cost of ``flow`` over ``period``: the exact sum of :func:`allocate_daily`."""
    return combine(allocate_daily(flow, period, usage, imported, rates=rates))


def allocate_daily(flow: Flow, period: DateRange, usage: Iterable[DailyUsage],
                   imported: Iterable[SpendLine] = (), *, rates: ExchangeRates | None = None
                   ) -> tuple[CostBreakdown, ...]:
    """One breakdown per day of ``period``, in order; a day without usage has no activity
    (fixed fees still accrue).

    Raises :class:`~cost.errors.NoCostModelError` when the flow has no cost model,
    :class:`~cost.errors.UsageError` for usage outside ``period`` or a day given twice,
    :class:`~cost.errors.SpendLineError` for a spend line given twice, and
    :class:`~cost.errors.CurrencyMismatchError` for spend in another currency without a rate.
    """
    model = _model(flow)
    by_day: dict[date, DailyUsage] = {}
    for day_usage in usage:
        if day_usage.day not in period:
            raise UsageError(f"usage of {day_usage.day} lies outside {period.first}.."
                             f"{period.last} (flow {flow.name!r})")
        if day_usage.day in by_day:
            raise UsageError(f"usage of {day_usage.day} given twice (flow {flow.name!r})")
        by_day[day_usage.day] = day_usage
    spend: dict[date, list[SpendLine]] = {}
    for line in spend_of(flow, imported):
        if line.day in period:
            spend.setdefault(line.day, []).append(line)
    return tuple(
        _allocate_day(flow, model, by_day.get(day) or DailyUsage(day), spend.get(day, ()), rates)
        for day in period)


def allocate_day(flow: Flow, usage: DailyUsage, imported: Iterable[SpendLine] = (), *,
                 rates: ExchangeRates | None = None) -> CostBreakdown:
    """The cost of ``flow`` on ``usage.day`` (imported lines of other days are left out)."""
    return allocate_daily(flow, DateRange.single(usage.day), [usage], imported, rates=rates)[0]


def spend_of(flow: Flow, lines: Iterable[SpendLine]) -> tuple[SpendLine, ...]:
    """The spend lines that belong to ``flow``, in order; raises
    :class:`~cost.errors.SpendLineError` when one of them repeats a ``(source, line_id)``."""
    partners = flow.partners()
    kept: list[SpendLine] = []
    seen: set[tuple[str, str]] = set()
    for line in lines:
        if line.flow == flow.name or (not line.flow and line.partner in partners):
            if line.key in seen:
                raise SpendLineError(f"spend line {line.key_text} given twice "
                                     f"(flow {flow.name!r})")
            seen.add(line.key)
            kept.append(line)
    return tuple(kept)


def price_activity(flow: Flow, activity: Activity) -> tuple[CostLine, ...]:
    """The per_call, compute and people lines of ``activity`` under the flow's cost model."""
    model = _model(flow)
    return _variable_lines(flow, model, activity)


def _model(flow: Flow) -> CostModel:
    model = flow.cost
    if model is None:
        raise NoCostModelError(f"flow {flow.name!r} declares no cost model (a cost section "
                               f"with a currency)")
    check_currency(model.currency)
    for price in model.per_call:
        if (price.step is None) == (price.partner is None):
            raise CostModelError(f"flow {flow.name!r}: a per-call price must name exactly one "
                                 f"of step or partner, got step={price.step!r} "
                                 f"partner={price.partner!r}")
        check_amount(price.price, f"per-call price of {price.step or price.partner}",
                     negative=False)
    for name, value in (("per_cpu_second", model.per_cpu_second),
                        ("per_invocation", model.per_invocation),
                        ("hourly_rate", model.hourly_rate),
                        ("minutes_per_intervention", model.minutes_per_intervention)):
        if value is not None:
            check_amount(value, f"{name} of flow {flow.name!r}", negative=False)
    for fee in model.fixed:
        check_amount(fee.per_month, f"fixed fee {fee.name!r}", negative=False)
    return model


def _allocate_day(flow: Flow, model: CostModel, usage: DailyUsage,
                  spend: Iterable[SpendLine], rates: ExchangeRates | None) -> CostBreakdown:
    lines = list(_variable_lines(flow, model, usage.activity))
    for fee in model.fixed:
        lines.append(CostLine(category="fixed", label=fee.name,
                              amount=amortise_fixed(fee, usage.day), quantity=Decimal(1),
                              unit="day"))
    for line in spend:
        amount = convert(line.amount, line.currency, model.currency, rates,
                         what=f"spend line {line.key_text}")
        lines.append(CostLine(category="imported", label=f"{line.category} ({line.source})",
                              amount=amount, quantity=Decimal(1), unit="line",
                              step=_sole_step(flow, line.partner), partner=line.partner))
    return CostBreakdown(
        flow=flow.name, currency=model.currency, period=DateRange.single(usage.day),
        runs_started=usage.runs_started, successes=usage.successes, failures=usage.failures,
        lines=tuple(lines), failure_lines=_variable_lines(flow, model, usage.failed))


def _variable_lines(flow: Flow, model: CostModel, activity: Activity) -> tuple[CostLine, ...]:
    lines: list[CostLine] = []
    partner_of = {step.name: step.partner for step in flow.steps}
    with exact():
        for price in model.per_call:
            step: str | None
            if price.step is not None:
                calls = activity.calls_by_step.get(price.step, 0)
                step, partner = price.step, partner_of.get(price.step)
                label = f"step:{price.step}"
            elif price.partner is not None:
                calls = activity.calls_by_partner.get(price.partner, 0)
                step, partner = _sole_step(flow, price.partner), price.partner
                label = f"partner:{price.partner}"
            else:  # pragma: no cover - refused by _model
                continue
            lines.append(CostLine(category="per_call", label=label, amount=price.price * calls,
                                  quantity=Decimal(calls), unit="call", unit_price=price.price,
                                  step=step, partner=partner))
        if model.per_cpu_second is not None:
            for name, seconds in _in_step_order(flow, activity.cpu_seconds_by_step):
                lines.append(CostLine(category="compute", label=f"cpu:{name}",
                                      amount=model.per_cpu_second * seconds, quantity=seconds,
                                      unit="cpu-second", unit_price=model.per_cpu_second,
                                      step=name))
        if model.per_invocation is not None:
            for name, count in _in_step_order(flow, activity.invocations_by_step):
                lines.append(CostLine(category="compute", label=f"invocations:{name}",
                                      amount=model.per_invocation * count,
                                      quantity=Decimal(count), unit="invocation",
                                      unit_price=model.per_invocation, step=name))
        if model.hourly_rate is not None and model.minutes_per_intervention is not None:
            per_hour = model.minutes_per_intervention * model.hourly_rate
            lines.append(CostLine(
                category="people", label="interventions",
                amount=divide(per_hour * activity.interventions, MINUTES_PER_HOUR),
                quantity=Decimal(activity.interventions), unit="intervention",
                unit_price=divide(per_hour, MINUTES_PER_HOUR)))
    return tuple(lines)


def _in_step_order(flow: Flow, values: Mapping[str, V]) -> list[tuple[str, V]]:
    order = {step.name: i for i, step in enumerate(flow.steps)}
    names = sorted(values, key=lambda name: (order.get(name, len(order)), name))
    return [(name, values[name]) for name in names]


def _sole_step(flow: Flow, partner: str | None) -> str | None:
    if partner is None:
        return None
    steps = [step.name for step in flow.steps if step.partner == partner]
    return steps[0] if len(steps) == 1 else None
