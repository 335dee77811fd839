"""``flowscope trace --key customer.id C-42``: the runs a search key's value names, from a
running server's ``GET /api/v1/search``, page by page (newest first), as a table or JSON."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.table import Table

from flowscope.cli.common import err, fail, out
from flowscope.cli.server_client import call_server

STATE_STYLES = {"failed": "bold red", "dead-lettered": "bold red", "succeeded": "green",
                "replayed": "yellow"}


def search_table(body: dict[str, Any]) -> Table:
    """The runs of a search answer: flow, run id, state, start, last step."""
    table = Table(title=f"{body['key']} = {body['value']}  ·  {body['total']:,} runs")
    for column in ("flow", "run", "state", "started", "last step"):
        table.add_column(column)
    for run in body["runs"]:
        state = run.get("state") or "unknown"
        style = STATE_STYLES.get(state, "")
        table.add_row(run["flow"], run["correlation_id"],
                      f"[{style}]{state}[/]" if style else state,
                      (run.get("started_at") or run.get("first_seen") or "")[:19].replace("T", " "),
                      run.get("last_step") or "")
    return table


def search(base: str, key: str, value: str, *, as_json: bool, max_runs: int) -> None:
    """Print the runs of ``base`` whose ``key`` held ``value`` (at most ``max_runs``)."""
    runs: list[Any] = []
    body: dict[str, Any]
    cursor: str | None = None
    while True:
        params = {"key": key, "value": value, "limit": str(min(500, max_runs - len(runs)))}
        if cursor:
            params["cursor"] = cursor
        body = call_server("GET", base, "/api/v1/search", params=params, timeout_s=60)
        runs.extend(body["runs"])
        cursor = body.get("next_cursor")
        if not cursor or len(runs) >= max_runs:
            break
    body = {**body, "runs": runs, "next_cursor": cursor}
    if as_json:
        sys.stdout.write(json.dumps(body, indent=2) + "\n")
    else:
        out.print(search_table(body))
        for note in [body.get("note"), *body.get("warnings", [])]:
            if note:
                err.print(note, highlight=False)
        if runs:
            err.print(f"every hop of one of them: flowscope trace {runs[0]['correlation_id']}",
                      highlight=False)
    if not runs:
        fail(f"no run carries {key} = {value[:200]!r}", 2)
    if cursor:
        err.print(f"showed the newest {len(runs):,} of {body['total']:,} runs; pass --max-items "
                  f"{body['total']} to see them all", highlight=False)
