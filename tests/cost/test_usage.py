"""The inputs the cost queries fill: validation, date ranges, spend lines and apportioning."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest

from cost.errors import AllocationError, CostValueError, SpendLineError, UsageError
from cost.usage import Activity, DailyUsage, DateRange, SpendLine, apportion_spend

DAY = date(2025, 11, 3)


def _line(**changes: object) -> SpendLine:
    fields: dict[str, object] = {
        "line_id": "7", "day": DAY, "amount": Decimal("100.00"), "currency": "USD",
        "category": "licence", "source": "netsuite-export.csv", "partner": "stripe"}
    fields.update(changes)
    return SpendLine(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        pytest.param(lambda: Activity(calls_by_step={"payment": -1}), UsageError,
                     "must not be negative", id="negative calls are refused"),
        pytest.param(lambda: Activity(calls_by_partner={"": 1}), UsageError,
                     "non-empty names", id="an empty partner name is refused"),
        pytest.param(lambda: Activity(cpu_seconds_by_step={"payment": 1.5}),  # type: ignore[dict-item]
                     UsageError,
                     "decimal.Decimal", id="float CPU-seconds are refused"),
        pytest.param(lambda: Activity(interventions=True), UsageError,
                     "must be an int", id="a bool is not a count"),
        pytest.param(lambda: DailyUsage(DAY, successes=-1), UsageError,
                     "must not be negative", id="negative successes are refused"),
        pytest.param(lambda: DailyUsage(DAY, activity=Activity(calls_by_step={"payment": 2}),
                                        failed=Activity(calls_by_step={"payment": 3})),
                     UsageError, "exceeds all activity",
                     id="failed runs cannot have made more calls than all runs"),
        pytest.param(lambda: DailyUsage(DAY, failed=Activity(interventions=1)), UsageError,
                     "exceeds all activity", id="failed runs cannot add interventions"),
        pytest.param(lambda: DateRange(date(2025, 11, 2), date(2025, 11, 1)), UsageError,
                     "before it starts", id="a backwards date range is refused"),
        pytest.param(lambda: _line(flow=None, partner=None), SpendLineError,
                     "give a flow or a partner", id="a spend line must belong somewhere"),
        pytest.param(lambda: _line(line_id=""), SpendLineError, "needs a line id",
                     id="a spend line needs an id"),
        pytest.param(lambda: _line(currency="usd"), CostValueError, "three capital letters",
                     id="a spend line needs a currency code"),
        pytest.param(lambda: _line(amount=Decimal("NaN")), CostValueError, "finite",
                     id="a spend line amount must be finite"),
    ],
)
def test_bad_inputs_are_refused(build: Callable[[], object], error: type[Exception],
                                message: str) -> None:
    with pytest.raises(error, match=message):
        build()


def test_a_date_range_includes_both_ends() -> None:
    november = DateRange(date(2025, 11, 1), date(2025, 11, 30))
    days = list(november)
    assert len(november) == 30 == len(days)
    assert (days[0], days[-1]) == (date(2025, 11, 1), date(2025, 11, 30))
    assert date(2025, 11, 30) in november
    assert date(2025, 12, 1) not in november


def test_usage_mappings_are_read_only_copies() -> None:
    calls = {"payment": 3}
    activity = Activity(calls_by_step=calls)
    calls["payment"] = 99
    assert activity.calls_by_step["payment"] == 3
    with pytest.raises(TypeError):
        activity.calls_by_step["payment"] = 4  # type: ignore[index]


@pytest.mark.parametrize(
    ("amount", "currency", "weights", "parts"),
    [
        # 100.00 by calls 2:1 -> 66.666.. and 33.333..: floors 66.66 + 33.33 = 99.99, the cent
        # goes to the larger remainder (0.666 > 0.333)
        pytest.param("100.00", "USD", {"order-to-cash": 2, "refund-to-ledger": 1},
                     {"order-to-cash": "66.67", "refund-to-ledger": "33.33"},
                     id="a partner invoice is split by calls"),
        pytest.param("1000", "JPY", {"a": 1, "b": 1, "c": 1}, {"a": "334", "b": "333", "c": "333"},
                     id="yen are split in whole yen"),
        pytest.param("10.00", "USD", {"a": 1, "b": 0}, {"a": "10.00"},
                     id="a flow without calls gets no line"),
    ],
)
def test_apportioned_spend_adds_back_to_the_line(amount: str, currency: str,
                                                 weights: dict[str, int],
                                                 parts: dict[str, str]) -> None:
    line = _line(amount=Decimal(amount), currency=currency)
    split = apportion_spend(line, weights)
    assert {s.flow: str(s.amount) for s in split} == parts
    assert sum(s.amount for s in split) == line.amount
    assert all(s.key == line.key and s.partner == "stripe" for s in split)


def test_apportioning_a_line_finer_than_its_minor_unit_is_refused() -> None:
    with pytest.raises(AllocationError, match="whole number"):
        apportion_spend(_line(amount=Decimal("10.005")), {"a": 1, "b": 1})
