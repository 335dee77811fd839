"""``flowscope check FILE``: OK with a summary, or every problem; never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalog.check import check_file
from catalog.errors import CatalogFileError
from catalog.spec import load_catalog

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "catalog.yaml"


def test_a_valid_catalog_is_ok_with_a_summary() -> None:
    report = check_file(EXAMPLE)
    assert report.ok
    assert (report.flows, report.slos, report.steps, report.redaction_rules) == (3, 6, 10, 3)
    text = report.render()
    assert text.splitlines()[0] == (
        f"OK {EXAMPLE}: 3 flows, 6 SLOs, 10 steps, 3 redaction rules"
    )
    assert "  order-to-cash: key order.id, 4 steps, 2 SLOs, cost in USD" in text
    assert report.to_dict()["flow_names"] == ["order-to-cash", "lead-to-demo", "refund-to-ledger"]


def test_an_invalid_catalog_reports_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text("apiVersion: flowscope/v1\nflows:\n  - {name: a}\n  - {name: a}\n")
    report = check_file(path)
    assert not report.ok
    assert report.flows == 0
    lines = report.render().splitlines()
    assert lines[0] == f"INVALID {path}: 3 problems"
    assert lines[1:] == [
        f"{path}:3:5: flows[0].correlation_key: is required",
        f"{path}:4:5: flows[1].correlation_key: is required",
        f"{path}:4:12: flows[1].name: duplicate flow name 'a' (first defined on line 3)",
    ]
    problems = report.to_dict()["problems"]
    assert isinstance(problems, list) and problems[0]["line"] == 3


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        pytest.param(None, "cannot read", id="a missing file is reported"),
        pytest.param(b"apiVersion: \xff\xfe\n", "is not UTF-8 text", id="binary junk is reported"),
        pytest.param(b"flows: [\n", "invalid YAML", id="unparsable YAML is reported"),
    ],
)
def test_an_unloadable_file_is_reported_not_raised(tmp_path: Path, content: bytes | None,
                                                   fragment: str) -> None:
    path = tmp_path / "catalog.yaml"
    if content is not None:
        path.write_bytes(content)
    report = check_file(path)
    assert not report.ok
    (problem,) = report.problems
    assert problem.file == str(path)
    assert fragment in problem.message


def test_loading_a_missing_file_raises_a_catalog_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogFileError, match="cannot read: No such file"):
        load_catalog(tmp_path / "absent.yaml")
