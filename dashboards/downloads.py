"""Plain HTTP routes beside the Dash pages: each page table as CSV, and Bootstrap's stylesheet.

Mounted with the pages (so under ``/dashboards/``, where the browser's session reaches):

- ``GET csv/scorecard?period=30d``, ``csv/partners?period=``, ``csv/releases?period=`` — the
  executive page's tables; ``csv/alerts`` and ``csv/steps?flow=NAME`` — the on-call page's;
  ``csv/trace?id=A-1042`` — the trace explorer's. The same rows the page shows
  (:mod:`dashboards.tables`), with plain values: ``text/csv`` as an attachment. 400 for a bad
  parameter, 404 for an unknown table, flow or id, 503 while the data cannot be read.
- ``GET vendor/bootstrap.min.css`` — Bootstrap 5's CSS, served from the Bootstrap-Flask
  package so that the pages load nothing from another origin.

Thin adapter: reads through :class:`~dashboards.facade.ReadModel`, no SQL.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable
from pathlib import Path

from flask import Flask, Response, request, send_file

from dashboards import tables
from dashboards.errors import DashboardError
from dashboards.facade import ReadModel
from dashboards.model import DEFAULT_PERIOD, PERIODS

MAX_ID_LENGTH = 512
"""Longest correlation id a trace download accepts, in characters."""
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def bootstrap_css() -> Path:
    """Bootstrap 5's minified CSS inside the installed Bootstrap-Flask package (found without
    importing it)."""
    spec = importlib.util.find_spec("flask_bootstrap")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("Bootstrap-Flask is not installed: reinstall flowscope's dependencies")
    return (Path(next(iter(spec.submodule_search_locations))) / "static" / "bootstrap5" /
            "css" / "bootstrap.min.css")


def _plain(status: int, text: str) -> Response:
    return Response(text + "\n", status=status, mimetype="text/plain")


def _period() -> str:
    period = request.args.get("period", DEFAULT_PERIOD)
    if period not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}")
    return period


def _table(model: ReadModel, name: str) -> tables.TableView | None:
    """The table ``name`` from the read model, ``None`` when what it names does not exist;
    :class:`ValueError` for a bad parameter."""
    builders: dict[str, Callable[[], tables.TableView | None]] = {
        "scorecard": lambda: tables.scorecard_table(model.scorecard(_period())),
        "partners": lambda: tables.partner_table(model.scorecard(_period())),
        "releases": lambda: tables.release_table(model.scorecard(_period())),
        "alerts": lambda: tables.alerts_table(model.oncall().alerts),
        "steps": lambda: _steps(model),
        "trace": lambda: _trace(model),
    }
    build = builders.get(name)
    return None if build is None else build()


def _steps(model: ReadModel) -> tables.TableView | None:
    flow = request.args.get("flow", "")
    if model.catalog.flow(flow) is None:
        return None
    card = next((c for c in model.oncall().health if c.flow == flow), None)
    return None if card is None else tables.steps_table(card)


def _trace(model: ReadModel) -> tables.TableView | None:
    found = request.args.get("id", "").strip()
    if not found or len(found) > MAX_ID_LENGTH:
        raise ValueError(f"id must be a correlation id of 1 to {MAX_ID_LENGTH} characters")
    timeline = model.trace(found)
    return None if timeline is None else tables.trace_table(timeline)


def register(server: Flask, model: ReadModel) -> None:
    """Add the CSV and stylesheet routes to the pages' Flask ``server``."""
    css = bootstrap_css()

    @server.route("/vendor/bootstrap.min.css")
    def bootstrap() -> Response:
        return send_file(css, mimetype="text/css", max_age=86_400)

    @server.route("/csv/<name>")
    def download(name: str) -> Response:
        try:
            view = _table(model, name)
        except ValueError as exc:
            return _plain(400, str(exc))
        except DashboardError as exc:
            return _plain(503, str(exc))
        if view is None:
            return _plain(404, f"no table {name!r} with these parameters (tables: scorecard, "
                               "partners, releases, alerts, steps?flow=, trace?id=)")
        filename = _UNSAFE.sub("_", view.name)[:100] or "table"
        return Response(view.csv(), mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="{filename}.csv"'})
