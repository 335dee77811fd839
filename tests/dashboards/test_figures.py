"""Figure builders and sentences: data in, figure or text out, no browser."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from dashboards.figures import (
    ERROR_COLOUR,
    attainment_figure,
    budget_figure,
    burn_rate_figure,
    burndown_figure,
    failing_items,
    succeeded_after,
    waits,
    waterfall_figure,
)
from dashboards.model import BudgetPoint, FlowCard, SloCard, TierBurn, period_range
from dashboards.wording import headline, money, percent
from warehouse.correlations import Timeline, TimelineItem

T0 = datetime(2026, 3, 10, 10, tzinfo=UTC)


def item(kind: str, name: str, offset_ms: float, duration_ms: float = 0.0,
         status: str = "ok", service: str = "payments") -> TimelineItem:
    return TimelineItem(kind=kind, service=service, name=name,
                        time=T0 + timedelta(milliseconds=offset_ms), duration_ms=duration_ms,
                        status=status, status_message="declined" if status == "error" else "",
                        trace_id="t", span_id=name, parent_span_id="", event_source="",
                        event_id="", outcome="")


RUN = Timeline("A-1042", "order-to-cash", (
    item("event", "OrderPlaced", 0, service="storefront"),
    item("span", "checkout", 10, 100, service="storefront"),
    item("span", "charge", 50, 20),
    item("span", "charge", 400, 30, status="error"),
    item("event", "PaymentFailed", 500, status="error"),
))
CARD = FlowCard("order-to-cash", (
    SloCard("success-rate", 0.99, 0.995, 0.5, 200, "rolling 30d"),
    SloCard("fast", 0.95, 0.90, -1.0, 200, "rolling 30d")),
    currency="EUR", cost=Decimal("10"), successes=8, failures=2,
    cost_per_success=Decimal("1.25"), savings=Decimal("30"), net_return=Decimal("-2"),
    payback=None)


@pytest.mark.parametrize(("items", "expected"), [
    ((), ()),
    (RUN.items, ((1, 0.0, 10.0), (3, 110.0, 290.0), (4, 430.0, 70.0))),
    ((item("span", "a", 0, 100), item("span", "b", 100, 5)), ()),
], ids=["no items have no waits", "gaps after the latest end are waits",
        "back-to-back spans have no wait"])
def test_waits(items: tuple[TimelineItem, ...], expected: tuple[tuple[int, float, float], ...]
               ) -> None:
    found = tuple((w.before, round(w.start_ms, 6), round(w.length_ms, 6)) for w in waits(items))
    assert found == expected


def test_the_waterfall_interleaves_spans_and_events_and_marks_the_failure() -> None:
    fig = waterfall_figure(RUN)
    by_name = {t.name: t for t in fig.data}
    assert list(by_name) == ["wait", "span", "event"]
    assert list(by_name["span"].base) == pytest.approx([10, 50, 400])
    assert list(by_name["span"].x) == pytest.approx([100, 20, 30])
    assert list(by_name["span"].marker.color)[2] == ERROR_COLOUR
    assert list(by_name["event"].x) == pytest.approx([0, 500])
    assert list(by_name["event"].marker.color)[1] == ERROR_COLOUR
    assert list(by_name["wait"].x) == pytest.approx([10, 290, 70])
    assert fig.layout.yaxis.categoryarray[0] == "1. ◆ OrderPlaced<br>storefront"
    assert failing_items(RUN) == (3, 4)


RECOVERED = Timeline("A-7", "order-to-cash", (
    item("span", "post invoice", 0, 30, status="error"),
    item("span", "manual replay", 900, 10),
    TimelineItem(kind="event", service="erp-sync", name="InvoicePosted",
                 time=T0 + timedelta(seconds=1), duration_ms=0.0, status="ok", status_message="",
                 trace_id="", span_id="", parent_span_id="", event_source="/erp",
                 event_id="e", outcome="success"),
))


@pytest.mark.parametrize(("timeline", "recovered"), [(RUN, False), (RECOVERED, True)],
                         ids=["a run that ends in failure did not recover",
                              "a success after the failure means the run recovered"])
def test_a_success_after_a_failure_is_a_recovery(timeline: Timeline, recovered: bool) -> None:
    assert succeeded_after(timeline, failing_items(timeline)[0]) is recovered


def test_burn_rates_are_drawn_against_each_tier_threshold() -> None:
    tiers = [TierBurn("f", "s", "page-1h-5m", "page", 14.4, 20.0, 30.0, True),
             TierBurn("f", "s", "ticket-3d-6h", "ticket", 1.0, None, 0.5, False)]
    fig = burn_rate_figure(tiers)
    long, short, threshold = fig.data
    assert list(long.x) == [20.0, None] and list(short.x) == [30.0, 0.5]
    assert list(threshold.x) == pytest.approx([14.4, 1.0])
    assert long.orientation == "h" and fig.layout.xaxis.type == "log"
    assert long.marker.color[0] == ERROR_COLOUR


def test_attainment_and_budget_are_percentages_per_slo() -> None:
    attained = attainment_figure([CARD])
    assert list(attained.data[0].y) == pytest.approx([99.5, 90.0])
    assert list(attained.data[1].y) == pytest.approx([99.0, 95.0])
    assert list(attained.data[0].x) == ["order-to-cash<br>success-rate", "order-to-cash<br>fast"]
    assert list(budget_figure([CARD]).data[0].y) == pytest.approx([50.0, -100.0])


def test_the_burndown_has_one_line_per_slo() -> None:
    points = [BudgetPoint("f", "s", T0, 1.0), BudgetPoint("f", "s", T0 + timedelta(days=1), 0.4),
              BudgetPoint("g", "s", T0, None)]
    fig = burndown_figure(points)
    assert [t.name for t in fig.data] == ["f / s", "g / s"]
    assert list(fig.data[0].y) == pytest.approx([100.0, 40.0])


@pytest.mark.parametrize(("key", "today", "first"), [
    ("7d", date(2026, 3, 10), date(2026, 3, 4)),
    ("30d", date(2026, 3, 10), date(2026, 2, 9)),
    ("quarter", date(2026, 5, 17), date(2026, 4, 1)),
], ids=["7d is the last seven days", "30d is the last thirty days",
        "quarter is the calendar quarter so far"])
def test_periods(key: str, today: date, first: date) -> None:
    days = period_range(key, today)
    assert (days.first, days.last) == (first, today)


def test_an_unknown_period_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown period"):
        period_range("year", date(2026, 1, 1))


@pytest.mark.parametrize(("card", "expected"), [
    (CARD, "order-to-cash is missing its fast objective (90.0 % against 95.0 %); each "
           "successful run cost EUR 1.25 over the last 30 days; automation saved EUR 30.00; "
           "it has EUR 2.00 left to pay back."),
    (FlowCard("lead", (SloCard("ok", 0.9, 0.95, 0.5, 10, "rolling 7d"),)),
     "lead is meeting its objectives (95.0 % against 90.0 %)."),
    (FlowCard("lead", (SloCard("ok", 0.9, None, None, 0, "rolling 7d"),)),
     "lead has no finished runs yet."),
    (FlowCard("bare", ()), "bare has no SLO yet."),
], ids=["a missed objective and an unpaid investment", "a met objective without cost",
        "no finished runs", "no SLO"])
def test_headlines(card: FlowCard, expected: str) -> None:
    assert headline(card, "last 30 days") == expected


def test_numbers_in_words() -> None:
    assert percent(None) == "n/a" and percent(0.99949) == "99.9 %"
    assert money(Decimal("1234.565"), "USD") == "USD 1,234.56"
    assert money(None, "USD") == "n/a"
