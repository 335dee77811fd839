"""Service level indicators from event counts.

A **bucket** is the count of good and valid events over some stretch of time (a minute of an
aggregate table, a whole window). The SLI of a window is **Σgood / Σvalid** over its buckets:
counts are summed first, then divided once. Ratios are never averaged (the mean of per-bucket
ratios weighs a quiet minute like a busy one and is *not* the SLI).

**Empty windows.** A window with no valid events (``Σvalid = 0``) has no SLI and no error ratio:
both are ``None``, never ``0`` or ``1``. "No data" is not "all good" and not "all bad"; callers
decide (the alert tiers do not fire on it, the budget reports it as unknown).

Counts are non-negative integers and a bucket never has more good than valid events.
Pure: standard library only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from slo.errors import CountsError


@dataclass(frozen=True)
class Counts:
    """Good and valid events of one bucket or window (``0 <= good <= valid``).

    ``valid`` counts every event that is eligible for the SLI (for flows: determinate runs);
    ``good`` those that met the objective. ``bad = valid - good``.
    Raises :class:`~slo.errors.CountsError` for negative counts or ``good > valid``.
    """

    good: int
    valid: int

    def __post_init__(self) -> None:
        if self.good < 0 or self.valid < 0:
            raise CountsError(f"counts must not be negative, got good={self.good} "
                              f"valid={self.valid}")
        if self.good > self.valid:
            raise CountsError(f"good events cannot outnumber valid events, got good={self.good} "
                              f"valid={self.valid}")

    @property
    def bad(self) -> int:
        """Valid events that were not good."""
        return self.valid - self.good

    @property
    def empty(self) -> bool:
        """True when there are no valid events (the SLI is then unknown)."""
        return self.valid == 0

    @property
    def sli(self) -> float | None:
        """``good / valid`` in [0, 1]; ``None`` when there are no valid events."""
        return None if self.valid == 0 else self.good / self.valid

    @property
    def error_ratio(self) -> float | None:
        """``bad / valid`` in [0, 1]; ``None`` when there are no valid events."""
        return None if self.valid == 0 else self.bad / self.valid

    @property
    def exact_error_ratio(self) -> Fraction | None:
        """``bad / valid`` as an exact fraction (for threshold comparisons); ``None`` when
        empty."""
        return None if self.valid == 0 else Fraction(self.bad, self.valid)

    def __add__(self, other: Counts) -> Counts:
        """The counts of two buckets together (used to merge adjacent buckets)."""
        return Counts(self.good + other.good, self.valid + other.valid)


@dataclass(frozen=True)
class RunCounts:
    """Runs of one flow over an interval: ``started`` (their first start lies in it),
    ``succeeded`` and ``failed`` (became determinate in it with that outcome). Non-negative
    integers; what the outcome alert rules read."""

    started: int = 0
    succeeded: int = 0
    failed: int = 0

    @property
    def determinate(self) -> int:
        """``succeeded + failed``."""
        return self.succeeded + self.failed


Bucket = Counts | tuple[int, int]
"""A bucket as :class:`Counts` or as a plain ``(good, valid)`` pair."""

NO_EVENTS = Counts(0, 0)


def as_counts(bucket: Bucket) -> Counts:
    """``bucket`` as :class:`Counts` (validating a ``(good, valid)`` pair)."""
    if isinstance(bucket, Counts):
        return bucket
    good, valid = bucket
    return Counts(good, valid)


def total(buckets: Iterable[Bucket]) -> Counts:
    """Σgood and Σvalid over ``buckets`` (``Counts(0, 0)`` for none)."""
    good = valid = 0
    for bucket in buckets:
        counts = as_counts(bucket)
        good += counts.good
        valid += counts.valid
    return Counts(good, valid)


def window_sli(buckets: Iterable[Bucket]) -> float | None:
    """The SLI of a window: Σgood / Σvalid over its buckets; ``None`` when Σvalid is 0."""
    return total(buckets).sli


def window_error_ratio(buckets: Iterable[Bucket]) -> float | None:
    """The error ratio of a window: Σbad / Σvalid = 1 - SLI; ``None`` when Σvalid is 0."""
    return total(buckets).error_ratio
