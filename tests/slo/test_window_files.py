"""Window catalogs are data files: found by name, validated on load, refused with clear problems."""

from __future__ import annotations

import textwrap
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from catalog.errors import Problem
from slo.burn import WindowTier
from slo.errors import (
    WindowCatalogError,
    WindowCatalogFileError,
    WindowCatalogNotFoundError,
    WindowCatalogSyntaxError,
    WindowCatalogValidationError,
)
from slo.window_loader import (
    BUILTIN_DIR,
    available_window_catalogs,
    find_window_catalog,
    load_window_catalog,
)
from slo.window_spec import parse_window_catalog

H = timedelta(hours=1)
M = timedelta(minutes=1)
D = timedelta(days=1)

HEADER = "apiVersion: flowscope/v1\nkind: AlertWindows\nperiod: 7d\n"
FAST_PAGE = "tiers:\n  - {severity: page, budget_percent: 2, long_window: 1h, short_window: 5m}\n"


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_the_google_30d_catalog_is_the_workbook_table() -> None:
    catalog = load_window_catalog("google-30d")
    assert catalog.name == "google-30d"
    assert catalog.period == 30 * D
    assert catalog.source == str(BUILTIN_DIR / "google-30d.yaml")
    assert catalog.tiers == (
        WindowTier("page", long_window=H, short_window=5 * M, budget_share=Decimal("0.02")),
        WindowTier("page", long_window=6 * H, short_window=30 * M, budget_share=Decimal("0.05")),
        WindowTier("ticket", long_window=D, short_window=2 * H, budget_share=Decimal("0.1")),
        WindowTier("ticket", long_window=3 * D, short_window=6 * H, budget_share=Decimal("0.1")),
    )


def test_the_google_28d_catalog_has_the_same_tiers_over_28_days() -> None:
    thirty = load_window_catalog("google-30d")
    twenty_eight = load_window_catalog("google-28d")
    assert twenty_eight.period == 28 * D
    assert twenty_eight.tiers == thirty.tiers


def test_a_user_catalog_is_found_in_a_search_directory(tmp_path: Path) -> None:
    write(tmp_path, "weekly.yaml", HEADER + FAST_PAGE)
    catalog = load_window_catalog("weekly", search_dirs=[tmp_path])
    assert catalog.name == "weekly"
    assert catalog.period == 7 * D
    assert catalog.tiers[0].factor(catalog.period) == pytest.approx(0.02 * 7 * 24)
    assert available_window_catalogs(search_dirs=[tmp_path]) == (
        "google-28d", "google-30d", "weekly")


def test_a_user_catalog_shadows_a_built_in_one(tmp_path: Path) -> None:
    write(tmp_path, "google-30d.yml", HEADER.replace("7d", "30d") + FAST_PAGE)
    catalog = load_window_catalog("google-30d", search_dirs=[tmp_path])
    assert len(catalog.tiers) == 1
    assert find_window_catalog("google-30d", search_dirs=[tmp_path]) == tmp_path / "google-30d.yml"


def test_a_catalog_is_read_from_a_path(tmp_path: Path) -> None:
    path = write(tmp_path, "mine.yaml", HEADER + FAST_PAGE)
    assert load_window_catalog(path).name == "mine"
    assert load_window_catalog(str(path)).source == str(path)


def test_an_unknown_name_lists_the_available_catalogs(tmp_path: Path) -> None:
    with pytest.raises(WindowCatalogNotFoundError) as caught:
        load_window_catalog("google-31d", search_dirs=[tmp_path])
    message = str(caught.value)
    assert "no window catalog named 'google-31d'" in message
    assert "available: google-28d, google-30d" in message


def test_without_built_ins_only_search_directories_count(tmp_path: Path) -> None:
    assert available_window_catalogs(search_dirs=[tmp_path], include_builtin=False) == ()
    with pytest.raises(WindowCatalogNotFoundError, match="available: none"):
        load_window_catalog("google-30d", search_dirs=[tmp_path], include_builtin=False)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        pytest.param(b"\xff\xfe not text", "is not UTF-8 text", id="a binary file is refused"),
        pytest.param(None, "cannot read", id="a missing file is refused"),
    ],
)
def test_an_unreadable_file_is_refused(tmp_path: Path, content: bytes | None, fragment: str
                                       ) -> None:
    path = tmp_path / "broken.yaml"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(WindowCatalogFileError, match=fragment):
        load_window_catalog(path)


def test_text_that_is_not_yaml_is_refused_with_its_position() -> None:
    with pytest.raises(WindowCatalogSyntaxError) as caught:
        parse_window_catalog("period: [30d\n", name="x", filename="x.yaml")
    (problem,) = caught.value.problems
    assert problem.file == "x.yaml"
    assert problem.line == 2
    assert "invalid YAML" in problem.message


def problems_of(text: str) -> tuple[Problem, ...]:
    with pytest.raises(WindowCatalogValidationError) as caught:
        parse_window_catalog(textwrap.dedent(text), name="custom", filename="custom.yaml")
    assert isinstance(caught.value, WindowCatalogError)
    return caught.value.problems


def tier(line: str) -> str:
    return HEADER + "tiers:\n  - " + line + "\n"


