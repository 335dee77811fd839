"""CSV for every tabular read route: ``?format=csv`` or ``Accept: text/csv``.

:class:`CsvExport` is ASGI middleware inside the access guard. A ``GET`` of a route in
:data:`TABLES` that asks for CSV (the ``format=csv`` query parameter, or an ``Accept`` header
whose first media type is ``text/csv``) runs as usual; a 200 JSON answer is then turned into
``text/csv`` (RFC 4180) with one row per item of the route's table, and anything else (an
error) passes unchanged, still JSON. ``format=csv`` on a route without a table is refused with
406 naming the routes that have one.

The rows are the JSON body's own values, flattened (:func:`rows_of`): the same field names,
money as the same decimal strings (exact unit costs), ratios as fractions, ``null`` as an
empty cell, lists joined by spaces. Which rows each route gives:

======================================  =====================================================
``/api/v1/flows``                        one per SLO of every flow (status summary)
``/api/v1/flows/{flow}/slos``            one per SLO
``/api/v1/flows/{flow}/latency``         flow time, then per step its time and wait
``/api/v1/flows/{flow}/health``          one per step
``/api/v1/flows/{flow}/cost``            one per breakdown line
``/api/v1/flows/{flow}/attribution``     one per SLO and step (budget used by step)
``/api/v1/flows/{flow}/releases``        one per release, before and after side by side
``/api/v1/roi``                          one per flow
``/api/v1/costs``                        one per spend line
``/api/v1/alerts``                       one per active alert
``/api/v1/correlations/{id}``            one per span or event
======================================  =====================================================
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

Row = dict[str, Any]


def _flows(body: Any) -> list[Row]:
    return [{"flow": f["name"], "owner": f.get("owner"), "slo": s["name"], "sli": s["sli"],
             "budget_remaining": s["budget_remaining"], "severity": s["severity"],
             "at": f["status"]["at"]}
            for f in body["flows"] if f.get("status") for s in f["status"]["slos"]]


def _slos(body: Any) -> list[Row]:
    keys = ("name", "objective", "period", "good", "bad", "sli", "error_ratio",
            "budget_remaining", "severity", "period_start", "period_end")
    return [{"flow": body["flow"], "at": body["at"], **{k: s[k] for k in keys},
             "exhaustion_seconds": (s["exhaustion"] or {}).get("in_seconds")}
            for s in body["slos"]]


def _latency(body: Any) -> list[Row]:
    rows = [{"flow": body["flow"], "from": body["from"], "to": body["to"], "step": "",
             "part": "flow time", **body["flow_time"]}]
    rows += [{"flow": body["flow"], "from": body["from"], "to": body["to"], "step": s["name"],
              "part": part, **s[part]} for s in body["steps"] for part in ("time", "wait")]
    return rows


def _health(body: Any) -> list[Row]:
    return [{"flow": body["flow"], "from": body["from"], "to": body["to"], "step": s["name"],
             **{k: v for k, v in s.items() if k != "name"}} for s in body["steps"]]


def _cost(body: Any) -> list[Row]:
    return [{"flow": body["flow"], "from": body["from"], "to": body["to"],
             "currency": body["currency"], **line} for line in body["breakdown"]]


def _attribution(body: Any) -> list[Row]:
    return [{"flow": body["flow"], "slo": s["name"], "from": s["from"], "to": s["to"],
             "valid": s["valid"], "slo_budget_used": s["budget_used"], **step}
            for s in body["slos"] for step in s["steps"]]


def _releases(body: Any) -> list[Row]:
    rows = []
    for r in body["releases"]:
        row: Row = {"flow": body["flow"], "currency": body["currency"], "version": r["version"],
                    "date": r["date"], "note": r["note"]}
        found = r["comparison"] or {}
        row["days_each_side"] = found.get("days_each_side")
        for side in ("before", "after"):
            row.update({f"{side}_{k}": v for k, v in (found.get(side) or {}).items()})
        row["cost_per_success_change"] = found.get("cost_per_success_change")
        row["cost_per_success_ratio"] = found.get("cost_per_success_ratio")
        rows.append(row)
    return rows


def _alerts(body: Any) -> list[Row]:
    return [{"alertname": a["labels"].get("alertname", ""), "flow": a["labels"].get("flow", ""),
             "severity": a["labels"].get("severity", ""), "status": a["status"],
             "active_since": a["active_since"], "fired_at": a["fired_at"],
             "summary": a["annotations"].get("summary", ""), "muted": a["muted"]}
            for a in body["active"]]


def _correlation(body: Any) -> list[Row]:
    return [{"correlation_id": body["correlation_id"], "flow": body["flow"], **item}
            for item in body["items"]]


TABLES: tuple[tuple[re.Pattern[str], Callable[[Any], list[Row]]], ...] = (
    (re.compile(r"/api/v1/flows"), _flows),
    (re.compile(r"/api/v1/flows/[^/]+/slos"), _slos),
    (re.compile(r"/api/v1/flows/[^/]+/latency"), _latency),
    (re.compile(r"/api/v1/flows/[^/]+/health"), _health),
    (re.compile(r"/api/v1/flows/[^/]+/cost"), _cost),
    (re.compile(r"/api/v1/flows/[^/]+/attribution"), _attribution),
    (re.compile(r"/api/v1/flows/[^/]+/releases"), _releases),
    (re.compile(r"/api/v1/roi"), lambda body: list(body["flows"])),
    (re.compile(r"/api/v1/costs"), lambda body: list(body["lines"])),
    (re.compile(r"/api/v1/alerts"), _alerts),
    (re.compile(r"/api/v1/correlations/[^/]+"), _correlation),
)
"""Route path patterns (matched whole) and the rows of their JSON bodies."""


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return " ".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"), sort_keys=True)
    return str(value)


def csv_text(rows: Iterable[Row]) -> str:
    """``rows`` as CSV: a header of every key in first-seen order, then one line per row
    (missing keys and ``None`` empty, lists joined by spaces, booleans ``true``/``false``)."""
    found = list(rows)
    header = list(dict.fromkeys(k for row in found for k in row))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([_cell(row.get(k)) for k in header] for row in found)
    return out.getvalue()


def rows_of(path: str, body: Any) -> list[Row] | None:
    """The rows of the JSON ``body`` of route ``path``; ``None`` when it has no table."""
    for pattern, rows in TABLES:
        if pattern.fullmatch(path):
            return rows(body)
    return None


def wants_csv(scope: Scope) -> tuple[bool, bool]:
    """``(csv asked, by the format parameter)`` for an HTTP request."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    if query.get("format", [""])[-1].lower() == "csv":
        return True, True
    accept = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"accept"),
                  "")
    first = accept.split(",")[0].split(";")[0].strip().lower()
    return first == "text/csv", False


class CsvExport:
    """The middleware of the module docstring."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        asked, by_parameter = wants_csv(scope)
        path = scope["path"]
        tabular = any(p.fullmatch(path) for p, _ in TABLES)
        if not asked or (not tabular and not by_parameter):
            await self.app(scope, receive, send)
            return
        if not tabular:
            routes = ", ".join(p.pattern for p, _ in TABLES)
            await _answer(send, 406, "application/json", json.dumps(
                {"detail": f"{path} has no CSV form; routes with one: {routes}"}).encode())
            return
        start: Message = {}
        chunks: list[bytes] = []

        async def keep(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, keep)
        body = b"".join(chunks)
        headers = dict(start.get("headers", []))
        if start.get("status") != 200 or not headers.get(b"content-type", b"").startswith(
                b"application/json"):
            await send(start)
            await send({"type": "http.response.body", "body": body})
            return
        rows = rows_of(path, json.loads(body)) or []
        await _answer(send, 200, "text/csv; charset=utf-8", csv_text(rows).encode())


async def _answer(send: Send, status: int, media_type: str, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", media_type.encode()),
                            (b"content-length", str(len(body)).encode()),
                            (b"vary", b"accept")]})
    await send({"type": "http.response.body", "body": body})
