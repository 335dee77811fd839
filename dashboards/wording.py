"""Plain-words sentences for the pages. Pure: values in, text out.

Percentages show one decimal (``99.5 %``), money two places with the currency code
(``EUR 1.17``).
"""

from __future__ import annotations

import math
from datetime import timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from dashboards.model import FlowCard, FlowHealthCard, FlowTimeView, ReleaseView, SloCard

_CENT = Decimal("0.01")


def percent(fraction: float | None) -> str:
    """``0.9953`` → ``99.5 %``; ``None`` → ``n/a``."""
    return "n/a" if fraction is None else f"{fraction * 100:.1f} %"


def money(amount: Decimal | None, currency: str | None) -> str:
    """``Decimal("1.168")`` in ``EUR`` → ``EUR 1.17``; ``None`` → ``n/a``."""
    if amount is None:
        return "n/a"
    rounded = amount.quantize(_CENT, rounding=ROUND_HALF_EVEN)
    return f"{currency or ''} {rounded:,}".strip()


_UNITS = ((86_400, "d"), (3_600, "h"), (60, "min"), (1, "s"))


def duration(seconds: float) -> str:
    """A duration in words, two units at most (the smaller one truncated): ``0.4`` →
    ``400 ms``, ``9.46`` → ``9.5 s``, ``72`` → ``1 min 12 s``, ``11_550`` → ``3 h 12 min``,
    ``90_061`` → ``1 d 1 h``."""
    if round(seconds * 1000) < 1000:
        return f"{max(round(seconds * 1000), 0)} ms"
    if round(seconds, 1) < 10:
        return f"{round(seconds, 1):g} s"
    whole = round(seconds)
    for i, (size, name) in enumerate(_UNITS):
        if whole >= size:
            text = f"{whole // size} {name}"
            if size > 1:
                smaller, smaller_name = _UNITS[i + 1]
                rest = whole % size // smaller
                text += f" {rest} {smaller_name}" if rest else ""
            return text
    raise AssertionError("unreachable: whole >= 10 s")


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
    return (f"{slo.name}: {percent(slo.sli)} of {slo.runs} runs were good, {verdict} the "
            f"{percent(slo.objective)} objective; {left}")


def headline(card: FlowCard, period_name: str) -> str:
    """The flow's headline sentence for an executive (SLO first, then money)."""
    parts: list[str] = []
    if not card.slos:
        parts.append(f"{card.flow} has no SLO yet")
    else:
        worst = min(card.slos, key=lambda s: 2.0 if s.sli is None else s.sli - s.objective)
        if worst.sli is None:
            parts.append(f"{card.flow} has no finished runs yet")
        elif worst.sli >= worst.objective:
            parts.append(f"{card.flow} is meeting its objectives "
                         f"({percent(worst.sli)} against {percent(worst.objective)})")
        else:
            parts.append(f"{card.flow} is missing its {worst.name} objective "
                         f"({percent(worst.sli)} against {percent(worst.objective)})")
    if card.cost is not None:
        if card.cost_per_success is not None:
            parts.append(f"each successful run cost {money(card.cost_per_success, card.currency)}"
                         f" over the {period_name}")
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
    """An after/before ratio in words: ``0.88`` → ``fell 12.0 %``, ``1.034`` → ``rose 3.4 %``;
    a change under 0.05 % reads ``did not change``; ``None`` → ``cannot be compared``."""
    if ratio is None:
        return "cannot be compared"
    delta = (ratio - 1) * 100
    if abs(delta) < Decimal("0.05"):
        return "did not change"
    return f"{'rose' if delta > 0 else 'fell'} {abs(delta):.1f} %"


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
            f"went from {percent(rate_before)} to {percent(rate_after)}, and the cost per "
            f"success {change(release.comparison.cost_per_success_ratio)} "
            f"({money(before.cost_per_success, currency)} to "
            f"{money(after.cost_per_success, currency)}).")
