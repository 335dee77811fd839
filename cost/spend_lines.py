"""Imported spend lines as they are submitted: JSON items and CSV rows, checked field by field.

A submitted line is a JSON object (``POST /api/v1/costs``) or a CSV row (``flowscope costs
import``, columns :data:`CSV_COLUMNS`) with the fields:

- ``id`` — the line's id, unique within its ``source`` (non-empty, at most 200 characters);
- ``date`` — the day the spend is booked on, ``YYYY-MM-DD``, from 1970 to 2199;
- ``flow`` and/or ``partner`` — whom it belongs to (at least one; empty means absent);
- ``category`` — the source's label (``licence``, ``cloud``...; non-empty);
- ``amount`` — a **decimal string** (``"12.50"``, ``"-3"`` for a credit); JSON numbers are
  refused, since a binary float is not money;
- ``currency`` — an ISO 4217 code (``USD``);
- ``source`` — the file or system the line comes from (non-empty).

Every refusal is a :class:`~cost.errors.SpendInputError` naming the line's 0-based index and
the field. The same ``(source, id)`` twice in one submission is refused at its second place.
:func:`check_against_catalog` then refuses lines the catalog cannot place, and
:func:`flow_spend` gives a flow its lines and its share of partner lines.
Pure: standard library and the cost modules only.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from catalog.errors import ParameterError
from catalog.model import Catalog, Flow
from catalog.parameters import day_within
from cost.currency import check_currency, minor_unit
from cost.errors import CostValueError, SpendInputError
from cost.money import check_amount, split_exactly
from cost.usage import SpendLine

CSV_COLUMNS = ("id", "date", "flow", "partner", "category", "amount", "currency", "source")
"""Columns of a spend CSV file (a header row naming them, in any order; extra columns are
refused so that a typo is not silently dropped)."""

MAX_TEXT = 200
"""Most characters of an id, flow, partner, category or source."""

MAX_LINES = 10_000
"""Most lines in one submission."""

_DECIMAL = re.compile(r"-?\d+(?:\.\d+)?")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _text(item: Mapping[str, Any], index: int, field: str, *, required: bool) -> str | None:
    value = item.get(field)
    if value is None or value == "":
        if required:
            raise SpendInputError(index, field, "is required")
        return None
    if not isinstance(value, str):
        raise SpendInputError(index, field, f"must be a string, got {type(value).__name__}")
    if len(value) > MAX_TEXT or value != value.strip() or not value.isprintable():
        raise SpendInputError(index, field, f"must be printable text of at most {MAX_TEXT} "
                                            f"characters without surrounding blanks")
    return value


def _required(item: Mapping[str, Any], index: int, field: str) -> str:
    value = _text(item, index, field, required=True)
    if value is None:  # pragma: no cover - _text refuses it
        raise SpendInputError(index, field, "is required")
    return value


def parse_line(item: Any, index: int) -> SpendLine:
    """One submitted line (a mapping of the fields above) as a :class:`SpendLine`."""
    if not isinstance(item, Mapping):
        raise SpendInputError(index, "line", f"must be an object, got {type(item).__name__}")
    unknown = sorted(str(k) for k in item if k not in CSV_COLUMNS)
    if unknown:
        raise SpendInputError(index, unknown[0], f"is not a spend line field (fields: "
                                                 f"{', '.join(CSV_COLUMNS)})")
    line_id = _required(item, index, "id")
    day_text = _required(item, index, "date")
    flow = _text(item, index, "flow", required=False)
    partner = _text(item, index, "partner", required=False)
    category = _required(item, index, "category")
    amount_text = item.get("amount")
    currency = _required(item, index, "currency")
    source = _required(item, index, "source")
    if not _DAY.fullmatch(day_text):
        raise SpendInputError(index, "date", f"must be a day YYYY-MM-DD, got {day_text!r}")
    try:
        day = date.fromisoformat(day_text)
    except ValueError as exc:
        raise SpendInputError(index, "date", f"is not a calendar day: {day_text!r}") from exc
    try:
        day_within("date", day)
    except ParameterError as exc:
        raise SpendInputError(index, "date", str(exc).removeprefix("date ")) from exc
    if not isinstance(amount_text, str):
        shown = "nothing" if amount_text is None else type(amount_text).__name__
        raise SpendInputError(index, "amount", f"must be a decimal string like \"12.50\", "
                                               f"got {shown}")
    if not _DECIMAL.fullmatch(amount_text):
        raise SpendInputError(index, "amount", f"must be a decimal string like \"12.50\", got "
                                               f"{amount_text[:40]!r}")
    try:
        amount = check_amount(Decimal(amount_text), "amount")
        check_currency(currency)
    except (CostValueError, InvalidOperation) as exc:
        field = "currency" if "currency" in str(exc) else "amount"
        raise SpendInputError(index, field, str(exc)) from exc
    if flow is None and partner is None:
        raise SpendInputError(index, "flow", "give a flow or a partner")
    return SpendLine(line_id=line_id, day=day, amount=amount, currency=currency,
                     category=category, source=source, flow=flow, partner=partner)


def parse_lines(items: Any) -> tuple[SpendLine, ...]:
    """Every line of a submission (a JSON array), in order; refuses a repeated
    ``(source, id)`` at its second index (field ``id``)."""
    if not isinstance(items, Sequence) or isinstance(items, str):
        raise SpendInputError(0, "lines", "must be an array of spend lines")
    if len(items) > MAX_LINES:
        raise SpendInputError(MAX_LINES, "lines", f"at most {MAX_LINES} lines per submission")
    lines: list[SpendLine] = []
    seen: dict[tuple[str, str], int] = {}
    for index, item in enumerate(items):
        line = parse_line(item, index)
        if line.key in seen:
            raise SpendInputError(index, "id", f"repeats line {seen[line.key]} "
                                               f"({line.key_text})")
        seen[line.key] = index
        lines.append(line)
    return tuple(lines)


def csv_items(text: str) -> list[dict[str, str]]:
    """The rows of a spend CSV file as submission items (empty cells left out). Raises
    :class:`~cost.errors.SpendInputError` (index 0, field ``header``) for a missing or unknown
    column."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in CSV_COLUMNS if c not in header]
    extra = [h for h in header if h not in CSV_COLUMNS]
    if missing or extra:
        problem = (f"missing column(s) {', '.join(missing)}" if missing
                   else f"unknown column(s) {', '.join(extra)}")
        raise SpendInputError(0, "header", f"{problem}; the columns are "
                                           f"{','.join(CSV_COLUMNS)}")
    reader.fieldnames = header
    return [{k: v.strip() for k, v in row.items() if isinstance(k, str) and v and v.strip()}
            for row in reader]


