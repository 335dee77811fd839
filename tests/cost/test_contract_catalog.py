"""The design's contract catalog, read by the catalog room, costed by the cost room."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from catalog.spec import parse_catalog
from cost.allocation import allocate_daily
from cost.currency import catalog_currency, money_text
from cost.errors import CurrencyMismatchError
from cost.roi import daily_results, roi_series
from cost.usage import Activity, DailyUsage, DateRange

CONTRACT = """
apiVersion: flowscope/v1
flows:
  - name: order-to-cash
    owner: payments-team
    correlation_key: order.id
    start:   {event: OrderPlaced}
    success: {event: InvoicePosted}
    failure: {events: [PaymentFailed, InvoiceRejected], dead_letter: true}
    steps:
      - {name: checkout, service: storefront}
      - {name: payment,  service: payments, partner: stripe}
      - {name: erp-sync, service: erp-sync, partner: netsuite}
    cost:
      currency: USD
      per_call:
        - {partner: stripe, price: "0.30"}
        - {step: erp-sync, price: "0.002"}
      compute: {per_cpu_second: "0.00005"}
      fixed: [{name: ipaas-licence, per_month: "1200"}]
      people: {hourly_rate: "45", minutes_per_intervention: 12}
    baseline: {manual_minutes_per_run: 9, hourly_rate: "38"}
    investment: {build: "40000", since: "2026-01-01"}
"""


def _day(day: date) -> DailyUsage:
    return DailyUsage(day, runs_started=100, successes=97, failures=3, activity=Activity(
        calls_by_partner={"stripe": 100}, calls_by_step={"erp-sync": 100},
        cpu_seconds_by_step={"payment": Decimal("50")}, interventions=2))


def test_the_contract_flow_costs_and_pays_back_as_computed_by_hand() -> None:
    catalog = parse_catalog(CONTRACT)
    flow = catalog.flows[0]
    assert catalog_currency(catalog) == "USD"
    assert flow.baseline is not None
    # 100 days from 2026-01-01 (through 2026-04-10), each like the contract day but with the
    # licence amortised over its own month (40, 38.709677..., 42.857142...)
    period = DateRange(date(2026, 1, 1), date(2026, 1, 1) + timedelta(days=99))
    days = allocate_daily(flow, period, [_day(d) for d in period])
    first = days[0].cost_per_success  # January's licence is 1200 / 31 = 38.709677... a day
    assert first is not None
    assert money_text(first, "USD") == "0.90"  # (48.2025 + 38.709677...) / 97 = 0.8960...
    series = roi_series(flow.baseline, flow.investment, daily_results(days))
    # Before the licence a day saves 97 x 5.70 - 48.2025 = 552.90 - 48.2025 = 504.6975.
    # Net on day n = n x 504.6975 - licence so far - 40000, the licence being 1200 for January,
    # 1200 for February and 1200/31 a day of March:
    #   day 86 (03-27): 43403.985  - (2400 + 27 x 1200/31 = 3445.16...) - 40000 = -41.18... < 0
    #   day 87 (03-28): 43908.6825 - (2400 + 28 x 1200/31 = 3483.87...) - 40000 = 424.81... >= 0
    assert series.payback_date == date(2026, 3, 28)


def test_a_catalog_with_a_euro_flow_needs_rates() -> None:
    text = CONTRACT + CONTRACT.split("flows:\n", 1)[1].replace(
        "order-to-cash", "refund-to-ledger").replace("USD", "EUR")
    catalog = parse_catalog(text)
    with pytest.raises(CurrencyMismatchError, match="EUR: refund-to-ledger; USD: order-to-cash"):
        catalog_currency(catalog)
