"""Timeslice budgeting (OpenSLO ``Timeslices`` and ``RatioTimeslices``).

The period is cut into equal slices (``timeSliceWindow``, e.g. 5 minutes) and each slice carries
its good and valid event counts.

- **Timeslices**: a slice is **good** when its ratio ``good / valid`` is **at least** the slice
  threshold (``timeSliceTarget``, a fraction in [0, 1]; compared exactly, so a ratio equal to the
  threshold is good). The SLI is ``good slices / slices with data``.
- **RatioTimeslices**: the SLI is the **mean of the slice ratios** over slices with data. Unlike
  the event SLI of :mod:`slo.sli` (Σgood / Σvalid), this *is* an average of ratios, by
  OpenSLO's definition: every slice weighs the same, however many events it had.

**Slices without data** (``valid = 0``) are neither good nor bad: they are left out of both
numerator and denominator (OpenSLO does not say; some vendors count them good). With no slice
holding data the SLI is ``None``.

:attr:`TimesliceSummary.counts` turns slices into :class:`~slo.sli.Counts` (good slices of
slices with data), so the budget math of :mod:`slo.budget` applies to slices unchanged.

Pure: standard library only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from slo.errors import ObjectiveError
from slo.objective import exact_ratio
from slo.sli import Bucket, Counts, as_counts


def _threshold(threshold: float) -> Fraction:
    exact = exact_ratio(threshold)
    if not 0 <= exact <= 1:
        raise ObjectiveError(f"a slice threshold must be a fraction between 0 and 1, "
                             f"got {threshold!r}")
    return exact


def slice_is_good(bucket: Bucket, threshold: float) -> bool | None:
    """True when the slice's ``good / valid`` is at least ``threshold`` (a fraction in
    [0, 1]); ``None`` when the slice has no valid events."""
    limit = _threshold(threshold)
    counts = as_counts(bucket)
    if counts.empty:
        return None
    return Fraction(counts.good, counts.valid) >= limit


@dataclass(frozen=True)
class TimesliceSummary:
    """Slices of a window judged against one slice threshold."""

    slices: int
    slices_with_data: int
    good_slices: int

    @property
    def bad_slices(self) -> int:
        """Slices with data whose ratio is below the threshold."""
        return self.slices_with_data - self.good_slices

    @property
    def empty_slices(self) -> int:
        """Slices without valid events (left out of the SLI)."""
        return self.slices - self.slices_with_data

    @property
    def counts(self) -> Counts:
        """Good slices of slices with data, as counts for :mod:`slo.budget`."""
        return Counts(self.good_slices, self.slices_with_data)

    @property
    def sli(self) -> float | None:
        """``good slices / slices with data``; ``None`` when no slice has data."""
        return self.counts.sli


def summarize_timeslices(slices: Iterable[Bucket], threshold: float) -> TimesliceSummary:
    """Judge every slice against ``threshold`` (a fraction in [0, 1])."""
    limit = _threshold(threshold)
    total = with_data = good = 0
    for bucket in slices:
        counts = as_counts(bucket)
        total += 1
        if counts.empty:
            continue
        with_data += 1
        if Fraction(counts.good, counts.valid) >= limit:
            good += 1
    return TimesliceSummary(slices=total, slices_with_data=with_data, good_slices=good)


def timeslices_sli(slices: Iterable[Bucket], threshold: float) -> float | None:
    """OpenSLO ``Timeslices``: good slices / slices with data; ``None`` without data."""
    return summarize_timeslices(slices, threshold).sli


def ratio_timeslices_sli(slices: Iterable[Bucket]) -> float | None:
    """OpenSLO ``RatioTimeslices``: the mean of ``good / valid`` over slices with data (an
    average of ratios by definition); ``None`` without data."""
    ratios = [Fraction(c.good, c.valid) for c in map(as_counts, slices) if not c.empty]
    return float(sum(ratios, Fraction(0)) / len(ratios)) if ratios else None
