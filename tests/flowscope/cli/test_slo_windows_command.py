"""``flowscope slo windows``: tiers and factors of a window catalog, no server needed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flowscope.cli import app

GOOGLE_30D = [
    {"severity": "page", "long_window": "1h", "short_window": "5m", "budget_percent": 2,
     "factor": 14.4},
    {"severity": "page", "long_window": "6h", "short_window": "30m", "budget_percent": 5,
     "factor": 6.0},
    {"severity": "ticket", "long_window": "1d", "short_window": "2h", "budget_percent": 10,
     "factor": 3.0},
    {"severity": "ticket", "long_window": "3d", "short_window": "6h", "budget_percent": 10,
     "factor": 1.0},
]

CUSTOM = """\
apiVersion: flowscope/v1
kind: AlertWindows
period: 7d
tiers:
  - {severity: page, budget_percent: 2.5, long_window: 30m, short_window: 2m}
"""


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["slo", "windows", *args])
    return result.exit_code, result.stdout, result.stderr


def test_the_google_tiers_as_json() -> None:
    code, out, _ = run("--objective", "99.9", "--period", "30d", "--json")
    assert code == 0
    assert json.loads(out) == GOOGLE_30D


@pytest.mark.parametrize(
    ("period", "factors"),
    [
        pytest.param("28d", [13.44, 5.6, 2.8, 0.9333333333333333],
                     id="a 28-day period scales the 30-day tiers"),
        pytest.param("90d", [43.2, 18.0, 9.0, 3.0], id="a 90-day period scales them up"),
    ],
)
def test_factors_follow_the_period(period: str, factors: list[float]) -> None:
    code, out, _ = run("--objective", "99.9", "--period", period, "--json")
    assert code == 0
    assert [row["factor"] for row in json.loads(out)] == pytest.approx(factors)


def test_a_catalog_file_by_path(tmp_path: Path) -> None:
    path = tmp_path / "weekly.yaml"
    path.write_text(CUSTOM)
    code, out, _ = run("--objective", "99", "--period", "7d", "--windows", str(path), "--json")
    assert code == 0
    assert json.loads(out) == [{"severity": "page", "long_window": "30m", "short_window": "2m",
                                "budget_percent": 2.5, "factor": pytest.approx(8.4)}]


def test_the_table_and_a_tier_that_can_never_fire() -> None:
    code, out, err = run("--objective", "92", "--period", "30d")
    assert code == 0
    assert "14.4" in out and "0.0144" not in out
    assert "can never fire" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--objective", "100", "--period", "30d"], "between 0 and 100",
                     id="an objective of 100 percent"),
        pytest.param(["--objective", "abc", "--period", "30d"], "--objective",
                     id="an objective that is no number"),
        pytest.param(["--objective", "99", "--period", "monthly"], "--period",
                     id="a period that is no duration"),
        pytest.param(["--objective", "99", "--period", "30d", "--windows", "nope"],
                     "no window catalog named 'nope'", id="an unknown window catalog"),
    ],
)
def test_bad_arguments_exit_1_with_a_message(args: list[str], message: str) -> None:
    code, _, err = run(*args)
    assert code == 1
    assert message in " ".join(err.split())
