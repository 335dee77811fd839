"""Alert text in plain words, with numbers: what on-call reads first.

``3.2 % of order-to-cash runs failed in the last hour; budget left 41.0 %; at this rate it is
gone in 9 h 12 min``. Numbers follow the rules every page and the CLI use: percentages
:func:`slo.percent.percent_text` (as many decimals as keep the verdict visible against the
threshold the text names, at most four), durations :func:`catalog.durations.human_duration`.
Pure: standard library, :mod:`catalog` and :mod:`slo.percent` only.
"""

from __future__ import annotations

from datetime import timedelta

from catalog.durations import human_duration
from catalog.model import SLOSpec
from slo.percent import percent_text

_MINUTE = timedelta(minutes=1)
_HOUR = timedelta(hours=1)
_DAY = timedelta(days=1)


def percent(ratio: float, against: float | None = None) -> str:
    """``ratio`` in percent by :func:`slo.percent.percent_text`, told apart from ``against``
    (the threshold the sentence names): ``0.032`` → ``"3.2 %"``."""
    return percent_text(ratio, () if against is None else (against,))


def span(duration: timedelta) -> str:
    """A duration by :func:`catalog.durations.human_duration`: ``"42 min"``, ``"9 h 12 min"``."""
    return human_duration(duration)


_UNITS = ((_DAY, "day"), (_HOUR, "hour"), (_MINUTE, "minute"), (timedelta(seconds=1), "second"))


def window(duration: timedelta) -> str:
    """A window length in words: ``"hour"``, ``"5 minutes"``, ``"3 days"`` (for "in the last
    ..."); falls back to :func:`span` for lengths that are not a whole number of one unit."""
    for size, name in _UNITS:
        count, rest = divmod(duration, size)
        if count and not rest:
            return name if count == 1 else f"{count} {name}s"
    return span(duration)


def objective_text(slo: SLOSpec) -> str:
    """``"99.9 %"`` for the SLO's objective percentage (all its decimals, up to four)."""
    return percent_text(slo.objective / 100, exact=True)


def missed(flow: str, slo: SLOSpec) -> str:
    """What a bad run of ``slo`` did: ``"order-to-cash runs failed"`` or, for a latency SLO,
    ``"order-to-cash runs took longer than 2 minutes"``."""
    if slo.latency is None:
        return f"{flow} runs failed"
    return f"{flow} runs took longer than {window(slo.latency.threshold)}"


def overspent(remaining: float) -> str:
    """How many budgets a spent one has used: remaining ``-19`` (``1 - remaining`` = 20
    budgets) reads ``20x``; ``0`` reads ``1x``."""
    return f"{1 - remaining:.3g}x"


def burn_summary(flow: str, slo: SLOSpec, *, error_ratio: float, long_window: timedelta,
                 remaining: float | None, exhaustion: timedelta | None) -> str:
    """The summary of a burn-rate alert, e.g. ``3.2 % of order-to-cash runs failed in the last
    hour; budget left 41.0 %; at this rate it is gone in 9 h 12 min``."""
    text = f"{percent(error_ratio)} of {missed(flow, slo)} in the last {window(long_window)}"
    if remaining is not None:
        if remaining <= 0:
            text += (f"; the error budget of {slo.name} is spent ({overspent(remaining)} what "
                     f"the period allows)")
        else:
            text += f"; budget left {percent(remaining)}"
            if exhaustion is not None:
                text += f"; at this rate it is gone in {span(exhaustion)}"
    return text


def burn_description(slo: SLOSpec, *, factor: float, long_window: timedelta,
                     short_window: timedelta, burn_rate: float) -> str:
    """Why a burn-rate tier fires, in SRE terms."""
    return (f"SLO {slo.name} ({objective_text(slo)}) burns its error budget {burn_rate:.3g}x "
            f"faster than sustainable over the last {window(long_window)} and the last "
            f"{window(short_window)} (this tier fires above {factor:.3g}x)")


def failure_ratio_summary(flow: str, *, failed: int, determinate: int, window_: timedelta,
                          above: float) -> str:
    """``3.2 % of order-to-cash runs failed in the last hour (4 of 125; alert above 3.0 %)``."""
    ratio = failed / determinate if determinate else 0.0
    return (f"{percent(ratio, above)} of {flow} runs failed in the last {window(window_)} "
            f"({failed} of {determinate}; alert above {percent_text(above, exact=True)})")


def dead_letter_summary(flow: str, *, age: timedelta, above: timedelta) -> str:
    """``the oldest dead-lettered order-to-cash run has waited 41 min 30 s (alert above
    15 min)``."""
    return (f"the oldest dead-lettered {flow} run has waited {span(age)} "
            f"(alert above {span(above)})")


def absence_summary(flow: str, *, started: int, window_: timedelta) -> str:
    """``no order-to-cash run succeeded in the last 30 minutes while 17 started``."""
    runs = "run" if started == 1 else "runs"
    return (f"no {flow} run succeeded in the last {window(window_)} while {started} {runs} "
            f"started")


def budget_summary(flow: str, slo: SLOSpec, *, remaining: float, below: float) -> str:
    """``order-to-cash success-rate has 18.0 % of its error budget left (alert below 25.0 %)``;
    a spent budget reads ``has spent its error budget this period, 3x what it allows``."""
    limit = percent_text(below, exact=True)
    if remaining <= 0:
        return (f"{flow} {slo.name} has spent its error budget this period, "
                f"{overspent(remaining)} what it allows (SLO {objective_text(slo)}; alert below "
                f"{limit})")
    return (f"{flow} {slo.name} has {percent(remaining, below)} of its error budget left this "
            f"period (SLO {objective_text(slo)}; alert below {limit})")
