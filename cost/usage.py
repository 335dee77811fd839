"""What a flow did and what was spent on it: the inputs the cost queries fill.

- :class:`DateRange` — the days being costed, both ends included (UTC calendar days).
- :class:`Activity` — metered work: calls counted per step and per partner (every span or
  event of that step/partner is one call, whether its run succeeded or not), CPU-seconds and
  invocations per step (from span durations), and manual interventions (dead-lettered runs,
  manual replays, human approval steps).
- :class:`DailyUsage` — one day of one flow: runs started, succeeded and failed that day, all
  activity, and the part of that activity spent on runs that failed.
- :class:`SpendLine` — one imported spend line (an invoice row, a cloud bill line), for a flow
  or for a partner; :func:`apportion_spend` splits a partner's line over the flows that use it.

Every mapping is copied into a read-only view; counts are non-negative ints, quantities and
amounts are Decimals within :func:`cost.money.check_amount`'s contract. Pure.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from types import MappingProxyType

from cost.currency import check_currency, minor_unit
from cost.errors import AmountError, SpendLineError, UsageError
from cost.money import check_amount, check_count, split_exactly


@dataclass(frozen=True)
class DateRange:
    """Calendar days ``first`` to ``last``, both included."""

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise UsageError(f"a date range cannot end ({self.last}) before it starts "
                             f"({self.first})")

    def __len__(self) -> int:
        return (self.last - self.first).days + 1

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.first <= day <= self.last

    def __iter__(self) -> Iterator[date]:
        """Every day of the range, in order."""
        for offset in range(len(self)):
            yield self.first + timedelta(days=offset)

    @classmethod
    def single(cls, day: date) -> DateRange:
        """The range of one day."""
        return cls(day, day)


def _counts(values: Mapping[str, int], what: str) -> Mapping[str, int]:
    for key, value in values.items():
        if not isinstance(key, str) or not key:
            raise UsageError(f"{what} keys must be non-empty names, got {key!r}")
        try:
            check_count(value, f"{what}[{key!r}]")
        except AmountError as exc:
            raise UsageError(str(exc)) from exc
    return MappingProxyType(dict(values))


def _quantities(values: Mapping[str, Decimal], what: str) -> Mapping[str, Decimal]:
    for key, value in values.items():
        if not isinstance(key, str) or not key:
            raise UsageError(f"{what} keys must be non-empty names, got {key!r}")
        try:
            check_amount(value, f"{what}[{key!r}]", negative=False)
        except AmountError as exc:
            raise UsageError(str(exc)) from exc
    return MappingProxyType(dict(values))


def _count(value: int, what: str) -> int:
    try:
        return check_count(value, what)
    except AmountError as exc:
        raise UsageError(str(exc)) from exc


@dataclass(frozen=True)
class Activity:
    """Metered work of a flow.

    ``calls_by_step`` / ``calls_by_partner``: calls (spans or events) per step name / partner
    name. ``cpu_seconds_by_step``: CPU-seconds (span durations) per step, a Decimal.
    ``invocations_by_step``: invocations per step. ``interventions``: manual interventions
    (dead-lettered runs, manual replays, human approval steps). Missing keys count zero.
    """

    calls_by_step: Mapping[str, int] = field(default_factory=dict)
    calls_by_partner: Mapping[str, int] = field(default_factory=dict)
    cpu_seconds_by_step: Mapping[str, Decimal] = field(default_factory=dict)
    invocations_by_step: Mapping[str, int] = field(default_factory=dict)
    interventions: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "calls_by_step", _counts(self.calls_by_step, "calls_by_step"))
        object.__setattr__(self, "calls_by_partner",
                           _counts(self.calls_by_partner, "calls_by_partner"))
        object.__setattr__(self, "cpu_seconds_by_step",
                           _quantities(self.cpu_seconds_by_step, "cpu_seconds_by_step"))
        object.__setattr__(self, "invocations_by_step",
                           _counts(self.invocations_by_step, "invocations_by_step"))
        _count(self.interventions, "interventions")

    def within(self, other: Activity) -> bool:
        """True when every count and quantity of this activity is at most ``other``'s."""
        pairs: tuple[tuple[Mapping[str, int] | Mapping[str, Decimal],
                           Mapping[str, int] | Mapping[str, Decimal]], ...] = (
            (self.calls_by_step, other.calls_by_step),
            (self.calls_by_partner, other.calls_by_partner),
            (self.cpu_seconds_by_step, other.cpu_seconds_by_step),
            (self.invocations_by_step, other.invocations_by_step),
        )
        return self.interventions <= other.interventions and all(
            value <= bigger.get(key, 0) for mine, bigger in pairs for key, value in mine.items())


