"""``flowscope slo``: SLO status from a running server, and alert tiers of a window catalog.

- ``flowscope slo status [--url] [--json] [--at T] [--flow NAME]`` reads
  ``/api/v1/flows`` and ``/api/v1/flows/{flow}/slos`` and prints a table (or the bodies).
- ``flowscope slo windows --objective 99.9 --period 30d [--windows google-30d] [--json]``
  needs no server: the tiers of a window catalog (a name, or a path to a file) with their
  burn-rate factors for that period (``budget share x period / long window``) and the error
  ratio each must exceed (``factor x (1 - objective)``). Tiers that can never fire for that
  objective are reported on standard error.
"""

from __future__ import annotations

import json
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import typer
from rich.table import Table

from flowscope.cli.common import JsonOpt, UrlOpt, err, fail, out, server_url
from flowscope.cli.server_client import call_server

slo_app = typer.Typer(no_args_is_help=True, help="SLO status and alert windows.")


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _when(exhaustion: dict[str, Any] | None) -> str:
    from catalog.durations import human_duration

    if exhaustion is None:
        return "—"
    seconds = float(exhaustion["in_seconds"])
    return "now" if seconds <= 0 else human_duration(seconds)


def _get(base: str, path: str, params: dict[str, str]) -> Any:
    return call_server("GET", base, path, params=params, timeout_s=60.0)


def status_table(bodies: list[dict[str, Any]]) -> Table:
    """One row per SLO of every flow, from ``/api/v1/flows/{flow}/slos`` bodies; percentages by
    :func:`slo.percent.percent_text` (the SLI told apart from its objective)."""
    from slo.percent import percent_text

    table = Table(title="SLO status")
    for column in ("flow", "slo", "objective", "sli", "budget left", "burn 1h", "alerts",
                   "exhaustion"):
        text = column in ("flow", "slo", "alerts")
        table.add_column(column, justify="left" if text else "right", overflow="fold")
    for body in bodies:
        for slo in body["slos"]:
            hour = slo["windows"].get("1h", {})
            firing = [f"{a['severity']} {a['long_window']}/{a['short_window']}"
                      for a in slo["alerts"] if a["firing"]]
            left = slo["budget_remaining"]
            style = "bold red" if left is not None and left < 0 else ""
            shown = percent_text(left, missing="—")
            budget = f"[{style}]{shown}[/]" if style else shown
            exhaustion = slo["exhaustion"]
            objective = Decimal(str(slo["objective"])) / 100
            table.add_row(
                body["flow"], slo["name"],
                f"{percent_text(objective, exact=True)} / {slo['period']}",
                percent_text(slo["sli"], (objective,), missing="—"), budget,
                _rate(hour.get("burn_rate")),
                "[bold red]" + ", ".join(firing) + "[/]" if firing else "ok",
                _when(exhaustion))
    return table


@slo_app.command("status")
def status(
    url: UrlOpt = None,
    as_json: JsonOpt = False,
    at: Annotated[str | None, typer.Option("--at", help="RFC 3339 instant; default now.")] = None,
    flow: Annotated[str | None, typer.Option("--flow", help="Only this flow.")] = None,
) -> None:
    """SLI, error budget, 1h burn rate and firing tiers of every SLO of every flow."""
    base = server_url(url)
    params = {"at": at} if at else {}
    names = [flow] if flow else [f["name"] for f in _get(base, "/api/v1/flows", params)["flows"]]
    bodies = [_get(base, f"/api/v1/flows/{quote(n, safe='')}/slos", params) for n in names]
    if as_json:
        sys.stdout.write(json.dumps({"flows": bodies}, indent=2) + "\n")
        return
    out.print(status_table(bodies))


def window_rows(windows: str, objective: str, period: str) -> tuple[list[dict[str, Any]],
                                                                    list[str]]:
    """The tiers of window catalog ``windows`` for ``objective`` (percent) over ``period``,
    as ``{"severity", "long_window", "short_window", "budget_percent", "factor"}`` rows
    (with ``threshold``), and warnings. Raises :class:`ValueError` with a user message."""
    from catalog.durations import format_duration, parse_duration
    from slo.burn import tier_warnings
    from slo.errors import SLOError
    from slo.objective import objective_from_percent
    from slo.window_loader import load_window_catalog

    try:
        fraction = objective_from_percent(Decimal(objective))
    except (InvalidOperation, SLOError) as exc:
        raise ValueError(f"--objective: {exc}") from exc
    try:
        length = parse_duration(period)
    except ValueError as exc:
        raise ValueError(f"--period {exc}") from exc
    try:
        catalog = load_window_catalog(windows, search_dirs=(Path.cwd(),))
    except SLOError as exc:
        raise ValueError(str(exc)) from exc
    rows = [{"severity": t.severity, "long_window": format_duration(t.long_window),
             "short_window": format_duration(t.short_window),
             "budget_percent": _number(t.budget_share * 100), "factor": t.factor(length),
             "threshold": t.threshold(length, fraction)} for t in catalog.tiers]
    return rows, list(tier_warnings(catalog, fraction, length))


@slo_app.command("windows")
def windows(
    objective: Annotated[str, typer.Option("--objective", help="Objective in percent, e.g. 99.9.")],
    period: Annotated[str, typer.Option("--period", help="SLO period, e.g. 30d.")],
    windows_name: Annotated[
        str, typer.Option("--windows", help="Window catalog name or YAML path.")
    ] = "google-30d",
    as_json: JsonOpt = False,
) -> None:
    """Alert tiers of a window catalog with their burn-rate factors (no server needed)."""
    try:
        rows, warnings = window_rows(windows_name, objective, period)
    except ValueError as exc:
        fail(str(exc))
    for warning in warnings:
        err.print(f"[yellow]warning:[/] {warning}", highlight=False)
    if as_json:
        keys = ("severity", "long_window", "short_window", "budget_percent", "factor")
        sys.stdout.write(json.dumps([{k: r[k] for k in keys} for r in rows]) + "\n")
        return
    table = Table(title=f"{windows_name}: objective {objective} %, period {period}")
    for column in ("severity", "long window", "short window", "budget %", "factor",
                   "error ratio above"):
        table.add_column(column, justify="left" if column == "severity" else "right")
    for r in rows:
        table.add_row(r["severity"], r["long_window"], r["short_window"],
                      f"{r['budget_percent']:g}", f"{r['factor']:g}", f"{r['threshold']:.6g}")
    out.print(table)
