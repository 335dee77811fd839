"""``flowscope cost`` and ``flowscope costs import``: cost per success and spend import, through
a running server.

- ``flowscope cost [--flow NAME] [--from DAY] [--to DAY] [--url] [--json]`` reads
  ``/api/v1/flows/{flow}/cost`` (every flow with a cost model when ``--flow`` is not given) and
  prints a summary table, plus the breakdown of a single flow; ``--json`` prints the body of a
  single flow, or ``{"flows": [bodies]}``.
- ``flowscope costs import FILE.csv [--url]`` reads a CSV file with the columns
  ``id,date,flow,partner,category,amount,currency,source``, checks every row, posts them to
  ``POST /api/v1/costs`` (an admin key when keys are in use) and prints how many were new.
  Importing the same file again changes nothing.
"""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import typer
from rich.table import Table

from flowscope.cli.common import JsonOpt, UrlOpt, fail, out, server_url
from flowscope.cli.server_client import call_server

costs_app = typer.Typer(no_args_is_help=True, help="Imported spend lines.")
BATCH = 5000
"""Lines posted per request."""


def _call(method: str, base: str, path: str, *, params: dict[str, str] | None = None,
          body: Any = None, missing_ok: bool = False) -> Any:
    return call_server(method, base, path, params=params, body=body, missing_ok=missing_ok)


def _money(text: str | None, currency: str, *, unit: bool = False) -> str:
    """A decimal string of the API as people read it (:func:`cost.currency.display_money`):
    ``USD 3.51``; unit costs keep 3 significant digits (``USD 0.000417``); ``None`` is ``—``."""
    from cost.currency import display_money

    return "—" if text is None else display_money(Decimal(text), currency, unit=unit)


def summary_table(bodies: list[dict[str, Any]]) -> Table:
    """One row per flow, from ``/api/v1/flows/{flow}/cost`` bodies."""
    table = Table(title="Cost per successful run")
    for column in ("flow", "days", "runs", "successes", "failures", "total", "per success",
                   "failure cost", "per failed run", "marginal / run"):
        table.add_column(column, justify="left" if column in ("flow", "days") else "right",
                         overflow="fold")
    for b in bodies:
        cur = b["currency"]
        table.add_row(b["flow"], f"{b['from']} .. {b['to']}", str(b["runs_started"]),
                      str(b["successes"]), str(b["failures"]), _money(b["total_cost"], cur),
                      _money(b["cost_per_success"], cur, unit=True),
                      _money(b["failure_cost"], cur),
                      _money(b.get("failure_cost_per_run"), cur, unit=True),
                      _money(b["marginal_cost_per_run"], cur, unit=True))
    return table


def breakdown_table(body: dict[str, Any]) -> Table:
    """The lines of one flow's cost; they add up to its total."""
    table = Table(title=f"{body['flow']}: breakdown ({body['currency']})")
    for column in ("category", "item", "step", "partner", "quantity", "unit price", "amount"):
        table.add_column(column, justify="right" if column in ("quantity", "unit price",
                                                               "amount") else "left",
                         overflow="fold")
    cur = body["currency"]
    for line in body["breakdown"]:
        table.add_row(line["category"], line["label"], line["step"] or "",
                      line["partner"] or "", f"{line['quantity']} {line['unit']}",
                      "" if line["unit_price"] is None else _money(line["unit_price"], cur,
                                                                   unit=True),
                      _money(line["amount"], cur))
    table.add_row("total", "", "", "", "", "", _money(body["total_cost"], cur), style="bold")
    return table


def cost_command(
    flow: Annotated[str | None, typer.Option("--flow", help="Only this flow.")] = None,
    start: Annotated[
        str | None, typer.Option("--from", help="First day, YYYY-MM-DD; default 30 days ago.")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="Day after the last; default tomorrow (UTC).")
    ] = None,
    url: UrlOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Cost per successful run of each flow, with the breakdown of one flow."""
    base = server_url(url)
    params = {k: v for k, v in (("from", start), ("to", end)) if v}
    names = [flow] if flow else [
        f["name"] for f in _call("GET", base, "/api/v1/flows")["flows"]]
    bodies = [body for name in names
              if (body := _call("GET", base, f"/api/v1/flows/{quote(name, safe='')}/cost",
                                params=params, missing_ok=flow is None)) is not None]
    if as_json:
        shown: Any = bodies[0] if flow else {"flows": bodies}
        sys.stdout.write(json.dumps(shown, indent=2) + "\n")
        return
    if not bodies:
        fail("no flow of the catalog has a cost model")
    out.print(summary_table(bodies))
    if flow:
        out.print(breakdown_table(bodies[0]))


@costs_app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="CSV: id,date,flow,partner,category,amount,"
                                              "currency,source", exists=True, dir_okay=False)],
    url: UrlOpt = None,
) -> None:
    """Import spend lines from a CSV file (idempotent: a line is stored once per source and
    id, whatever how often it is imported)."""
    from cost.errors import SpendInputError
    from cost.spend_lines import csv_items, parse_lines

    try:
        items = csv_items(file.read_text(encoding="utf-8-sig"))
        parse_lines(items)
    except SpendInputError as exc:
        where = "header" if exc.field == "header" else f"row {exc.index + 2}"
        fail(f"{file}: {where}, field {exc.field!r}: {exc.reason}")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {file}: {exc}")
    base = server_url(url)
    new = already = 0
    for offset in range(0, len(items), BATCH):
        answer = _call("POST", base, "/api/v1/costs",
                       body={"lines": items[offset:offset + BATCH]})
        new += int(answer["new"])
        already += int(answer["already_stored"])
    out.print(f"imported {len(items)} line(s) from {file}: {new} new, {already} already "
                  f"stored", highlight=False)
