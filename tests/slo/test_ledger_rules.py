"""What the run ledger needs of a flow, and when a catalog change rebuilds it (pure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from catalog.model import FailureMatcher, LatencySpec, Matcher, SLOSpec, Step
from slo.ledger import chunk_bounds
from slo.ledger_rules import LedgerRules
from slo.runs import operation_key
from tests.slo.conftest import catalog_flow

BASE = catalog_flow("orders", steps=(Step("checkout", service="storefront"),
                                     Step("charge", service="payments", partner="stripe"),
                                     Step("refund", service="payments", span="refund",
                                          partner="stripe"),
                                     Step("erp", service="erp-sync", partner="netsuite")))


@pytest.mark.parametrize(("change", "rebuilds"), [
    pytest.param({"slos": tuple(replace(s, objective=Decimal("95")) for s in BASE.slos)}, False,
                 id="an objective changes: no rebuild"),
    pytest.param({"alerting_windows": "google-7d"}, False, id="alert windows change: no rebuild"),
    pytest.param({"slos": (SLOSpec("fast", Decimal("90"), timedelta(days=30),
                                   latency=LatencySpec(timedelta(minutes=5))),)}, True,
                 id="a latency threshold changes: rebuild"),
    pytest.param({"failure": FailureMatcher(events=("PaymentFailed",))}, True,
                 id="dead letters stop failing the run: rebuild"),
    pytest.param({"success": Matcher(service="erp-sync", span="post")}, True,
                 id="the success matcher changes: rebuild"),
    pytest.param({"steps": BASE.steps[:2]}, True, id="a step is removed: rebuild"),
    pytest.param({"steps": (replace(BASE.steps[0], name="basket"), *BASE.steps[1:])}, False,
                 id="a step is renamed: no rebuild"),
])
def test_the_fingerprint_changes_exactly_with_what_shapes_the_ledger(
        change: dict[str, object], rebuilds: bool) -> None:
    before = LedgerRules.of(BASE).fingerprint
    after = LedgerRules.of(replace(BASE, **change)).fingerprint  # type: ignore[arg-type]
    assert (before != after) == rebuilds


def test_modes_are_the_distinct_thresholds_ascending() -> None:
    rules = LedgerRules.of(BASE)
    assert rules.modes == 2 and rules.mode(None) == 0 and rules.mode(timedelta(minutes=2)) == 1


@pytest.mark.parametrize(("key", "steps", "partners"), [
    pytest.param(operation_key("payments", "charge", "span"), 0b0010, 0b01,
                 id="a payments span is the charge step's, a stripe call"),
    pytest.param(operation_key("payments", "refund", "span"), 0b0110, 0b01,
                 id="a refund span is in two stripe steps: one stripe call"),
    pytest.param(operation_key("erp-sync", "post", "event"), 0b1000, 0b10,
                 id="an erp-sync event is the erp step's, a netsuite call"),
    pytest.param(operation_key("mailer", "send", "span"), 0, 0, id="no step: no masks"),
])
def test_masks_follow_the_operation_matches(key: str, steps: int, partners: int) -> None:
    assert LedgerRules.of(BASE).masks(key) == (steps, partners)


@pytest.mark.parametrize(("sample", "chunks", "expected"), [
    pytest.param(["a", "b", "c", "d"], 2, ["c"], id="two chunks split in the middle"),
    pytest.param(["a", "b", "c", "d"], 1, [], id="one chunk needs no bound"),
    pytest.param(["a", "a", "a", "a"], 3, ["a"], id="repeated ids give fewer bounds"),
    pytest.param([], 4, [], id="no ids, no bounds"),
])
def test_rebuild_chunks_split_the_ids(sample: list[str], chunks: int,
                                      expected: list[str]) -> None:
    assert chunk_bounds(sample, chunks) == expected
