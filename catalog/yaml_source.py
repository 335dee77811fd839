"""Reading YAML source files with positions: text from a path, node trees from text.

Shared by every spec reader (flow catalogs, OpenSLO documents, alert window catalogs). Each
caller passes the exception class of its own tree (``error``); a problem here carries the file
and, for YAML errors, the line and column the parser stopped at.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import yaml
from yaml.nodes import Node

from catalog.errors import Problem

ErrorFactory = Callable[[tuple[Problem, ...]], Exception]
"""Builds the caller's exception from the problems found (e.g. ``CatalogSyntaxError``)."""


def read_source(path: Path, error: ErrorFactory) -> str:
    """The UTF-8 text of ``path``; ``error`` when it cannot be read or is not UTF-8."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise error((Problem(str(path), 0, 0, "", f"is not UTF-8 text: {exc}"),)) from exc
    except OSError as exc:
        problem = Problem(str(path), 0, 0, "", f"cannot read: {exc.strerror or exc}")
        raise error((problem,)) from exc


def compose(text: str, filename: str, error: ErrorFactory) -> Node | None:
    """The node tree of a one-document YAML text; ``error`` when it is not YAML."""
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise error((_problem(exc, filename),)) from exc


def compose_all(text: str, filename: str, error: ErrorFactory) -> list[Node]:
    """The node trees of every document of a YAML stream; ``error`` when it is not YAML."""
    try:
        return list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise error((_problem(exc, filename),)) from exc


def _problem(exc: yaml.YAMLError, filename: str) -> Problem:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
        message = " ".join(p for p in (exc.context, exc.problem) if p) or "not valid YAML"
        return Problem(filename, line, column, "", f"invalid YAML: {message}")
    return Problem(filename, 0, 0, "", f"invalid YAML: {exc}")
