"""The order-to-cash flow of the design's contract example, built in code for the cost tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from catalog.model import (
    Baseline,
    CostModel,
    FixedFee,
    Flow,
    Investment,
    PerCallPrice,
    Step,
)

COST = CostModel(
    currency="USD",
    per_call=(PerCallPrice(Decimal("0.30"), partner="stripe"),
              PerCallPrice(Decimal("0.002"), step="erp-sync")),
    per_cpu_second=Decimal("0.00005"),
    fixed=(FixedFee("ipaas-licence", Decimal("1200")),),
    hourly_rate=Decimal("45"),
    minutes_per_intervention=Decimal("12"),
)

ORDER_TO_CASH = Flow(
    name="order-to-cash",
    correlation_key="order.id",
    owner="payments-team",
    steps=(Step("checkout", service="storefront"),
           Step("payment", service="payments", partner="stripe"),
           Step("erp-sync", service="erp-sync", partner="netsuite")),
    cost=COST,
    baseline=Baseline(manual_minutes_per_run=Decimal("9"), hourly_rate=Decimal("38")),
    investment=Investment(build=Decimal("40000"), since=date(2026, 1, 1)),
)


def order_to_cash(**cost_changes: object) -> Flow:
    """The contract flow, with some cost model fields replaced."""
    return replace(ORDER_TO_CASH, cost=replace(COST, **cost_changes))  # type: ignore[arg-type]
