"""Multi-window, multi-burn-rate alerting (Google SRE workbook, "Alerting on SLOs").

A :class:`WindowTier` says: *alert with* ``severity`` *when* ``budget_share`` *of the period's
error budget is being spent within* ``long_window``. Its burn-rate **factor** is

    factor = budget_share * period / long_window

(for a 30-day period: 2 % over 1 h → 14.4, 5 % over 6 h → 6, 10 % over 1 d → 3, 10 % over 3 d →
1), and its error-ratio **threshold** is ``factor * (1 - objective)``.

A tier **fires** when the error ratio over its long window **and** the error ratio over its short
window are both **strictly greater** than the threshold, as the workbook's and sloth's rules
write it (``ratio_rate1h > (14.4 * 0.001) and ratio_rate5m > (14.4 * 0.001)``). An error ratio
exactly equal to the threshold does not fire. A window without valid events has no error ratio
and never fires. The comparison is exact: error ratios come from integer counts and the
threshold from the decimal objective and share, so boundary cases do not depend on float
rounding.

Because an error ratio is at most 1, a tier whose threshold is 1 or more can never fire; that
happens when ``factor ≥ 1 / (1 - objective)`` (e.g. 14.4 for an objective of 93.06 % or
lower) and is reported as a warning, as data, by :func:`evaluate_tiers` and
:func:`tier_warnings`.

This module returns abstract values; rendering rules for Prometheus or evaluating them on a
schedule belongs to ``alerts/``. Window catalogs are data files read by
:mod:`slo.window_loader`. Pure: standard library only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from catalog.durations import format_duration
from slo.errors import PeriodError
from slo.objective import exact_error_budget
from slo.sli import Counts

Severity = Literal["page", "ticket"]
SEVERITIES: tuple[Severity, ...] = ("page", "ticket")
_MICROSECOND = timedelta(microseconds=1)


def _micros(value: timedelta) -> int:
    return value // _MICROSECOND


def _show(value: timedelta) -> str:
    try:
        return format_duration(value)
    except ValueError:
        return str(value)


@dataclass(frozen=True)
class WindowTier:
    """One alerting tier: spend ``budget_share`` of the period's budget within ``long_window``.

    ``budget_share`` is a fraction in (0, 1] (``Decimal("0.02")`` is 2 %); ``short_window`` must
    be shorter than ``long_window``, both positive. Raises :class:`ValueError` otherwise (the
    window file loader reports the same mistakes with file positions before constructing one).
    """

    severity: Severity
    long_window: timedelta
    short_window: timedelta
    budget_share: Decimal

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be page or ticket, got {self.severity!r}")
        if self.short_window <= timedelta(0) or self.long_window <= timedelta(0):
            raise ValueError("windows must be positive")
        if self.short_window >= self.long_window:
            raise ValueError(f"the short window {_show(self.short_window)} must be shorter than "
                             f"the long window {_show(self.long_window)}")
        if not 0 < self.budget_share <= 1:
            raise ValueError(f"budget_share must be a fraction in (0, 1], "
                             f"got {self.budget_share}")

    @property
    def key(self) -> str:
        """A stable name for the tier, e.g. ``page-1h-5m`` (severity, long and short window)."""
        return f"{self.severity}-{_show(self.long_window)}-{_show(self.short_window)}"

    def exact_factor(self, period: timedelta) -> Fraction:
        """``budget_share * period / long_window``, exactly."""
        if period <= timedelta(0):
            raise PeriodError(f"a period must be positive, got {period}")
        return Fraction(self.budget_share) * Fraction(_micros(period), _micros(self.long_window))

    def factor(self, period: timedelta) -> float:
        """The burn-rate factor of this tier for an SLO ``period`` (14.4 for 2 % of 30 d in 1 h)."""
        return float(self.exact_factor(period))

    def exact_threshold(self, period: timedelta, objective: float) -> Fraction:
        """``factor * (1 - objective)``, exactly: the error ratio both windows must exceed."""
        return self.exact_factor(period) * exact_error_budget(objective)

    def threshold(self, period: timedelta, objective: float) -> float:
        """The error-ratio threshold ``factor * (1 - objective)`` (0.0144 for 14.4 at 99.9 %)."""
        return float(self.exact_threshold(period, objective))


@dataclass(frozen=True)
class WindowCatalog:
    """A named set of tiers designed for one SLO ``period`` (``google-30d``: 30 days).

    ``source`` says where it was loaded from (a file path), ``""`` when built in code.
    """

    name: str
    period: timedelta
    tiers: tuple[WindowTier, ...]
    description: str = ""
    source: str = ""

    def windows(self) -> tuple[timedelta, ...]:
        """Every distinct long and short window, shortest first: what the SLI query must
        count for :func:`evaluate_tiers`."""
        found = {t.long_window for t in self.tiers} | {t.short_window for t in self.tiers}
        return tuple(sorted(found))


@dataclass(frozen=True)
class TierResult:
    """How one tier evaluated.

    ``factor`` and ``threshold`` as in the module docstring; ``*_error_ratio`` the error ratio
    over each window (``None``: no valid events, or no counts given); ``*_burn_rate`` the same
    divided by ``1 - objective``; ``firing`` true when both error ratios are strictly above the
    threshold; ``can_fire`` false when the threshold is 1 or more.
    """

    tier: WindowTier
    factor: float
    threshold: float
    long_error_ratio: float | None
    short_error_ratio: float | None
    long_burn_rate: float | None
    short_burn_rate: float | None
    firing: bool
    can_fire: bool


@dataclass(frozen=True)
class TierEvaluation:
    """Every tier of a window catalog evaluated against one SLO, with warnings as data."""

    objective: float
    period: timedelta
    results: tuple[TierResult, ...]
    warnings: tuple[str, ...] = ()

    @property
    def firing(self) -> tuple[TierResult, ...]:
        """The tiers that fire, in catalog order."""
        return tuple(r for r in self.results if r.firing)

    @property
    def severity(self) -> Severity | None:
        """``page`` if a page tier fires, else ``ticket`` if a ticket tier fires, else ``None``."""
        firing = {r.tier.severity for r in self.firing}
        return next((s for s in SEVERITIES if s in firing), None)


def _percent(objective: float) -> str:
    return f"{float((1 - exact_error_budget(objective)) * 100):.10g} %"


def tier_warnings(catalog: WindowCatalog, objective: float,
                  period: timedelta | None = None) -> tuple[str, ...]:
    """A warning for each tier that can never fire for ``objective`` over ``period`` (default:
    the catalog's period): its factor is at least ``1 / (1 - objective)``, so its threshold is at
    least 1 and no error ratio can be strictly above it."""
    period = catalog.period if period is None else period
    budget = exact_error_budget(objective)
    warnings: list[str] = []
    for tier in catalog.tiers:
        factor = tier.exact_factor(period)
        if factor * budget >= 1:
            warnings.append(
                f"tier {tier.key} of window catalog {catalog.name!r} can never fire for "
                f"objective {_percent(objective)}: its factor {float(factor):.6g} is not below "
                f"1 / (1 - objective) = {float(1 / budget):.6g}, so its threshold "
                f"{float(factor * budget):.6g} is at least 1 and no error ratio can exceed it")
    return tuple(warnings)


def evaluate_tiers(catalog: WindowCatalog, *, objective: float,
                   window_counts: Mapping[timedelta, Counts],
                   period: timedelta | None = None) -> TierEvaluation:
    """Evaluate every tier of ``catalog`` for one SLO.

    ``window_counts`` maps each window length (see :meth:`WindowCatalog.windows`) to the good
    and valid events over ``[now - window, now)``. ``period`` is the SLO period the factors are
    computed for (default: the catalog's period; pass the SLO's own, e.g. a calendar month's
    length, to scale the factors to it). A window missing from ``window_counts`` counts as no
    data (it does not fire) and adds a warning.
    """
    period = catalog.period if period is None else period
    budget = exact_error_budget(objective)
    warnings = list(tier_warnings(catalog, objective, period))
    missing = [w for w in catalog.windows() if w not in window_counts]
    if missing:
        warnings.append("no counts for window(s) " + ", ".join(_show(w) for w in missing)
                        + "; tiers using them cannot fire")
    results = []
    for tier in catalog.tiers:
        factor = tier.exact_factor(period)
        threshold = factor * budget
        long_ratio = _ratio(window_counts, tier.long_window)
        short_ratio = _ratio(window_counts, tier.short_window)
        firing = (long_ratio is not None and long_ratio > threshold
                  and short_ratio is not None and short_ratio > threshold)
        results.append(TierResult(
            tier=tier,
            factor=float(factor),
            threshold=float(threshold),
            long_error_ratio=_float(long_ratio),
            short_error_ratio=_float(short_ratio),
            long_burn_rate=_float(None if long_ratio is None else long_ratio / budget),
            short_burn_rate=_float(None if short_ratio is None else short_ratio / budget),
            firing=firing,
            can_fire=threshold < 1,
        ))
    return TierEvaluation(objective=objective, period=period, results=tuple(results),
                          warnings=tuple(warnings))


def _ratio(window_counts: Mapping[timedelta, Counts], window: timedelta) -> Fraction | None:
    counts = window_counts.get(window)
    return None if counts is None else counts.exact_error_ratio


def _float(value: Fraction | None) -> float | None:
    return None if value is None else float(value)
