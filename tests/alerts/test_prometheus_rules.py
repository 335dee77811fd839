"""The Prometheus rule file: golden text, `promtool check rules`, and `promtool test rules`
cases that must fire and cases that must not."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from alerts.errors import RuleRenderError
from alerts.facts import load_rule_set
from alerts.prometheus_rules import render_prometheus_rules
from catalog.model import Catalog, Flow, SLOSpec
from catalog.spec import load_catalog
from flowscope.cli import app
from tests.alerts.conftest import require_binary

HERE = Path(__file__).parent
CATALOG = HERE / "catalog.yaml"
GOLDEN = HERE / "golden" / "prometheus_rules.yml"
UPDATE = "FLOWSCOPE_UPDATE_GOLDEN"


@pytest.fixture(scope="module")
def rules_text() -> str:
    return render_prometheus_rules(load_rule_set(load_catalog(CATALOG)))


def test_the_rule_file_matches_the_golden_file(rules_text: str) -> None:
    if os.environ.get(UPDATE):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(rules_text, encoding="utf-8")
    assert rules_text == GOLDEN.read_text(encoding="utf-8"), (
        f"the rule file changed; review it and rerun with {UPDATE}=1 to accept")


def test_promtool_accepts_the_rule_file(rules_text: str, tmp_path: Path) -> None:
    promtool = require_binary("promtool")
    path = tmp_path / "rules.yml"
    path.write_text(rules_text)
    result = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    # 7 windows, 4 SLOs x 2 severities, 4 outcome rules
    assert "SUCCESS: 19 rules found" in result.stdout


def series(flow: str, slo: str, good: str, bad: str) -> list[dict[str, str]]:
    selector = f'flowscope_slo_events_total{{flow="{flow}",slo="{slo}",result="%s"}}'
    return [{"series": selector % "good", "values": good},
            {"series": selector % "bad", "values": bad}]


def expected(flow: str, slo: str, severity: str, owner: str, value: str, tiers: str,
             objective: str, runbook: str | None) -> dict[str, Any]:
    annotations = {"summary": f"{value} of {flow} runs were bad for SLO {slo} ({objective}) over "
                              f"the alerting window: its error budget burns too fast "
                              f"({severity} tiers {tiers})"}
    if runbook:
        annotations["runbook_url"] = runbook
    return {"exp_labels": {"flow": flow, "slo": slo, "severity": severity, "owner": owner},
            "exp_annotations": annotations}


PAGE_TIERS, TICKET_TIERS = "1h/5m, 6h/30m", "1d/2h, 3d/6h"
RUNBOOK = "https://runbooks.example.com/slos/order-to-cash-success"


def order(severity: str, value: str) -> dict[str, Any]:
    tiers = PAGE_TIERS if severity == "page" else TICKET_TIERS
    return expected("order-to-cash", "success-rate", severity, "payments-team", value, tiers,
                    "99.9 %", RUNBOOK)


@pytest.mark.parametrize(
    ("inputs", "eval_time", "alerts"),
    [
        pytest.param(series("order-to-cash", "success-rate", "0+980x120", "0+20x120"), "70m",
                     [order("page", "2%"), order("ticket", "2%")],
                     id="a 2 percent error ratio pages and tickets"),
        pytest.param(series("order-to-cash", "success-rate", "0+995x420", "0+5x420"), "420m",
                     [order("ticket", "0.5%")],
                     id="a slow burn of 0.5 percent tickets but does not page"),
        pytest.param(series("order-to-cash", "success-rate", "0+1000x420 420000+950x5",
                            "0+0x420 0+50x5"), "425m", [],
                     id="a five-minute blip that the long windows do not see wakes nobody"),
        pytest.param(series("order-to-cash", "success-rate", "0+9995x420", "0+5x420"), "420m",
                     [], id="a healthy flow stays quiet"),
        pytest.param(series("lead-to-demo", "booked-rate", "0+50x120", "0+50x120"), "70m",
                     [expected("lead-to-demo", "booked-rate", "page", "unassigned", "50%",
                               PAGE_TIERS, "98.0 %", None),
                      expected("lead-to-demo", "booked-rate", "ticket", "unassigned", "50%",
                               TICKET_TIERS, "98.0 %", None)],
                     id="a 28-day SLO uses factors scaled to its period"),
    ],
)
def test_promtool_fires_exactly_the_expected_alerts(
        rules_text: str, tmp_path: Path, inputs: list[dict[str, str]], eval_time: str,
        alerts: list[dict[str, Any]]) -> None:
    promtool = require_binary("promtool")
    (tmp_path / "rules.yml").write_text(rules_text)
    tests = {
        "rule_files": ["rules.yml"],
        "evaluation_interval": "1m",
        "tests": [{
            "interval": "1m",
            "input_series": inputs,
            "alert_rule_test": [{"eval_time": eval_time, "alertname": "FlowSLOBudgetBurn",
                                 "exp_alerts": alerts}],
        }],
    }
    (tmp_path / "tests.yml").write_text(yaml.safe_dump(tests, sort_keys=False))
    result = subprocess.run([promtool, "test", "rules", "tests.yml"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def runs(outcome: str, values: str, flow: str = "order-to-cash") -> dict[str, str]:
    return {"series": f'flowscope_flow_runs_total{{flow="{flow}",outcome="{outcome}"}}',
            "values": values}


def gauge(name: str, values: str, **labels: str) -> dict[str, str]:
    selector = ",".join(f'{k}="{v}"' for k, v in {"flow": "order-to-cash", **labels}.items())
    return {"series": f"{name}{{{selector}}}", "values": values}


def outcome(alertname: str, rule: str, severity: str, summary: str,
            runbook: str = "https://runbooks.example.com/flows/order-to-cash",
            **labels: str) -> dict[str, Any]:
    return {"exp_labels": {"flow": "order-to-cash", "severity": severity,
                           "owner": "payments-team", "rule": rule, **labels},
            "exp_annotations": {"summary": summary, "runbook_url": runbook}}


IN_MAINTENANCE = gauge("flowscope_flow_maintenance", "1x120")
NOT_IN_MAINTENANCE = gauge("flowscope_flow_maintenance", "0x120")
FAILING = [runs("failed", "0+1x120"), runs("succeeded", "0+9x120")]
RATIO = outcome("FlowFailureRatio", "invoices-failing", "page",
                "10% of order-to-cash runs failed over the last 1h (the rule allows 3 %)")
AGE = outcome("FlowDeadLetterAge", "dead-letters", "ticket",
              "the oldest waiting dead letter of order-to-cash has waited 20m 0s (the rule "
              "allows 15m)")
ABSENT = outcome("FlowNoSuccess", "no-invoices", "page",
                 "no order-to-cash run succeeded in the last 30m while 30 started",
                 runbook="https://runbooks.example.com/no-invoices")
LOW = outcome("FlowBudgetLow", "budget-policy", "ticket",
              "40% of the error budget of SLO success-rate of order-to-cash is left (the policy "
              "acts below 50 %)", runbook=RUNBOOK, slo="success-rate")


@pytest.mark.parametrize(
    ("alertname", "inputs", "eval_time", "alerts"),
    [
        pytest.param("FlowFailureRatio", [*FAILING, NOT_IN_MAINTENANCE], "70m", [RATIO],
                     id="one run in ten failing over the hour fires"),
        pytest.param("FlowFailureRatio", [*FAILING, NOT_IN_MAINTENANCE], "3m", [],
                     id="the failure ratio waits for its for duration"),
        pytest.param("FlowFailureRatio", [runs("failed", "0+2x120"), runs("succeeded",
                     "0+98x120"), NOT_IN_MAINTENANCE], "70m", [],
                     id="two runs in a hundred stay under the 3 percent rule"),
        pytest.param("FlowFailureRatio", [runs("failed", "0+0.1x120"), runs("succeeded",
                     "0+0x120"), NOT_IN_MAINTENANCE], "70m", [],
                     id="too few determinate runs never fire"),
        pytest.param("FlowFailureRatio", [*FAILING, IN_MAINTENANCE], "70m", [],
                     id="a flow in maintenance does not fire"),
        pytest.param("FlowDeadLetterAge", [gauge("flowscope_dead_letter_oldest_age_seconds",
                                                 "0+60x60"), NOT_IN_MAINTENANCE], "20m", [AGE],
                     id="a dead letter waiting twenty minutes fires"),
        pytest.param("FlowDeadLetterAge", [gauge("flowscope_dead_letter_oldest_age_seconds",
                                                 "0+60x60"), NOT_IN_MAINTENANCE], "10m", [],
                     id="a dead letter waiting ten minutes does not"),
        pytest.param("FlowNoSuccess", [runs("started", "0+1x60"), runs("succeeded", "0x60"),
                                       NOT_IN_MAINTENANCE], "40m", [ABSENT],
                     id="runs starting while none succeeds fire"),
        pytest.param("FlowNoSuccess", [runs("started", "0+1x60"), NOT_IN_MAINTENANCE], "40m",
                     [ABSENT], id="no success series at all fires too"),
        pytest.param("FlowNoSuccess", [runs("started", "0+1x60"), runs("succeeded", "0+1x60"),
                                       NOT_IN_MAINTENANCE], "40m", [],
                     id="runs succeeding keep it quiet"),
        pytest.param("FlowNoSuccess", [runs("started", "0x60"), runs("succeeded", "0x60"),
                                       NOT_IN_MAINTENANCE], "40m", [],
                     id="no traffic at all is not an absence"),
        pytest.param("FlowBudgetLow", [gauge("flowscope_slo_budget_remaining_ratio", "0.4x30",
                                             slo="success-rate"), NOT_IN_MAINTENANCE], "10m",
                     [LOW], id="forty percent of the budget left fires below fifty"),
        pytest.param("FlowBudgetLow", [gauge("flowscope_slo_budget_remaining_ratio", "0.6x30",
                                             slo="success-rate"), NOT_IN_MAINTENANCE], "10m", [],
                     id="sixty percent left does not"),
    ],
)
def test_promtool_fires_exactly_the_expected_outcome_alerts(
        rules_text: str, tmp_path: Path, alertname: str, inputs: list[dict[str, str]],
        eval_time: str, alerts: list[dict[str, Any]]) -> None:
    promtool = require_binary("promtool")
    (tmp_path / "rules.yml").write_text(rules_text)
    tests = {
        "rule_files": ["rules.yml"],
        "evaluation_interval": "1m",
        "tests": [{"interval": "1m", "input_series": inputs,
                   "alert_rule_test": [{"eval_time": eval_time, "alertname": alertname,
                                        "exp_alerts": alerts}]}],
    }
    (tmp_path / "tests.yml").write_text(yaml.safe_dump(tests, sort_keys=False))
    result = subprocess.run([promtool, "test", "rules", "tests.yml"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_unknown_window_catalog_cannot_be_rendered() -> None:
    flow = Flow(name="f", correlation_key="k", alerting_windows="nope",
                slos=(SLOSpec(name="s", objective=load_catalog(CATALOG).flows[0].slos[0]
                              .objective, period=None, calendar="month", timezone="UTC"),))
    with pytest.raises(RuleRenderError, match="no window catalog named 'nope'"):
        render_prometheus_rules(load_rule_set(Catalog(flows=(flow,))))


def test_the_command_prints_the_rule_file_or_writes_it(rules_text: str, tmp_path: Path) -> None:
    runner = CliRunner()
    printed = runner.invoke(app, ["rules", "prometheus", "--catalog", str(CATALOG)])
    assert printed.exit_code == 0, printed.output
    assert printed.stdout == rules_text
    target = tmp_path / "rules.yml"
    written = runner.invoke(app, ["rules", "prometheus", "--catalog", str(CATALOG), "-o",
                                  str(target)])
    assert written.exit_code == 0, written.output
    assert target.read_text() == rules_text


def test_the_command_needs_a_catalog(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLOWSCOPE_CATALOG", raising=False)
    result = CliRunner().invoke(app, ["rules", "prometheus"])
    assert result.exit_code == 1
    assert "give --catalog FILE" in result.output
