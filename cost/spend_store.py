"""Imported spend lines in the warehouse table ``cost_spend`` (``warehouse/schema/
007_cost_spend.sql``). Thin adapter.

- :func:`store_spend` writes lines; the same ``(source, id)`` again replaces the stored line
  (the latest import wins), so importing a file twice stores each line once.
- :func:`load_spend` reads the lines booked on the days of a range, once each (``FINAL``);
  :func:`stored_keys` says which of some lines are stored already.

Amounts travel as their exact decimal strings. Raises
:class:`~warehouse.errors.WarehouseError` when the warehouse fails.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import pyarrow as pa

from cost.usage import DateRange, SpendLine
from warehouse.port import Warehouse

SPEND_TABLE = "cost_spend"
"""The table of imported spend lines."""

_SCHEMA = pa.schema([
    ("Source", pa.string()), ("LineId", pa.string()), ("Day", pa.date32()),
    ("Flow", pa.string()), ("Partner", pa.string()), ("Category", pa.string()),
    ("Amount", pa.string()), ("Currency", pa.string()),
    ("ImportedAt", pa.timestamp("ms", tz="UTC")),
])


def store_spend(wh: Warehouse, lines: Sequence[SpendLine], imported_at_ms: int) -> None:
    """Store ``lines`` (stamped ``imported_at_ms``, milliseconds since the epoch, which decides
    which import of a line wins)."""
    if not lines:
        return
    columns = {
        "Source": [line.source for line in lines],
        "LineId": [line.line_id for line in lines],
        "Day": [line.day for line in lines],
        "Flow": [line.flow or "" for line in lines],
        "Partner": [line.partner or "" for line in lines],
        "Category": [line.category for line in lines],
        "Amount": [f"{line.amount:f}" for line in lines],
        "Currency": [line.currency for line in lines],
        "ImportedAt": [imported_at_ms] * len(lines),
    }
    wh.insert_arrow(SPEND_TABLE, pa.table(columns, schema=_SCHEMA))


def load_spend(wh: Warehouse, period: DateRange) -> tuple[SpendLine, ...]:
    """The lines booked on the days of ``period``, ordered by day, source and id."""
    sql = (f"SELECT Source, LineId, Day, Flow, Partner, Category, Amount, "  # noqa: S608
           f"Currency FROM {wh.database}.{SPEND_TABLE} FINAL "
           "WHERE Day >= {first:Date} AND Day <= {last:Date} ORDER BY Day, Source, LineId")
    rows = wh.query(sql, {"first": period.first, "last": period.last})
    return tuple(
        SpendLine(line_id=str(line_id), day=_day(day), amount=Decimal(str(amount)),
                  currency=str(currency), category=str(category), source=str(source),
                  flow=str(flow) or None, partner=str(partner) or None)
        for source, line_id, day, flow, partner, category, amount, currency in rows)


def _day(value: object) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def stored_keys(wh: Warehouse, lines: Sequence[SpendLine]) -> set[tuple[str, str]]:
    """The ``(source, id)`` of ``lines`` already stored."""
    if not lines:
        return set()
    sql = (f"SELECT DISTINCT Source, LineId FROM {wh.database}.{SPEND_TABLE} "  # noqa: S608
           "WHERE (Source, LineId) IN (SELECT tupleElement(k, 1), tupleElement(k, 2) FROM "
           "(SELECT arrayJoin(arrayZip({sources:Array(String)}, {ids:Array(String)})) AS k))")
    rows = wh.query(sql, {"sources": [line.source for line in lines],
                          "ids": [line.line_id for line in lines]})
    return {(str(source), str(line_id)) for source, line_id in rows}
