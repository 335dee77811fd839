"""Plain-words sentences for the pages. Pure: values in, text out.

Numbers follow the rules the API's readers, the CLI and the alert texts share: percentages
:func:`slo.percent.percent_text` (as many decimals as keep the verdict visible: ``99.87 %``
against ``99.9 %``), money :func:`cost.currency.display_money` (``USD 1,204.50``; unit costs to
3 significant digits, ``USD 0.000417``), durations :func:`catalog.durations.human_duration`
(``41 min 30 s``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal

from catalog.durations import human_duration
from cost.currency import display_money
from dashboards.model import FlowCard, FlowHealthCard, FlowTimeView, ReleaseView, SloCard
from slo.percent import percent_text


def percent(fraction: float | Decimal | None, against: Iterable[float | Decimal] = (), *,
            exact: bool = False) -> str:
    """``0.99873`` against ``0.999`` → ``99.87 %``; ``None`` → ``n/a``
    (:func:`slo.percent.percent_text`)."""
    return percent_text(fraction, tuple(against), exact=exact)


def money(amount: Decimal | None, currency: str | None, *, unit: bool = False) -> str:
    """``Decimal("1204.5")`` in ``USD`` → ``USD 1,204.50``; a unit cost (``unit=True``)
    ``0.000416666`` → ``USD 0.000417``; ``None`` → ``n/a``
    (:func:`cost.currency.display_money`)."""
    if amount is None or currency is None:
        return "n/a"
    return display_money(amount, currency, unit=unit)


def duration(seconds: float) -> str:
    """``2_490`` → ``41 min 30 s`` (:func:`catalog.durations.human_duration`)."""
    return human_duration(seconds)


def _runs(count: int) -> str:
    return f"{count} run" if count == 1 else f"{count} runs"


def _last(span: timedelta) -> str:
    days = round(span / timedelta(days=1))
    return (f"the last {days} days" if days > 1 else
            f"the last {round(span / timedelta(hours=1))} h")


def dead_letter_sentence(card: FlowHealthCard) -> str:
    """``2 runs dead-lettered in the last 24 h; oldest dead letter waiting 3 h 12 min`` (or
    ``...; no dead letter waiting``)."""
    inflow = (f"{_runs(card.dead_letter_inflow)} dead-lettered" if card.dead_letter_inflow
              else "no run dead-lettered")
    age = card.oldest_dead_letter_seconds
    waiting = ("no dead letter waiting" if age is None
               else f"oldest dead letter waiting {duration(age)}")
    return f"{inflow} in {_last(card.end - card.start)}; {waiting}"


def flow_time_sentence(view: FlowTimeView) -> str:
    """Where one run stands among the flow times of its flow, e.g. ``this run took 1 min 12 s,
    slower than 93 % of the 412 runs that succeeded in the last 30 days``. ``slower than`` is
    rounded down, so it never claims more than it knows."""
    span = _last(view.end - view.start)
    others = (f"the histogram shows the {_runs(view.runs)} that succeeded in {span}"
              if view.runs else f"no run of {view.flow} succeeded in {span}")
    if view.run_seconds is not None:
        took = f"this run took {duration(view.run_seconds)}"
        if view.slower_than is None:
            return f"{took}; {others}"
        return (f"{took}, slower than {math.floor(view.slower_than * 100)} % of the "
                f"{_runs(view.runs)} that succeeded in {span}")
    why = {"succeeded": "this run succeeded, but its start is unknown",
           "failed": "this run counts as failed (it failed or was dead-lettered before any "
                     "success; a later replay does not undo that)",
           "in flight": "this run has not succeeded or failed yet"}.get(
        view.outcome, f"this id is not among the runs of {view.flow} yet")
    return f"{why}, so it has no flow time to mark; {others}"


def slo_sentence(slo: SloCard) -> str:
    """One SLO in words, e.g. ``success-rate: 99.2 % of 120 runs met the 99.0 % objective;
    20.0 % of the error budget is left``."""
    if slo.sli is None:
        return f"{slo.name}: no finished runs yet in its {slo.period}"
    verdict = "meeting" if slo.sli >= slo.objective else "missing"
    budget = slo.budget_remaining
    left = ("the error budget is spent" if budget is not None and budget <= 0
            else f"{percent(budget)} of the error budget is left")
    return (f"{slo.name}: {percent(slo.sli, (slo.objective,))} of {slo.runs} runs were good, "
            f"{verdict} the {percent(slo.objective, exact=True)} objective; {left}")


def headline(card: FlowCard, period_name: str) -> str:
    """The flow's headline sentence for an executive (SLO first, then money)."""
    parts: list[str] = []
    if not card.slos:
        parts.append(f"{card.flow} has no SLO yet")
    else:
        worst = min(card.slos, key=lambda s: 2.0 if s.sli is None else s.sli - s.objective)
        if worst.sli is None:
            parts.append(f"{card.flow} has no finished runs yet")
        else:
            against = (f"({percent(worst.sli, (worst.objective,))} against "
                       f"{percent(worst.objective, exact=True)})")
            parts.append(f"{card.flow} is meeting its objectives {against}"
                         if worst.sli >= worst.objective else
                         f"{card.flow} is missing its {worst.name} objective {against}")
    if card.cost is not None:
        if card.cost_per_success is not None:
            parts.append(f"each successful run cost "
                         f"{money(card.cost_per_success, card.currency, unit=True)} over the "
                         f"{period_name}")
        else:
            parts.append(f"no run succeeded over the {period_name}")
        if card.savings is not None:
            parts.append(f"automation saved {money(card.savings, card.currency)}")
        if card.payback is not None:
            parts.append(f"the investment paid back on {card.payback.isoformat()}")
        elif card.net_return is not None:
            parts.append(f"it has {money(-card.net_return, card.currency)} left to pay back")
    return "; ".join(parts) + "."


def change(ratio: Decimal | None) -> str:
    """An after/before ratio in words: ``0.88`` → ``fell 12.0 %``, ``1.034`` → ``rose 3.4 %``,
    ``1.0004`` → ``rose 0.04 %`` (never a rise that reads 0.0 %); exactly 1 reads ``did not
    change``; ``None`` → ``cannot be compared``."""
    if ratio is None:
        return "cannot be compared"
    if ratio == 1:
        return "did not change"
    return f"{'rose' if ratio > 1 else 'fell'} {percent(abs(ratio - 1))}"


def release_sentence(flow: str, release: ReleaseView, currency: str | None) -> str:
    """The flow before and after its release, e.g. ``order-to-cash 2.5 (2026-11-20): over 7
    days on each side the success rate went from 98.1 % to 99.4 %, and the cost per success
    fell 12.0 % (USD 0.52 to USD 0.46).``"""
    before, after = release.comparison.before, release.comparison.after
    rate_before = None if before.success_rate is None else float(before.success_rate)
    rate_after = None if after.success_rate is None else float(after.success_rate)
    days = (f"over {after.days} day{'s' if after.days != 1 else ''} on each side"
            if before.days == after.days else
            f"over {before.days} days before and {after.days} after")
    return (f"{flow} {release.version} ({release.day.isoformat()}): {days} the success rate "
            f"went from {percent(rate_before, () if rate_after is None else (rate_after,))} to "
            f"{percent(rate_after, () if rate_before is None else (rate_before,))}, and the "
            f"cost per success {change(release.comparison.cost_per_success_ratio)} "
            f"({money(before.cost_per_success, currency, unit=True)} to "
            f"{money(after.cost_per_success, currency, unit=True)}).")
