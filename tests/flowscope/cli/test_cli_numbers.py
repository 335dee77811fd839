"""The CLI's tables read numbers like the pages: human times, verdict-keeping percentages and
unit costs to 3 significant digits (rendered by rich, no server)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from flowscope.cli.cost import breakdown_table, summary_table
from flowscope.cli.slo import status_table
from flowscope.cli.trace import render_timeline


def _text(table: Table) -> str:
    console = Console(width=200, record=True, color_system=None)
    console.print(table)
    return console.export_text()


def test_a_trace_reads_offsets_and_waits_in_human_units() -> None:
    body = {"correlation_id": "R-41", "flow": "refund-to-ledger", "items": [
        {"time": "2026-12-02T10:00:00Z", "duration_ms": 0, "kind": "event",
         "service": "refunds", "name": "RefundRequested", "status": "unset"},
        {"time": "2026-12-02T10:00:01Z", "duration_ms": 200.0, "kind": "span",
         "service": "ledger", "name": "post", "status": "ok"},
        {"time": "2026-12-02T10:41:31Z", "duration_ms": 0, "kind": "event",
         "service": "refunds", "name": "RefundPosted", "status": "ok"}]}
    lines = _text(render_timeline(body)).splitlines()
    posted = next(line for line in lines if "RefundPosted" in line)
    assert "41 min 31 s" in posted and "41 min 30 s" in posted and "ms" not in posted
    assert "200 ms" in next(line for line in lines if "post " in line)


def _cost(**changes: Any) -> dict[str, Any]:
    body = {"flow": "refund-to-ledger", "from": "2026-11-03", "to": "2026-12-03",
            "currency": "USD", "runs_started": 50, "successes": 48, "failures": 2,
            "total_cost": "0.02", "cost_per_success": "0.000416666666666667",
            "failure_cost": "0.00", "failure_cost_per_run": "0.0004",
            "marginal_cost_per_run": "0.0004",
            "breakdown": [{"category": "per_call", "label": "step:ledger", "step": "ledger",
                           "partner": "bank", "quantity": "50", "unit": "call",
                           "unit_price": "0.0004", "amount": "0.02"}]}
    body.update(changes)
    return body


def test_the_cost_tables_keep_sub_cent_unit_costs() -> None:
    summary = _text(summary_table([_cost(), _cost(flow="big", total_cost="1234567.891",
                                                  cost_per_success=None)]))
    assert "USD 0.000417" in summary and "USD 0.0004" in summary
    assert "USD 1,234,567.89" in summary and "—" in summary
    lines = _text(breakdown_table(_cost())).splitlines()
    ledger = next(line for line in lines if "step:ledger" in line)
    assert "50 call" in ledger and "USD 0.0004" in ledger and "USD 0.02" in ledger


def test_the_slo_table_tells_the_sli_from_its_objective() -> None:
    body = {"flow": "lead-to-demo", "slos": [{
        "name": "success-rate", "objective": 99.9, "period": "30d", "sli": 749 / 750,
        "budget_remaining": -0.3333333, "windows": {"1h": {"burn_rate": 0.0}}, "alerts": [],
        "exhaustion": {"in_seconds": 2490.0}}]}
    row = next(line for line in _text(status_table([body])).splitlines()
               if "lead-to-demo" in line)
    assert "99.9 % / 30d" in row and "99.87 %" in row and "-33.3 %" in row
    assert "41 min 30 s" in row
