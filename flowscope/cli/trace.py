"""``flowscope trace ID``: every hop one business id took, read page by page from a server."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote

import httpx
import typer
from rich.table import Table

from flowscope.cli.common import JsonOpt, UrlOpt, auth_headers, err, fail, out, server_url

PAGE_ITEMS = 10_000
"""Items asked for per page (the server's largest page)."""


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def render_timeline(body: dict[str, Any]) -> Table:
    """A timeline table: offset from the first item, wait since the previous one ended, the hop;
    times in human units (``41 min 30 s``, :func:`catalog.durations.human_duration`)."""
    from catalog.durations import human_duration

    items = body["items"]
    table = Table(title=f"{body['correlation_id']}  ·  flow {body.get('flow') or '(untagged)'}")
    for col in ("+offset", "waited", "kind", "service", "name", "duration", "status"):
        table.add_column(
            col, justify="right" if col in ("+offset", "waited", "duration") else "left"
        )
    if not items:
        return table
    first = _when(items[0]["time"])
    prev_end: datetime | None = None
    for item in items:
        start = _when(item["time"])
        waited = ""
        if prev_end is not None and start > prev_end:
            waited = human_duration(start - prev_end)
        end_ms = item["duration_ms"]
        end = start + timedelta(milliseconds=end_ms)
        prev_end = end if prev_end is None or end > prev_end else prev_end
        status = item["status"]
        style = {"error": "bold red", "ok": "green"}.get(status, "")
        table.add_row(
            human_duration(start - first),
            waited,
            item["kind"],
            item["service"],
            item["name"],
            human_duration(end_ms / 1000) if item["kind"] == "span" else "",
            f"[{style}]{status}[/]" if style else status,
        )
    return table


def trace(
    correlation_id: Annotated[str, typer.Argument(help="Order id or any correlation id.")],
    url: UrlOpt = None,
    as_json: JsonOpt = False,
    max_items: Annotated[
        int, typer.Option("--max-items", min=1, help="Stop after this many items.")
    ] = 100_000,
    key: Annotated[
        str | None, typer.Option("--key", help="A search key (customer.id): list the runs "
                                 "whose value of it is the argument, newest first.")
    ] = None,
) -> None:
    """Show every hop one business id took, in time order (following the server's pages up to
    --max-items; a note says when there were more); with --key, the runs a search key's value
    names."""
    base = server_url(url)
    if key is not None:
        from flowscope.cli.search import search

        search(base, key, correlation_id, as_json=as_json, max_runs=max_items)
        return
    address = f"{base}/api/v1/correlations/{quote(correlation_id, safe='')}"
    body: dict[str, Any] = {}
    items: list[Any] = []
    cursor: str | None = None
    while True:
        params = {"limit": str(min(PAGE_ITEMS, max_items - len(items)))}
        if cursor:
            params["cursor"] = cursor
        try:
            resp = httpx.get(address, params=params, headers=auth_headers(), timeout=60)
        except httpx.HTTPError as exc:
            fail(f"cannot reach flowscope at {base}: {exc}")
        if resp.status_code in (401, 403):
            fail(f"{base} refused the request ({resp.status_code}): set FLOWSCOPE_API_KEY to a "
                 "read key")
        if resp.status_code == 404:
            fail(f"no spans or events carry the id {correlation_id[:200]!r}", code=2)
        if resp.status_code != 200:
            fail(f"{base} answered {resp.status_code}: {resp.text[:500]}")
        body = resp.json()
        items.extend(body["items"])
        cursor = body.get("next_cursor")
        if not cursor or len(items) >= max_items:
            break
    total = int(body.get("total", len(items)))
    body = {**body, "items": items, "next_cursor": cursor}
    if as_json:
        sys.stdout.write(json.dumps(body, indent=2) + "\n")
    else:
        out.print(render_timeline(body))
    if cursor:
        err.print(f"showed the first {len(items):,} of {total:,} items; pass --max-items "
                  f"{total} to see them all", highlight=False)
