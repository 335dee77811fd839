"""The cost of a flow over some days, line by line, and the figures derived from it.

**Categories** (:data:`CATEGORIES`): ``per_call`` (vendor prices per call), ``compute``
(CPU-seconds and invocations), ``fixed`` (amortised monthly fees), ``people`` (manual
interventions at an hourly rate), ``imported`` (spend lines from outside).

**Derived figures** of a :class:`CostBreakdown`:

- ``total`` — every line added, exactly.
- ``cost_per_success`` — ``total / successes`` (:func:`cost_per_success`): **all** cost
  attributed to the flow in the window, fixed fees and failed runs included, over the runs that
  succeeded in it. ``None`` when nothing succeeded: there is no cost per success, and returning
  ``0`` or the total would be a lie; callers show "no successes".
- ``variable_cost`` — ``per_call`` + ``compute`` + ``people``: what grows with every run.
  Fixed fees are excluded (they are paid whatever the volume) and so is imported spend (it is
  not known to scale with runs).
- ``marginal_cost_per_run`` — ``variable_cost / runs_started`` (:func:`marginal_cost_per_run`):
  what one more run is expected to cost, successful or not; ``None`` when no run started.
- ``failure_cost`` — the variable cost of runs that failed (their calls, compute and
  interventions, priced like any other); fixed and imported spend is not charged to failures.
- ``failure_cost_per_run`` — ``failure_cost / failures``: what one failed run cost;
  ``None`` when no run failed.
- ``by_step`` / ``by_partner`` — lines that name a step / a partner (see
  :mod:`cost.allocation` for which do); the rest (fixed fees, people, flow-wide imported spend)
  is shared and appears only in the total and ``by_category``.

Amounts are exact Decimals (:mod:`cost.money`); round only for display
(:func:`display_amounts`). Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise
from typing import Literal, TypeVar

from cost.currency import minor_unit
from cost.errors import CurrencyMismatchError, UsageError
from cost.money import divide, exact, round_parts
from cost.usage import DateRange

Category = Literal["per_call", "compute", "fixed", "people", "imported"]
CATEGORIES: tuple[Category, ...] = ("per_call", "compute", "fixed", "people", "imported")
"""Every category, in display order."""
VARIABLE_CATEGORIES: tuple[Category, ...] = ("per_call", "compute", "people")
"""Categories that grow with the number of runs."""

Unit = Literal["call", "cpu-second", "invocation", "intervention", "day", "line"]

K = TypeVar("K")


@dataclass(frozen=True)
class CostLine:
    """``quantity`` of ``unit`` priced at ``unit_price``, costing ``amount``.

    ``label`` says what was priced (``step:erp-sync``, ``partner:stripe``, a fee name, an
    imported category). ``unit_price`` is ``None`` when it varies (fixed fees across months,
    imported lines). ``step`` / ``partner`` attribute the line when known.
    """

    category: Category
    label: str
    amount: Decimal
    quantity: Decimal
    unit: Unit
    unit_price: Decimal | None = None
    step: str | None = None
    partner: str | None = None

    @property
    def key(self) -> tuple[object, ...]:
        """Lines with equal keys are the same item and add up when days are combined."""
        return (self.category, self.label, self.unit, self.unit_price, self.step, self.partner)


@dataclass(frozen=True)
class CostBreakdown:
    """What ``flow`` cost in ``currency`` over ``period``.

    ``lines`` are all cost; ``failure_lines`` the variable cost of runs that failed (a subset of
    the spend in ``lines``, not an addition to it). Run counts are those of the period.
    """

    flow: str
    currency: str
    period: DateRange
    runs_started: int
    successes: int
    failures: int
    lines: tuple[CostLine, ...] = ()
    failure_lines: tuple[CostLine, ...] = ()

    @property
    def total(self) -> Decimal:
        """All cost of the period, exact."""
        return _sum(line.amount for line in self.lines)

    @property
    def by_category(self) -> dict[Category, Decimal]:
        """Total per category, every category present (zero when unused), in display order."""
        return _by_category(self.lines)

    @property
    def by_step(self) -> dict[str, Decimal]:
        """Total of the lines attributed to each step, in first-seen order."""
        return _group(self.lines, lambda line: line.step)

    @property
    def by_partner(self) -> dict[str, Decimal]:
        """Total of the lines attributed to each partner, in first-seen order."""
        return _group(self.lines, lambda line: line.partner)

    @property
    def variable_cost(self) -> Decimal:
        """``per_call + compute + people``."""
        return _sum(line.amount for line in self.lines if line.category in VARIABLE_CATEGORIES)

    @property
    def failure_cost(self) -> Decimal:
        """Variable cost of runs that failed."""
        return _sum(line.amount for line in self.failure_lines)

    @property
    def failure_by_category(self) -> dict[Category, Decimal]:
        """:attr:`failure_cost` per category (``fixed`` and ``imported`` are always zero)."""
        return _by_category(self.failure_lines)

    @property
    def cost_per_success(self) -> Decimal | None:
        """``total / successes``; ``None`` when nothing succeeded."""
        return cost_per_success(self.total, self.successes)

    @property
    def marginal_cost_per_run(self) -> Decimal | None:
        """``variable_cost / runs_started``; ``None`` when no run started."""
        return marginal_cost_per_run(self.variable_cost, self.runs_started)

    @property
    def failure_cost_per_run(self) -> Decimal | None:
        """``failure_cost / failures`` rounded to 18 places; ``None`` when no run failed."""
        return None if self.failures == 0 else divide(self.failure_cost, self.failures)


def cost_per_success(cost: Decimal, successes: int) -> Decimal | None:
    """``cost / successes`` rounded to 18 places (:func:`cost.money.divide`); ``None`` when
    ``successes`` is 0 (no cost per success exists)."""
    return None if successes == 0 else divide(cost, successes)


def marginal_cost_per_run(variable_cost: Decimal, runs: int) -> Decimal | None:
    """``variable_cost / runs`` rounded to 18 places; ``None`` when ``runs`` is 0."""
    return None if runs == 0 else divide(variable_cost, runs)


def combine(breakdowns: Sequence[CostBreakdown]) -> CostBreakdown:
    """One breakdown of the same flow and currency over days that do not overlap: run counts
    add, lines with the same :attr:`CostLine.key` add (amounts and quantities, exactly), in
    first-seen order; the period runs from the earliest first day to the latest last day.

    Raises :class:`~cost.errors.UsageError` for no breakdowns, other flows or overlapping days,
    :class:`~cost.errors.CurrencyMismatchError` for other currencies.
    """
    if not breakdowns:
        raise UsageError("nothing to combine")
    head = breakdowns[0]
    for other in breakdowns[1:]:
        if other.flow != head.flow:
            raise UsageError(f"cannot combine the costs of flows {head.flow!r} and "
                             f"{other.flow!r}")
        if other.currency != head.currency:
            raise CurrencyMismatchError(f"cannot combine costs in {head.currency} and "
                                        f"{other.currency} (flow {head.flow!r})")
    ordered = sorted(breakdowns, key=lambda b: b.period.first)
    for before, after in pairwise(ordered):
        if after.period.first <= before.period.last:
            raise UsageError(f"cannot combine overlapping periods {before.period.first}.."
                             f"{before.period.last} and {after.period.first}.."
                             f"{after.period.last} of flow {head.flow!r}")
    return CostBreakdown(
        flow=head.flow,
        currency=head.currency,
        period=DateRange(ordered[0].period.first, max(b.period.last for b in breakdowns)),
        runs_started=sum(b.runs_started for b in breakdowns),
        successes=sum(b.successes for b in breakdowns),
        failures=sum(b.failures for b in breakdowns),
        lines=merge_lines(line for b in breakdowns for line in b.lines),
        failure_lines=merge_lines(line for b in breakdowns for line in b.failure_lines),
    )


def merge_lines(lines: Iterable[CostLine]) -> tuple[CostLine, ...]:
    """Lines with equal keys added up (amount and quantity), in first-seen order."""
    merged: dict[tuple[object, ...], CostLine] = {}
    with exact():
        for line in lines:
            seen = merged.get(line.key)
            merged[line.key] = line if seen is None else CostLine(
                category=line.category, label=line.label, amount=seen.amount + line.amount,
                quantity=seen.quantity + line.quantity, unit=line.unit,
                unit_price=line.unit_price, step=line.step, partner=line.partner)
    return tuple(merged.values())


def display_amounts(amounts: Mapping[K, Decimal], currency: str) -> dict[K, Decimal]:
    """``amounts`` rounded for display to ``currency``'s minor unit so that they add up
    exactly to their rounded total (largest remainder, :func:`cost.money.round_parts`); each
    is within one minor unit of its exact value."""
    keys = list(amounts)
    rounded = round_parts([amounts[k] for k in keys], places=minor_unit(currency))
    return dict(zip(keys, rounded, strict=True))


def _sum(amounts: Iterable[Decimal]) -> Decimal:
    with exact():
        return sum(amounts, Decimal(0))


def _by_category(lines: Sequence[CostLine]) -> dict[Category, Decimal]:
    totals = {category: Decimal(0) for category in CATEGORIES}
    with exact():
        for line in lines:
            totals[line.category] += line.amount
    return totals


def _group(lines: Sequence[CostLine], key: Callable[[CostLine], str | None]
           ) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    with exact():
        for line in lines:
            name = key(line)
            if name is not None:
                totals[name] = totals.get(name, Decimal(0)) + line.amount
    return totals
