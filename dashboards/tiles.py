"""The executive page's headline tiles: SLOs met, savings and cost per success. Pure.

Each tile holds lines of ``(label, figure)`` in words the page shows as they are: the number of
SLOs meeting their objective (over each SLO's own period), the savings of every flow with a
manual baseline added up exactly in their one currency (``n/a`` when they use several), and each
costed flow's cost per success to 3 significant digits (:func:`dashboards.wording.money`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from cost.money import exact
from dashboards.model import PERIODS, Scorecard
from dashboards.wording import money


@dataclass(frozen=True)
class Tile:
    """A headline tile: ``title``, its ``lines`` of ``(label, figure)`` (the label may be
    empty), a ``detail`` saying what it counts, and a ``status`` (``good``, ``bad`` or
    empty)."""

    key: str
    title: str
    lines: tuple[tuple[str, str], ...]
    detail: str
    status: str = ""


def slos_met_tile(card: Scorecard) -> Tile:
    """How many SLOs with finished runs meet their objective."""
    judged = [s for c in card.flows for s in c.slos if s.sli is not None]
    met = sum(1 for s in judged if s.sli is not None and s.sli >= s.objective)
    if not judged:
        return Tile("slos", "SLOs met", (("", "no runs yet"),), "no SLO has finished runs")
    return Tile("slos", "SLOs met", (("", f"{met} of {len(judged)}"),),
                "each over its own period", "good" if met == len(judged) else "bad")


def savings_tile(card: Scorecard) -> Tile:
    """The savings against the manual baseline of every flow that has one, added up."""
    saving = [c for c in card.flows if c.savings is not None]
    currencies = {c.currency for c in saving}
    name = PERIODS.get(card.key, card.key)
    if not saving:
        return Tile("savings", "Savings", (("", "n/a"),),
                    "no flow declares a manual baseline to save against")
    if len(currencies) != 1:
        return Tile("savings", "Savings", (("", "n/a"),),
                    "the flows are costed in several currencies")
    with exact():
        total = sum((c.savings for c in saving if c.savings is not None), Decimal(0))
    flows = "1 flow" if len(saving) == 1 else f"{len(saving)} flows"
    return Tile("savings", "Savings", (("", money(total, next(iter(currencies)))),),
                f"against the manual baseline, {name}, {flows}", "good" if total >= 0 else "bad")


def cost_tile(card: Scorecard) -> Tile:
    """Each costed flow's cost per successful run over the period."""
    costed = [c for c in card.flows if c.cost is not None]
    name = PERIODS.get(card.key, card.key)
    if not costed:
        return Tile("cost", "Cost per success", (("", "n/a"),), "no flow has a cost model")
    lines = tuple((c.flow if len(costed) > 1 else "",
                   money(c.cost_per_success, c.currency, unit=True)
                   if c.cost_per_success is not None else "no success") for c in costed)
    detail = (f"{costed[0].flow}, {name}" if len(costed) == 1 else name)
    return Tile("cost", "Cost per success", lines, detail)


def headline_tiles(card: Scorecard) -> tuple[Tile, ...]:
    """The tiles of the executive page, in order: SLOs met, savings, cost per success."""
    return slos_met_tile(card), savings_tile(card), cost_tile(card)
