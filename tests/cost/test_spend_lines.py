"""Spend lines as submitted: CSV headers, and partner spend split exactly over flows."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from catalog.model import Step
from cost.errors import SpendInputError
from cost.spend_lines import csv_items, flow_spend, parse_lines
from cost.usage import SpendLine
from tests.cost.flows import ORDER_TO_CASH

DAY = date(2026, 4, 2)
A = replace(ORDER_TO_CASH, name="a")
B = replace(ORDER_TO_CASH, name="b", steps=(Step("refund", service="payments", partner="stripe"),))
C = replace(ORDER_TO_CASH, name="c", steps=(Step("pay", service="pay", partner="stripe"),))


def _partner_line(amount: str) -> SpendLine:
    return SpendLine(line_id="inv", day=DAY, amount=Decimal(amount), currency="USD",
                     category="fees", source="stripe", partner="stripe")


@pytest.mark.parametrize(("amount", "calls", "expected"), [
    ("100.00", {"a": 0, "b": 0, "c": 0}, ["33.34", "33.33", "33.33"]),
    ("100.00", {"a": 3, "b": 1, "c": 0}, ["75.00", "25.00", None]),
    ("0.000003", {"a": 1, "b": 1, "c": 1}, ["0.000001", "0.000001", "0.000001"]),
    ("-10.00", {"a": 1, "b": 1, "c": 0}, ["-5.00", "-5.00", None]),
], ids=["without calls the flows share equally, to the cent",
        "with calls the shares follow them",
        "an amount finer than a cent is split in its own places",
        "a credit is split like a charge"])
def test_partner_spend_is_split_exactly(amount: str, calls: dict[str, int],
                                        expected: list[str | None]) -> None:
    line = _partner_line(amount)
    weights = {(name, DAY): {"stripe": n} for name, n in calls.items()}
    shares = []
    for flow in (A, B, C):
        mine = flow_spend(flow, [A, B, C], [line], weights)
        shares.append(f"{mine[0].amount:f}" if mine else None)
    assert shares == expected
    assert sum((Decimal(s) for s in shares if s), Decimal(0)) == Decimal(amount)


def test_a_flow_line_goes_to_its_flow_whole() -> None:
    line = replace(_partner_line("12.50"), flow="b", partner=None)
    assert [flow_spend(f, [A, B], [line], {}) for f in (A, B)] == [(), (line,)]


@pytest.mark.parametrize(("text", "words"), [
    ("id,date,flow,category,amount,currency,source\n", "missing column(s) partner"),
    ("id,date,flow,partner,category,amount,currency,source,extra\n", "unknown column(s) extra"),
], ids=["a missing column is named", "an extra column is named"])
def test_csv_headers_are_checked(text: str, words: str) -> None:
    with pytest.raises(SpendInputError, match=r"field 'header'") as caught:
        csv_items(text)
    assert words in str(caught.value)


def test_csv_rows_become_lines_with_empty_cells_absent() -> None:
    text = ("id,date,flow,partner,category,amount,currency,source\n"
            "x,2026-04-02,,stripe,fees, 1.5 ,USD,bank\n")
    (line,) = parse_lines(csv_items(text))
    assert (line.flow, line.partner, line.amount) == (None, "stripe", Decimal("1.5"))
