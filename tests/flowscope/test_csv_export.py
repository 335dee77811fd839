"""CSV of the read routes: rows from JSON bodies, and the CSV text (pure, no server)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from catalog.model import SLOSpec
from flowscope.csv_export import csv_text, rows_of
from slo.attribution import PartnerBudget, StepBudget
from slo.attribution_report import FlowAttribution, SloAttribution
from slo.documents import attribution_json

AT = datetime(2026, 3, 10, 12, tzinfo=UTC)


def test_values_keep_their_text_and_empties_stay_empty() -> None:
    text = csv_text([{"flow": "a,b", "cost": "0.000416666666666667", "ok": True, "none": None},
                     {"flow": "c", "steps": ["payment", "erp-sync"]}])
    assert text.splitlines() == ["flow,cost,ok,none,steps",
                                 '"a,b",0.000416666666666667,true,,', "c,,,,payment erp-sync"]


def test_the_attribution_body_gives_one_row_per_slo_and_step() -> None:
    spec = SLOSpec("success-rate", Decimal("99"), None, calendar="month")
    body = attribution_json(FlowAttribution("order-to-cash", AT, (SloAttribution(
        spec, AT.replace(day=1), AT, 200, 3,
        (PartnerBudget("stripe", 2, 1.0, ("payment",)),
         PartnerBudget("before any step", 1, 0.5, ())),
        (StepBudget("payment", "stripe", 2, 1.0), StepBudget(None, None, 1, 0.5))),)))
    rows = rows_of("/api/v1/flows/order-to-cash/attribution", body)
    assert rows is not None
    assert [(r["slo"], r["step"], r["partner"], r["bad"], r["budget_used"]) for r in rows] == [
        ("success-rate", "payment", "stripe", 2, 1.0), ("success-rate", None, None, 1, 0.5)]
    assert rows[0]["slo_budget_used"] == pytest.approx(1.5)  # 3 bad of the 2 allowed


def test_a_correlation_gives_one_row_per_item_and_other_routes_none() -> None:
    body = {"correlation_id": "A-1", "flow": "f", "items": [
        {"kind": "span", "name": "charge", "duration_ms": 12.5}]}
    assert rows_of("/api/v1/correlations/A-1", body) == [
        {"correlation_id": "A-1", "flow": "f", "kind": "span", "name": "charge",
         "duration_ms": 12.5}]
    assert rows_of("/api/v1/silences", {}) is None
