"""``--catalog`` takes a file or a folder mixing flowscope catalogs and OpenSLO documents; every
problem of every file comes in one pass."""

from __future__ import annotations

import json
import textwrap
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from catalog.check import check_file
from catalog.errors import CatalogFileError, CatalogValidationError
from catalog.model import LatencySpec
from catalog.sources import catalog_dir, load_catalog_sources, read_sources

FLOWS = textwrap.dedent("""\
    apiVersion: flowscope/v1
    flows:
      - name: order-to-cash
        correlation_key: order.id
        start: {event: OrderPlaced}
        success: {event: InvoicePosted}
        slos:
          - {name: success-rate, objective: 99.9, period: 30d}
    """)
MORE_FLOWS = textwrap.dedent("""\
    apiVersion: flowscope/v1
    redaction:
      - {key: user.email, action: hash}
    flows:
      - name: lead-to-demo
        correlation_key: lead.id
        start: {event: LeadCreated}
        success: {event: DemoBooked}
    """)
SLO = textwrap.dedent("""\
    apiVersion: openslo/v1
    kind: SLO
    metadata: {name: {name}}
    spec:
      budgetingMethod: Occurrences
      timeWindow: [{duration: 28d, isRolling: true}]
      objectives: [{op: lte, value: {value}, target: 0.99}]
      alertPolicies:
      indicator:
        spec:
          thresholdMetric:
            metricSource: {type: flowscope, spec: {flow: {flow}, metric: flow_time}}
    """)
WINDOWS = textwrap.dedent("""\
    apiVersion: flowscope/v1
    kind: AlertWindows
    period: 28d
    tiers:
      - {severity: page, budget_percent: 2, long_window: 1h, short_window: 5m}
    """)


def slo(name: str = "fast", value: str = "2m", flow: str = "order-to-cash") -> str:
    return SLO.replace("{name}", name).replace("{value}", value).replace("{flow}", flow)


def folder(tmp_path: Path, **files: str) -> Path:
    path = tmp_path / "catalog"
    path.mkdir()
    for name, text in files.items():
        (path / name.replace("_", ".", 1) if "_" in name else path / name).write_text(text)
    return path


def test_a_folder_mixes_catalogs_and_openslo_slos(tmp_path: Path) -> None:
    path = folder(tmp_path, **{"a.yaml": FLOWS, "b.yml": MORE_FLOWS + "---\n" + slo(
        "booked", "1h", "lead-to-demo"), "c.yaml": slo(), "google-28d.yaml": WINDOWS,
        "notes.txt": "not a catalog", ".hidden.yaml": "broken: ["})
    catalog = load_catalog_sources(path)
    assert [f.name for f in catalog.flows] == ["order-to-cash", "lead-to-demo"]
    assert [r.key for r in catalog.redaction] == ["user.email"]
    order, lead = catalog.flows
    assert [(s.name, s.latency) for s in order.slos] == [
        ("success-rate", None), ("fast", LatencySpec(threshold=timedelta(minutes=2)))]
    assert [(s.name, s.objective, s.period) for s in lead.slos] == [
        ("booked", Decimal("99"), timedelta(days=28))]
    assert catalog_dir(path) == path.resolve()
    assert catalog_dir(path / "a.yaml") == path.resolve()


def test_one_file_may_hold_several_documents_of_both_kinds(tmp_path: Path) -> None:
    path = tmp_path / "all.yaml"
    path.write_text(slo() + "---\n" + FLOWS + "---\n" + MORE_FLOWS)
    catalog = load_catalog_sources(path)
    assert [[s.name for s in f.slos] for f in catalog.flows] == [["success-rate", "fast"], []]


def test_every_problem_of_every_file_comes_in_one_pass(tmp_path: Path) -> None:
    path = folder(tmp_path, **{
        "a.yaml": FLOWS.replace("objective: 99.9", "objective: 120"),
        "b.yaml": FLOWS,
        "c.yaml": slo(value="500") + "---\n" + slo("booked", flow="lead-to-dem0"),
    })
    with pytest.raises(CatalogValidationError) as caught:
        load_catalog_sources(path)
    found = [(Path(p.file).name, p.line, p.field, p.message) for p in caught.value.problems]
    assert [(f, line, field) for f, line, field, _ in found] == [
        ("a.yaml", 8, "flows[0].slos[0].objective"),
        ("b.yaml", 3, "flows[0].name"),
        ("c.yaml", 7, "spec.objectives[0].value"),
        ("c.yaml", 25, "spec.indicator.spec.thresholdMetric.metricSource.spec.flow"),
    ]
    assert found[1][3] == f"flow 'order-to-cash' is already defined in {path / 'a.yaml'} line 3"
    assert "500 has no unit" in found[2][3]
    assert "unknown flow 'lead-to-dem0'" in found[3][3]


