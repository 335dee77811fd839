"""Two days of order-to-cash, hand-counted, for the cost query and route tests.

2026-03-10: run A succeeds; run B fails (PaymentFailed) after a retried charge; run C is
dead-lettered at erp-sync. 2026-03-11: run C is replayed to success (still a failed run: its
dead letter came first and the flow fails on dead letters); run D starts and stays open.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from catalog.model import FailureMatcher, Flow, Matcher
from tests.cost.conftest import Recorder
from tests.cost.flows import ORDER_TO_CASH

DAY1 = date(2026, 3, 10)
DAY2 = date(2026, 3, 11)


def contract_flow(name: str = "order-to-cash") -> Flow:
    """The contract flow with its start, success and failure matchers."""
    return replace(ORDER_TO_CASH, name=name, start=Matcher(events=("OrderPlaced",)),
                   success=Matcher(events=("InvoicePosted",)),
                   failure=FailureMatcher(events=("PaymentFailed",), dead_letter=True))


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def record(rec: Recorder) -> None:
    """Store the scenario of the module docstring."""
    ms = timedelta(milliseconds=1)
    rec.event("A", "OrderPlaced", _at(DAY1, 10), outcome="start", service="storefront")
    rec.span("A", "storefront", "checkout", _at(DAY1, 10, 1), 2000 * ms)
    rec.span("A", "payments", "charge", _at(DAY1, 10, 2), 1500 * ms)
    rec.event("A", "InvoicePosted", _at(DAY1, 10, 5), outcome="success", service="erp-sync")
    rec.event("B", "OrderPlaced", _at(DAY1, 11), outcome="start", service="storefront")
    rec.span("B", "payments", "charge", _at(DAY1, 11, 1), 500 * ms)
    rec.span("B", "payments", "charge", _at(DAY1, 11, 1), 500 * ms)
    rec.event("B", "PaymentFailed", _at(DAY1, 11, 2), outcome="failure", service="payments")
    rec.event("C", "OrderPlaced", _at(DAY1, 12), outcome="start", service="storefront")
    rec.span("C", "erp-sync", "erp-sync.dlq", _at(DAY1, 12, 1), 250 * ms)
    rec.event("C", "InvoicePosted", _at(DAY2, 9), outcome="success", service="erp-sync")
    rec.event("D", "OrderPlaced", _at(DAY2, 13), outcome="start", service="storefront")
