"""Plain-words sentences for the pages. Pure: values in, text out.

Percentages show one decimal (``99.5 %``), money two places with the currency code
(``EUR 1.17``).
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from dashboards.model import FlowCard, SloCard

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