def test_an_slo_for_a_flow_whose_definition_is_broken_is_not_called_unknown(
        tmp_path: Path) -> None:
    path = tmp_path / "all.yaml"
    path.write_text(FLOWS.replace("correlation_key: order.id", "correlation_key: 7") + "---\n"
                    + slo())
    with pytest.raises(CatalogValidationError) as caught:
        load_catalog_sources(path)
    assert [p.field for p in caught.value.problems] == ["flows[0].correlation_key"]


@pytest.mark.parametrize(
    ("files", "message"),
    [
        pytest.param({"c.yaml": slo()}, "OpenSLO SLOs need the flows they measure",
                     id="OpenSLO alone has no flows to serve"),
        pytest.param({}, "the folder holds no .yaml or .yml file", id="an empty folder"),
        pytest.param({"a.yaml": FLOWS + "---\n" + MORE_FLOWS.replace("lead-to-demo",
                                                                      "order-to-cash")},
                     "flow 'order-to-cash' is already defined in", id="a flow defined twice"),
        pytest.param({"a.yaml": MORE_FLOWS, "b.yaml": MORE_FLOWS.replace("lead", "deal")},
                     "redaction rule for 'user.email' is already defined in",
                     id="a redaction key defined in two files"),
    ],
)
def test_a_folder_that_cannot_be_served_says_why(tmp_path: Path, files: dict[str, str],
                                                 message: str) -> None:
    with pytest.raises(CatalogValidationError) as caught:
        load_catalog_sources(folder(tmp_path, **files))
    assert any(message in p.message for p in caught.value.problems), caught.value.problems


def test_a_missing_path_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(CatalogFileError, match="cannot read"):
        load_catalog_sources(tmp_path / "absent.yaml")


def test_check_json_lists_what_was_imported(tmp_path: Path) -> None:
    path = folder(tmp_path, **{"a.yaml": FLOWS, "c.yaml": slo() + "---\n" + slo(
        "monthly", "500ms").replace("{duration: 28d, isRolling: true}", "{duration: 1M, "
                                    "calendar: {startTime: 2026-01-01, timeZone: UTC}}")})
    report = check_file(path)
    assert report.ok
    data = json.loads(json.dumps(report.to_dict()))
    assert (data["format"], data["flows"], data["slos"]) == ("mixed", 1, 3)
    assert [Path(f).name for f in data["files"]] == ["a.yaml", "c.yaml"]
    assert data["imported"] == [
        {"flow": "order-to-cash", "name": "fast", "file": str(path / "c.yaml"),
         "objective": "99", "period": "4w", "calendar": None, "timezone": None,
         "latency_threshold": "2m", "budgeting": "occurrences", "timeslice": None,
         "timeslice_target": None},
        {"flow": "order-to-cash", "name": "monthly", "file": str(path / "c.yaml"),
         "objective": "99", "period": None, "calendar": "month", "timezone": "UTC",
         "latency_threshold": "500ms", "budgeting": "occurrences", "timeslice": None,
         "timeslice_target": None},
    ]
    lines = report.render().splitlines()
    assert lines[0] == f"OK {path}: 1 flow, 3 SLOs, 0 steps, 0 redaction rules"
    assert lines[-3:] == [
        "  imported from OpenSLO: 2 SLOs",
        "    order-to-cash/fast: 99% of runs within 2m over 4w rolling, occurrences",
        "    order-to-cash/monthly: 99% of runs within 500ms over each calendar month in UTC, "
        "occurrences",
    ]


def test_check_reads_openslo_alone_without_checking_flows(tmp_path: Path) -> None:
    report = check_file(folder(tmp_path, **{"c.yaml": slo()}))
    assert report.ok and not report.flows_checked
    assert report.to_dict()["format"] == "openslo/v1"
    assert [i["name"] for i in report.to_dict()["imported"]] == ["fast"]  # type: ignore[index,union-attr]


def test_read_sources_reports_instead_of_raising(tmp_path: Path) -> None:
    sources = read_sources(tmp_path / "absent.yaml")
    assert sources.catalog is None and len(sources.problems) == 1
