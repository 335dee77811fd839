"""Allocating a flow's cost from its cost model, usage and imported spend (hand-computed)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.model import PerCallPrice
from cost.allocation import allocate, allocate_daily, allocate_day, price_activity
from cost.breakdown import combine, display_amounts
from cost.currency import ExchangeRates, round_money
from cost.errors import (
    CurrencyMismatchError,
    NoCostModelError,
    SpendLineError,
    UsageError,
)
from cost.usage import Activity, DailyUsage, DateRange, SpendLine
from tests.cost.flows import COST, ORDER_TO_CASH, order_to_cash

NOV_3 = date(2025, 11, 3)
NOVEMBER = DateRange(date(2025, 11, 1), date(2025, 11, 30))

# The contract day: 100 runs started, 97 succeeded, 3 failed.
CONTRACT_ACTIVITY = Activity(
    calls_by_partner={"stripe": 100},          # 100 x 0.30  = 30.00
    calls_by_step={"erp-sync": 100, "checkout": 100},  # 100 x 0.002 = 0.200 (checkout unpriced)
    cpu_seconds_by_step={"payment": Decimal("50")},    # 50 x 0.00005 = 0.0025
    interventions=2,                            # 2 x 12 min x 45/h = 18
)
FAILED_ACTIVITY = Activity(calls_by_partner={"stripe": 3}, interventions=2)  # 0.90 + 18
CONTRACT_DAY = DailyUsage(NOV_3, runs_started=100, successes=97, failures=3,
                          activity=CONTRACT_ACTIVITY, failed=FAILED_ACTIVITY)


def test_the_contract_day_line_by_line() -> None:
    day = allocate_day(ORDER_TO_CASH, CONTRACT_DAY)
    assert [(line.category, line.label, line.amount, line.step, line.partner)
            for line in day.lines] == [
        ("per_call", "partner:stripe", Decimal("30.00"), "payment", "stripe"),
        ("per_call", "step:erp-sync", Decimal("0.200"), "erp-sync", "netsuite"),
        ("compute", "cpu:payment", Decimal("0.0025"), "payment", None),
        ("people", "interventions", Decimal("18"), None, None),
        # 1200 a month over November's 30 days
        ("fixed", "ipaas-licence", Decimal("40"), None, None),
    ]
    # 30.00 + 0.200 + 0.0025 + 18 + 40 = 88.2025
    assert day.total == Decimal("88.2025")
    assert day.by_category == {"per_call": Decimal("30.2"), "compute": Decimal("0.0025"),
                               "fixed": Decimal("40"), "people": Decimal("18"),
                               "imported": Decimal("0")}
    assert day.by_step == {"payment": Decimal("30.0025"), "erp-sync": Decimal("0.2")}
    assert day.by_partner == {"stripe": Decimal("30"), "netsuite": Decimal("0.2")}
    # 88.2025 / 97 = 0.909304123711340206|1855... rounded once to 18 places
    assert day.cost_per_success == Decimal("0.909304123711340206")
    assert abs(Fraction(day.cost_per_success) - Fraction(Decimal("88.2025")) / 97) < Fraction(
        1, 2 * 10**18)
    # variable = 30.00 + 0.200 + 0.0025 + 18 = 48.2025 over 100 started runs
    assert day.variable_cost == Decimal("48.2025")
    assert day.marginal_cost_per_run == Decimal("0.482025")
    # failed runs: 3 stripe calls x 0.30 = 0.90, and their 2 interventions = 18
    assert day.failure_cost == Decimal("18.90")
    assert day.failure_by_category["per_call"] == Decimal("0.90")
    assert day.failure_by_category["fixed"] == Decimal("0")
    # shown rows add up to the shown total 88.20
    shown = display_amounts(day.by_category, day.currency)
    assert [str(v) for v in shown.values()] == ["30.20", "0.00", "40.00", "18.00", "0.00"]
    assert sum(shown.values()) == round_money(day.total, "USD") == Decimal("88.20")


@pytest.mark.parametrize(
    ("flow", "usage", "total", "per_success"),
    [
        pytest.param(ORDER_TO_CASH, replace(CONTRACT_DAY, successes=0), "88.2025", None,
                     id="zero successes have no cost per success"),
        pytest.param(ORDER_TO_CASH, DailyUsage(NOV_3), "40", None,
                     id="a quiet day still pays its fixed fees"),
        # 1200 / 31 = 38.709677419354838710 (18 places)
        pytest.param(ORDER_TO_CASH, DailyUsage(date(2026, 1, 15), successes=1),
                     "38.70967741935483871", "38.70967741935483871",
                     id="a day of a 31-day month pays 1200 / 31"),
        # 1200 / 29 = 41.379310344827586207
        pytest.param(ORDER_TO_CASH, DailyUsage(date(2028, 2, 10)), "41.379310344827586207",
                     None, id="a day of a leap February pays 1200 / 29"),
        # 88.2025 - 18 people = 70.2025; / 97 = 0.723737113402061855|67... rounds up
        pytest.param(order_to_cash(hourly_rate=None, minutes_per_intervention=None),
                     CONTRACT_DAY, "70.2025", "0.723737113402061856",
                     id="without a people section interventions cost nothing"),
        # + 100 payment calls x 0.01 = 1.00 -> 89.2025 (a step price and its partner's price)
        pytest.param(order_to_cash(per_call=(*COST.per_call,
                                             PerCallPrice(Decimal("0.01"), step="payment"))),
                     replace(CONTRACT_DAY, activity=replace(
                         CONTRACT_ACTIVITY, calls_by_step={"erp-sync": 100, "payment": 100})),
                     "89.2025", "0.919613402061855670",
                     id="a step price and its partner's price both charge"),
        # + 400 000 invocations x 0.0000002 = 0.08 -> 88.2825 ; / 97 = 0.910128865979381443
        pytest.param(order_to_cash(per_invocation=Decimal("0.0000002")),
                     replace(CONTRACT_DAY, activity=replace(
                         CONTRACT_ACTIVITY, invocations_by_step={"erp-sync": 400_000})),
                     "88.2825", "0.910128865979381443",
                     id="a price per invocation applies to each step's invocations"),
        # no fixed fee: 48.2025 / 97 = 0.496932989690721649
        pytest.param(order_to_cash(fixed=()), CONTRACT_DAY, "48.2025", "0.496932989690721649",
                     id="a flow without fixed fees pays only for its activity"),
    ],
)
def test_single_days(flow: object, usage: DailyUsage, total: str,
                     per_success: str | None) -> None:
    day = allocate_day(flow, usage)  # type: ignore[arg-type]
    assert day.total == Decimal(total)
    expected = None if per_success is None else Decimal(per_success)
    assert day.cost_per_success == expected


def test_a_whole_month_pays_each_fixed_fee_exactly_once() -> None:
    nov_4 = replace(CONTRACT_DAY, day=date(2025, 11, 4))
    month = allocate(ORDER_TO_CASH, NOVEMBER, [CONTRACT_DAY, nov_4])
    days = allocate_daily(ORDER_TO_CASH, NOVEMBER, [CONTRACT_DAY, nov_4])
    assert len(days) == 30
    assert [d.period.first for d in days] == list(NOVEMBER)
    assert month.period == NOVEMBER
    # 1200 of fees + two contract days of 48.2025 variable cost
    assert month.by_category["fixed"] == Decimal("1200")
    assert month.total == Decimal("1296.4050")
    assert month.total == combine(days).total == sum(d.total for d in days)
    assert (month.runs_started, month.successes, month.failures) == (200, 194, 6)
    # lines of the same item add up: 200 stripe calls, 30 days of the licence
    stripe = next(line for line in month.lines if line.label == "partner:stripe")
    licence = next(line for line in month.lines if line.label == "ipaas-licence")
    assert (stripe.quantity, stripe.amount) == (Decimal(200), Decimal("60.00"))
    assert (licence.quantity, licence.amount) == (Decimal(30), Decimal("1200"))


@pytest.mark.parametrize(
    ("first", "last"),
    [((2026, 1, 1), (2026, 1, 31)), ((2028, 2, 1), (2028, 2, 29)),
     ((2027, 2, 1), (2027, 2, 28)), ((2025, 12, 1), (2026, 2, 28))],
    ids=["a 31-day month", "a leap February", "a common February", "a whole quarter"],
)
def test_fixed_fees_of_whole_months_add_back_exactly(first: tuple[int, int, int],
                                                      last: tuple[int, int, int]) -> None:
    period = DateRange(date(*first), date(*last))
    months = len({(d.year, d.month) for d in period})
    assert allocate(ORDER_TO_CASH, period, []).total == Decimal(1200) * months


SPEND = (
    SpendLine("1", NOV_3, Decimal("12.50"), "USD", "licence", "erp.csv", flow="order-to-cash"),
    # a stripe invoice line: the flow's only stripe step is payment
    SpendLine("2", NOV_3, Decimal("7.00"), "USD", "fees", "stripe.csv", partner="stripe"),
    # 10.00 EUR x 1.08 = 10.8000 USD
    SpendLine("3", NOV_3, Decimal("10.00"), "EUR", "support", "erp.csv", flow="order-to-cash"),
    SpendLine("4", NOV_3, Decimal("99"), "USD", "licence", "erp.csv", flow="lead-to-demo"),
    SpendLine("5", NOV_3, Decimal("99"), "USD", "fees", "stripe.csv", partner="hubspot"),
    SpendLine("6", date(2025, 11, 4), Decimal("99"), "USD", "licence", "erp.csv",
              flow="order-to-cash"),
)
EUR = ExchangeRates("USD", {"EUR": Decimal("1.08")})


def test_imported_spend_of_the_flow_and_its_partners_is_added() -> None:
    day = allocate_day(ORDER_TO_CASH, DailyUsage(NOV_3, successes=10), SPEND, rates=EUR)
    imported = [(line.label, line.amount, line.step, line.partner)
                for line in day.lines if line.category == "imported"]
    assert imported == [("licence (erp.csv)", Decimal("12.50"), None, None),
                        ("fees (stripe.csv)", Decimal("7.00"), "payment", "stripe"),
                        ("support (erp.csv)", Decimal("10.8000"), None, None)]
    # 40 fixed + 12.50 + 7.00 + 10.80 = 70.30 over 10 successes
    assert day.total == Decimal("70.30")
    assert day.cost_per_success == Decimal("7.03")
    assert day.by_category["imported"] == Decimal("30.30")
    assert day.variable_cost == 0  # imported spend is not marginal


def test_spend_in_another_currency_without_a_rate_is_refused() -> None:
    with pytest.raises(CurrencyMismatchError, match=r"spend line erp.csv#3 is in EUR"):
        allocate_day(ORDER_TO_CASH, DailyUsage(NOV_3), SPEND)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        pytest.param(lambda: allocate(ORDER_TO_CASH, NOVEMBER,
                                      [DailyUsage(date(2025, 12, 1))]),
                     UsageError, "outside 2025-11-01..2025-11-30",
                     id="usage outside the period is refused"),
        pytest.param(lambda: allocate(ORDER_TO_CASH, NOVEMBER, [CONTRACT_DAY, CONTRACT_DAY]),
                     UsageError, "given twice", id="a day of usage given twice is refused"),
        pytest.param(lambda: allocate(ORDER_TO_CASH, NOVEMBER, [], SPEND[:1] * 2, rates=EUR),
                     SpendLineError, "erp.csv#1 given twice",
                     id="a spend line given twice is refused"),
        pytest.param(lambda: allocate(replace(ORDER_TO_CASH, cost=None), NOVEMBER, []),
                     NoCostModelError, "declares no cost model",
                     id="a flow without a cost model is refused"),
        pytest.param(lambda: combine([allocate_day(ORDER_TO_CASH, CONTRACT_DAY)] * 2),
                     UsageError, "overlapping", id="overlapping breakdowns are not combined"),
    ],
)
def test_inconsistent_inputs_are_refused(call: object, error: type[Exception],
                                         message: str) -> None:
    with pytest.raises(error, match=message):
        call()  # type: ignore[operator]


def test_compute_lines_follow_the_flows_step_order() -> None:
    lines = price_activity(ORDER_TO_CASH, Activity(cpu_seconds_by_step={
        "zeta": Decimal("1"), "erp-sync": Decimal("2"), "checkout": Decimal("3")}))
    assert [line.label for line in lines if line.category == "compute"] == [
        "cpu:checkout", "cpu:erp-sync", "cpu:zeta"]


def test_a_yen_flow_is_shown_in_whole_yen() -> None:
    flow = order_to_cash(currency="JPY", per_call=(PerCallPrice(Decimal("45"), "payment"),),
                         fixed=())
    # 3 payment calls x 45 = 135, 2 interventions x 12 min x 45/h = 18 -> 153 over 2 successes
    day = allocate_day(flow, DailyUsage(NOV_3, successes=2, activity=Activity(
        calls_by_step={"payment": 3}, interventions=2)))
    assert day.cost_per_success == Decimal("76.5")
    assert str(round_money(day.cost_per_success, day.currency)) == "76"  # half to even


prices = st.decimals(min_value=0, max_value=10, places=5, allow_nan=False, allow_infinity=False)
counts = st.integers(min_value=0, max_value=10**6)


@settings(max_examples=60, deadline=None)
@given(days=st.lists(st.tuples(counts, counts, st.decimals(min_value=0, max_value=10**5,
                                                           places=9),
                               st.integers(0, 50), st.integers(0, 10**4)),
                     min_size=1, max_size=10),
       stripe=prices, erp=prices, cpu=prices)
def test_any_period_costs_exactly_what_the_prices_say(
        days: list[tuple[int, int, Decimal, int, int]], stripe: Decimal, erp: Decimal,
        cpu: Decimal) -> None:
    flow = order_to_cash(per_call=(PerCallPrice(stripe, partner="stripe"),
                                   PerCallPrice(erp, step="erp-sync")),
                         per_cpu_second=cpu)
    period = DateRange(date(2026, 1, 1), date(2026, 1, len(days)))
    usage = [DailyUsage(day, successes=successes, activity=Activity(
        calls_by_partner={"stripe": s}, calls_by_step={"erp-sync": e},
        cpu_seconds_by_step={"payment": seconds}, interventions=i))
        for day, (s, e, seconds, i, successes) in zip(period, days, strict=True)]
    breakdown = allocate(flow, period, usage)
    # exact rational arithmetic: calls x price + seconds x price + people + fixed
    expected = sum((Fraction(stripe) * s + Fraction(erp) * e + Fraction(cpu) * Fraction(seconds)
                    + Fraction(i * 12 * 45, 60) for s, e, seconds, i, _ in days), Fraction(0))
    fixed = sum(Fraction(1200, 31) for _ in days)
    assert abs(Fraction(breakdown.total) - expected - fixed) <= Fraction(len(days), 10**18)
    assert Fraction(breakdown.total - breakdown.by_category["fixed"]) == expected
    shown = display_amounts(breakdown.by_category, "USD")
    assert sum(shown.values()) == round_money(breakdown.total, "USD")
