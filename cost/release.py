"""Before and after a release: did cost per success and success volume change?

:func:`compare_release` splits a daily series at ``release``: days strictly before it are
*before*, the release day and later are *after*. With ``span_days`` only the ``span_days``
calendar days on each side count (``release - span_days`` up to the day before, and
``release`` up to ``release + span_days - 1``), so the two sides cover equally long
stretches of calendar.

Each side reports its cost, successes and failures, cost per success (``cost / successes``,
``None`` with no success), success rate (``successes / (successes + failures)``: the runs
that ended, by outcome; ``None`` when none ended) and successes per day of data (``None``
without data). The comparison reports
``after - before`` and ``after / before`` of the cost per success, each ``None`` when a side
has none (or the ratio's before is zero). Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from cost.breakdown import cost_per_success
from cost.errors import SeriesError
from cost.money import divide, exact
from cost.roi import DailyResult, check_daily_series


@dataclass(frozen=True)
class SideSummary:
    """One side of a release: ``days`` of data from ``first`` to ``last`` (``None`` when it
    has none), their total ``cost``, ``successes`` and ``failures``."""

    first: date | None
    last: date | None
    days: int
    cost: Decimal
    successes: int
    failures: int = 0

    @property
    def success_rate(self) -> Decimal | None:
        """``successes / (successes + failures)``; ``None`` when no run ended."""
        ended = self.successes + self.failures
        return None if ended == 0 else divide(self.successes, ended)

    @property
    def cost_per_success(self) -> Decimal | None:
        """``cost / successes``; ``None`` with no success."""
        return cost_per_success(self.cost, self.successes)

    @property
    def successes_per_day(self) -> Decimal | None:
        """``successes / days`` of data; ``None`` without data."""
        return None if self.days == 0 else divide(self.successes, self.days)


@dataclass(frozen=True)
class ReleaseComparison:
    """Cost per success and successes before vs after ``release``."""

    release: date
    before: SideSummary
    after: SideSummary

    @property
    def cost_per_success_change(self) -> Decimal | None:
        """``after - before`` cost per success (negative is cheaper); ``None`` if a side has
        no cost per success."""
        before, after = self.before.cost_per_success, self.after.cost_per_success
        if before is None or after is None:
            return None
        with exact():
            return after - before

    @property
    def cost_per_success_ratio(self) -> Decimal | None:
        """``after / before`` cost per success (0.8 is 20 % cheaper); ``None`` if a side has no
        cost per success or before is zero. Compares the exact ratio of the two sides,
        ``(C_after * S_before) / (C_before * S_after)``, so it is rounded once."""
        b, a = self.before, self.after
        if b.successes == 0 or a.successes == 0 or b.cost == 0:
            return None
        with exact():
            return divide(a.cost * b.successes, b.cost * a.successes)

    @property
    def success_change(self) -> int:
        """``after - before`` successes (mind unequal sides without ``span_days``)."""
        return self.after.successes - self.before.successes


def compare_release(days: Sequence[DailyResult], release: date, *,
                    span_days: int | None = None) -> ReleaseComparison:
    """Summaries of ``days`` before and after ``release`` (see the module docstring).

    ``days`` must strictly increase; ``span_days`` must be positive. Raises
    :class:`~cost.errors.SeriesError` otherwise.
    """
    check_daily_series(days)
    if span_days is not None and span_days <= 0:
        raise SeriesError(f"span_days must be positive, got {span_days}")
    start = None if span_days is None else release - timedelta(days=span_days)
    end = None if span_days is None else release + timedelta(days=span_days)
    before = [d for d in days if d.day < release and (start is None or d.day >= start)]
    after = [d for d in days if d.day >= release and (end is None or d.day < end)]
    return ReleaseComparison(release=release, before=_summary(before), after=_summary(after))


def _summary(days: Sequence[DailyResult]) -> SideSummary:
    with exact():
        cost = sum((d.cost for d in days), Decimal(0))
    return SideSummary(first=days[0].day if days else None, last=days[-1].day if days else None,
                       days=len(days), cost=cost, successes=sum(d.successes for d in days),
                       failures=sum(d.failures for d in days))
