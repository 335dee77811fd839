"""Page tables and headline tiles: what the page shows and what the CSV carries, no browser."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

from cost.usage import DateRange
from dashboards.model import FlowCard, Scorecard, SloCard
from dashboards.tables import scorecard_table
from dashboards.tiles import headline_tiles

LEADS = FlowCard("lead-to-demo", (SloCard("success-rate", 0.999, 749 / 750, -1 / 3, 750,
                                          "rolling 30d"),))
REFUNDS = FlowCard("refund-to-ledger", (SloCard("success-rate", 0.95, 0.96, 0.2, 50,
                                                "rolling 30d"),),
                   currency="USD", cost=Decimal("0.02"), successes=48, failures=2,
                   cost_per_success=Decimal("0.000416666666666667"),
                   savings=Decimal("-1204.5"), net_return=Decimal("-10"))
ORDERS = replace(REFUNDS, flow="order-to-cash", cost_per_success=Decimal("0.39"),
                 savings=Decimal("1234567.891"), payback=date(2026, 11, 20))
CARD = Scorecard("30d", DateRange(date(2026, 11, 4), date(2026, 12, 3)),
                 datetime(2026, 12, 3, 12, tzinfo=UTC), (LEADS, REFUNDS, ORDERS))


def test_the_scorecard_shows_verdicts_and_exports_plain_values() -> None:
    view = scorecard_table(CARD)
    shown = [[c.shown for c in row] for row in view.rows]
    assert shown[0][:6] == ["lead-to-demo", "success-rate", "✗ missing", "99.9 %", "99.87 %",
                            "-33.3 %"]
    assert shown[1][2:8] == ["✓ meeting", "95.0 %", "96.0 %", "20.0 %", "USD 0.000417",
                             "USD -1,204.50"]
    assert shown[2][6:8] == ["USD 0.39", "USD 1,234,567.89"]
    assert [view.rows[0][2].status, view.rows[0][5].status] == ["bad", "bad"]
    lines = view.csv().splitlines()
    assert lines[0] == ("flow,slo,status,objective_percent,attainment_percent,"
                        "budget_left_percent,cost_per_success,savings,currency,payback")
    assert lines[2] == ("refund-to-ledger,success-rate,meeting,95,96,20,0.000416666666666667,"
                        "-1204.5,USD,")
    assert lines[1].split(",")[4] == "99.86666666666667"


def test_the_tiles_count_slos_add_savings_and_list_unit_costs() -> None:
    slos, savings, cost = headline_tiles(CARD)
    assert (slos.lines, slos.status) == ((("", "2 of 3"),), "bad")
    # 1,234,567.891 - 1,204.50 in one currency, added exactly
    assert (savings.lines, savings.status) == ((("", "USD 1,233,363.39"),), "good")
    assert cost.lines == (("refund-to-ledger", "USD 0.000417"), ("order-to-cash", "USD 0.39"))
    several = replace(CARD, flows=(REFUNDS, replace(ORDERS, currency="EUR")))
    assert headline_tiles(several)[1].lines == (("", "n/a"),)
