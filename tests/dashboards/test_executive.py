"""The executive page's budget-by-partner and release views: data in, figure or text out."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from cost.release import ReleaseComparison, SideSummary
from dashboards.figures import partner_budget_figure, release_figure
from dashboards.model import FlowCard, PartnerShare, ReleaseView
from dashboards.wording import change, release_sentence

RELEASE_DAY = date(2026, 11, 20)
# 7 days each side: before 980 of 1000 runs succeeded for USD 509.60 (0.52 each), after 994 of
# 1000 for USD 457.24 (0.46 each): the ratio is (457.24 x 980) / (509.60 x 994) = 0.884615...
COMPARISON = ReleaseComparison(
    RELEASE_DAY,
    SideSummary(date(2026, 11, 13), date(2026, 11, 19), 7, Decimal("509.60"), 980, 20),
    SideSummary(RELEASE_DAY, date(2026, 11, 26), 7, Decimal("457.24"), 994, 6))
ORDERS = FlowCard(
    "order-to-cash", (), currency="USD",
    partners=(PartnerShare("success-rate", "stripe", 6, 0.6, ("payment",)),
              PartnerShare("success-rate", "netsuite", 2, 0.2, ("erp-sync",)),
              PartnerShare("posted-in-2m", "stripe", 3, None, ("payment",))),
    release=ReleaseView("2.5", RELEASE_DAY, "batch posting", COMPARISON))
LEADS = FlowCard("lead-to-demo", (),
                 partners=(PartnerShare("success-rate", "in-house steps", 1, 0.05,
                                        ("capture",)),))


def test_the_partner_figure_stacks_each_slo_by_partner() -> None:
    fig = partner_budget_figure([ORDERS, LEADS])
    bars = {bar.name: (list(bar.y), list(bar.x)) for bar in fig.data}
    assert bars == {
        "stripe": (["order-to-cash<br>success-rate", "order-to-cash<br>posted-in-2m"],
                   [pytest.approx(60.0), None]),
        "netsuite": (["order-to-cash<br>success-rate"], [pytest.approx(20.0)]),
        "in-house steps": (["lead-to-demo<br>success-rate"], [pytest.approx(5.0)]),
    }
    assert fig.layout.barmode == "stack"
    assert [shape.x0 for shape in fig.layout.shapes] == [100]  # all of the budget, drawn


def test_the_release_figure_puts_success_rates_side_by_side() -> None:
    fig = release_figure([ORDERS, LEADS])
    before, after = fig.data
    assert list(before.x) == list(after.x) == ["order-to-cash 2.5"]
    assert list(before.y) == [pytest.approx(98.0)]
    assert list(after.y) == [pytest.approx(99.4)]
    assert before.customdata[0][1] == "USD 0.52" and after.customdata[0][1] == "USD 0.46"
    assert (before.customdata[0][2], after.customdata[0][2]) == ("98.0 %", "99.4 %")


@pytest.mark.parametrize(("ratio", "words"), [
    (Decimal("0.884615"), "fell 11.5 %"),
    (Decimal("1.034"), "rose 3.4 %"),
    (Decimal("1.0004"), "rose 0.04 %"),
    (Decimal("1"), "did not change"),
    (None, "cannot be compared"),
], ids=["a lower ratio fell", "a higher ratio rose", "a small rise never reads 0.0 %",
        "an equal ratio did not change",
        "no ratio cannot be compared"])
def test_change_in_words(ratio: Decimal | None, words: str) -> None:
    assert change(ratio) == words


def test_the_release_sentence_reads_both_sides() -> None:
    assert ORDERS.release is not None
    assert release_sentence(ORDERS.flow, ORDERS.release, "USD") == (
        "order-to-cash 2.5 (2026-11-20): over 7 days on each side the success rate went from "
        "98.0 % to 99.4 %, and the cost per success fell 11.5 % (USD 0.52 to USD 0.46).")
