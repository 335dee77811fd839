"""What a newcomer reads first: each package's docstring names every module it holds, and no
docstring tells how the work was planned instead of what the code does."""

from __future__ import annotations

import ast
import re

import pytest

from tests.architecture.import_graph import ROOT, modules

PACKAGES = sorted(name for name, path in modules().items() if path.name == "__init__.py")
PLANNING = re.compile(r"filled by the|\bissue #?\d|GitHub issue|\(filled by", re.IGNORECASE)


def docstring(name: str) -> str:
    return ast.get_docstring(ast.parse(modules()[name].read_text(encoding="utf-8"))) or ""


@pytest.mark.parametrize("package", PACKAGES)
def test_a_package_docstring_names_each_of_its_modules(package: str) -> None:
    folder = modules()[package].parent
    held = sorted(f"{package}.{p.stem}" for p in folder.glob("*.py") if p.stem != "__init__")
    text = docstring(package)
    assert [m for m in held if f":mod:`{m}`" not in text] == []


def test_no_docstring_tells_how_the_work_was_planned() -> None:
    told = [name for name in modules() if PLANNING.search(docstring(name))]
    assert told == []


def test_the_packages_checked_are_the_rooms() -> None:
    assert {"flowscope", "flowscope.cli", "flowscope.demo", "flowscope.access", "catalog",
            "collector", "warehouse", "slo", "cost", "alerts", "dashboards",
            "bench"} <= set(PACKAGES)
    assert ROOT.joinpath("flowscope", "__init__.py").exists()