def line_json(line: SpendLine) -> dict[str, str | None]:
    """A line as the API returns it (amount as a decimal string, exactly as stored)."""
    return {"id": line.line_id, "date": line.day.isoformat(), "flow": line.flow,
            "partner": line.partner, "category": line.category, "amount": f"{line.amount:f}",
            "currency": line.currency, "source": line.source}


def flow_spend(flow: Flow, flows: Sequence[Flow], lines: Iterable[SpendLine],
               partner_calls: Mapping[tuple[str, date], Mapping[str, int]]
               ) -> tuple[SpendLine, ...]:
    """The spend lines of ``flow``: its own lines whole, and its share of every partner line
    (a line without a flow whose partner one of its steps names).

    A partner line is split over ``flows`` (the costed flows) that name its partner, in
    proportion to their calls to the partner on the line's day (``partner_calls[(flow, day)]
    [partner]``), or equally when none of them called it that day; the split is exact
    (:func:`cost.money.split_exactly`, in the currency's minor unit or the line's own decimal
    places when it has more), so the shares of all flows add up to the line.
    """
    mine: list[SpendLine] = []
    for line in lines:
        if line.flow:
            if line.flow == flow.name:
                mine.append(line)
            continue
        if line.partner is None or line.partner not in flow.partners():
            continue
        users = [f.name for f in flows if line.partner in f.partners()]
        if flow.name not in users:
            users.append(flow.name)
        weights = [partner_calls.get((u, line.day), {}).get(line.partner, 0) for u in users]
        if not any(weights):
            weights = [1] * len(users)
        exponent = line.amount.as_tuple().exponent
        places = max(minor_unit(line.currency), -exponent if isinstance(exponent, int) else 0)
        share = split_exactly(line.amount, weights, places=places)[users.index(flow.name)]
        if share != 0:
            mine.append(replace(line, flow=flow.name, amount=share))
    return tuple(mine)


def check_against_catalog(lines: Sequence[SpendLine], catalog: Catalog) -> None:
    """Refuse (:class:`~cost.errors.SpendInputError`) a line whose flow is not a costed flow
    of ``catalog``, whose partner no costed flow's step names, or whose currency differs from
    the cost currency of the flow (of every flow naming the partner, for partner lines)."""
    costed = [f for f in catalog.flows if f.cost is not None]
    for index, line in enumerate(lines):
        if line.flow:
            owners = [f for f in costed if f.name == line.flow]
            if not owners:
                known = ", ".join(f.name for f in costed) or "none"
                raise SpendInputError(index, "flow", f"{line.flow!r} is not a flow with a cost "
                                                     f"model in the catalog (flows: {known})")
        else:
            owners = [f for f in costed if line.partner in f.partners()]
            if not owners:
                raise SpendInputError(index, "partner", f"no costed flow has a step with "
                                                        f"partner {line.partner!r}")
        currencies = sorted({f.cost.currency for f in owners if f.cost is not None})
        if currencies != [line.currency]:
            raise SpendInputError(index, "currency", f"{line.currency} differs from the cost "
                                                     f"currency {', '.join(currencies)} of "
                                                     f"{', '.join(f.name for f in owners)}")