NO_ACTIVITY = Activity()
"""Nothing happened."""


@dataclass(frozen=True)
class DailyUsage:
    """One flow's runs and activity on one day.

    ``runs_started``, ``successes`` and ``failures`` count runs that started, succeeded and
    failed that day (a run may start one day and end another, so they need not add up).
    ``activity`` is everything metered that day; ``failed`` is the part of it that belongs to
    runs that failed (it must lie within ``activity``), used for the cost of failure.
    """

    day: date
    runs_started: int = 0
    successes: int = 0
    failures: int = 0
    activity: Activity = NO_ACTIVITY
    failed: Activity = NO_ACTIVITY

    def __post_init__(self) -> None:
        for name in ("runs_started", "successes", "failures"):
            _count(getattr(self, name), name)
        if not self.failed.within(self.activity):
            raise UsageError(f"usage of {self.day}: the activity of failed runs exceeds all "
                             f"activity of the day")


@dataclass(frozen=True)
class SpendLine:
    """One imported spend line.

    ``line_id`` is unique within its ``source`` (a file or system name). ``day`` is the day the
    spend is booked on; ``amount`` in ``currency`` (negative for a credit). ``category`` is the
    source's own label (``licence``, ``cloud``...). The line belongs to ``flow``, or, when
    ``flow`` is ``None``, to every flow whose steps name ``partner`` (split shared partner
    spend first with :func:`apportion_spend`). At least one of ``flow`` and ``partner``.
    """

    line_id: str
    day: date
    amount: Decimal
    currency: str
    category: str
    source: str
    flow: str | None = None
    partner: str | None = None

    def __post_init__(self) -> None:
        if not self.line_id or not self.source:
            raise SpendLineError(f"a spend line needs a line id and a source, got line id "
                                 f"{self.line_id!r} from source {self.source!r}")
        if not self.flow and not self.partner:
            raise SpendLineError(f"spend line {self.key_text}: give a flow or a partner")
        check_currency(self.currency)
        check_amount(self.amount, f"spend line {self.key_text} amount")

    @property
    def key(self) -> tuple[str, str]:
        """``(source, line_id)``: what makes a line unique."""
        return (self.source, self.line_id)

    @property
    def key_text(self) -> str:
        """``source#line_id``, for messages."""
        return f"{self.source}#{self.line_id}"


def apportion_spend(line: SpendLine, weights_by_flow: Mapping[str, int | Decimal]
                    ) -> tuple[SpendLine, ...]:
    """``line`` split over flows in proportion to ``weights_by_flow`` (for example each flow's
    calls to the line's partner): one line per flow with a non-zero share, in the mapping's
    order, each with ``flow`` set and the same id, source, day, currency and category.

    The amounts are whole minor units of the line's currency and add up to ``line.amount``
    exactly (largest remainder, :func:`cost.money.split_exactly`); ``line.amount`` must itself
    be whole minor units. Raises :class:`~cost.errors.AllocationError` otherwise, or when
    every weight is zero.
    """
    flows = list(weights_by_flow)
    parts = split_exactly(line.amount, [weights_by_flow[f] for f in flows],
                          places=minor_unit(line.currency))
    return tuple(replace(line, flow=f, amount=part)
                 for f, part in zip(flows, parts, strict=True) if weights_by_flow[f] != 0)