@pytest.mark.parametrize(
    ("text", "field", "line", "message"),
    [
        pytest.param(
            tier("{severity: page, budget_percent: 2, long_window: 1h, short_window: 1h}"),
            "tiers[0].short_window", 5, "must be shorter than the long window 1h, got 1h",
            id="a short window as long as the long window is refused"),
        pytest.param(
            tier("{severity: page, budget_percent: 2, long_window: 5m, short_window: 1h}"),
            "tiers[0].short_window", 5, "must be shorter than the long window 5m, got 1h",
            id="a short window longer than the long window is refused"),
        pytest.param(
            tier("{severity: page, budget_percent: 0, long_window: 1h, short_window: 5m}"),
            "tiers[0].budget_percent", 5, "must be a percentage above 0 and at most 100, got 0",
            id="a budget share of zero is refused"),
        pytest.param(
            tier("{severity: page, budget_percent: 150, long_window: 1h, short_window: 5m}"),
            "tiers[0].budget_percent", 5, "must be a percentage above 0 and at most 100, got 150",
            id="a budget share above 100 percent is refused"),
        pytest.param(
            tier("{severity: page, budget_percent: -2, long_window: 1h, short_window: 5m}"),
            "tiers[0].budget_percent", 5, "must not be negative, got -2",
            id="a negative budget share is refused"),
        pytest.param(
            tier("{severity: critical, budget_percent: 2, long_window: 1h, short_window: 5m}"),
            "tiers[0].severity", 5, "must be one of page, ticket, got 'critical'",
            id="a severity other than page or ticket is refused"),
        pytest.param(
            tier("{severity: ticket, budget_percent: 10, long_window: 8d, short_window: 6h}"),
            "tiers[0].long_window", 5, "must not be longer than the period 7d, got 8d",
            id="a long window beyond the period is refused"),
        pytest.param(
            tier("{severity: page, budget_percent: 2, long_window: 1 hour, short_window: 5m}"),
            "tiers[0].long_window", 5, "must be a duration like",
            id="a window that is not a duration is refused"),
        pytest.param(
            tier("{severity: page, budget_share: 2, long_window: 1h, short_window: 5m}"),
            "tiers[0].budget_share", 5,
            "unknown key 'budget_share' (did you mean 'budget_percent'?)",
            id="a misspelt key suggests the right one"),
        pytest.param(
            tier("{severity: page, long_window: 1h, short_window: 5m}"),
            "tiers[0].budget_percent", 5, "is required",
            id="a tier without a budget share is refused"),
        pytest.param(
            HEADER + "tiers: []\n",
            "tiers", 4, "must list at least one tier", id="a catalog without tiers is refused"),
        pytest.param(
            HEADER + "tiers: {page: 1}\n",
            "tiers", 4, "must be a list, got a mapping", id="tiers must be a list"),
        pytest.param(
            "apiVersion: flowscope/v1\nkind: AlertWindows\n" + FAST_PAGE,
            "period", 1, "is required", id="a catalog without a period is refused"),
        pytest.param(
            HEADER.replace("period: 7d", "period: 1 month") + FAST_PAGE,
            "period", 3, "must be a duration like", id="a period that is not a duration"),
        pytest.param(
            HEADER.replace("AlertWindows", "SLO") + FAST_PAGE,
            "kind", 2, "must be AlertWindows, got 'SLO'", id="another kind is refused"),
        pytest.param(
            HEADER.replace("flowscope/v1", "sloth.slok.dev/v1") + FAST_PAGE,
            "apiVersion", 1, "unsupported version 'sloth.slok.dev/v1'",
            id="another apiVersion is refused"),
        pytest.param(
            HEADER + FAST_PAGE
            + "  - {severity: ticket, budget_percent: 5, long_window: 1h, short_window: 5m}\n",
            "tiers[1]", 6, "tier repeats the windows of tiers[0] (long 1h, short 5m)",
            id="two tiers with the same windows are refused"),
        pytest.param("", "", 1, "the window catalog is empty", id="an empty file is refused"),
        pytest.param("- 1\n- 2\n", "", 1, "must be a mapping, got a list",
                     id="a list instead of a mapping is refused"),
    ],
)
def test_an_invalid_window_catalog_is_refused(text: str, field: str, line: int, message: str
                                              ) -> None:
    problems = problems_of(text)
    (problem,) = [p for p in problems if p.field == field]
    assert (problem.file, problem.line) == ("custom.yaml", line)
    assert message in problem.message


def test_a_misspelt_key_is_reported_with_the_missing_one() -> None:
    problems = problems_of(tier(
        "{severity: page, budget_share: 2, long_window: 1h, short_window: 5m}"))
    assert [p.field for p in problems] == ["tiers[0].budget_percent", "tiers[0].budget_share"]


def test_every_problem_of_a_file_is_reported_at_once() -> None:
    problems = problems_of(HEADER + """\
        tiers:
          - {severity: page, budget_percent: 200, long_window: 1h, short_window: 5m}
          - {severity: urgent, budget_percent: 5, long_window: 6h, short_window: 6h}
        """.replace("        ", "", 1))
    assert [p.field for p in problems] == [
        "tiers[0].budget_percent", "tiers[1].severity", "tiers[1].short_window"]


def test_a_problem_prints_file_line_field_and_message(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", tier(
        "{severity: page, budget_percent: 2, long_window: 1h, short_window: 2h}"))
    with pytest.raises(WindowCatalogValidationError) as caught:
        load_window_catalog("bad", search_dirs=[tmp_path])
    assert str(caught.value) == (
        f"{path}:5:72: tiers[0].short_window: must be shorter than the long window 1h, got 2h")


def test_extensions_and_a_description_are_allowed() -> None:
    catalog = parse_window_catalog(
        HEADER + "description: weekly pages\nx-owner: sre\n" + FAST_PAGE, name="weekly")
    assert catalog.description == "weekly pages"
    assert catalog.source == "<string>"
