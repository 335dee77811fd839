"""Cost routes: ``/api/v1/flows/{flow}/cost``, ``/api/v1/roi``, ``/api/v1/costs``. Thin adapters.

- ``GET /api/v1/flows/{flow}/cost?from=&to=`` — the flow's cost over the days ``[from, to)``
  (:func:`cost.reports.flow_cost`, body :func:`cost.documents.cost_json`).
- ``GET /api/v1/roi?from=&to=`` — every costed flow's return and the total
  (:func:`cost.reports.roi_report`, body :func:`cost.documents.roi_json`).
- ``GET /api/v1/flows/{flow}/releases?to=`` — every catalog release of the flow, with success
  rate and cost per success on equal stretches of complete days (at most 14) before and after
  it, up to the day before ``to`` (default today, so the last complete UTC day)
  (:func:`cost.reports.release_report`, body :func:`cost.documents.releases_json`). A flow
  without cost model compares its success rate only.
- ``POST /api/v1/costs`` — import spend lines ``{"lines": [{"id", "date", "flow" | "partner",
  "category", "amount", "currency", "source"}]}`` (:mod:`cost.spend_lines`); idempotent on
  ``(source, id)``: a line sent again replaces the stored one. Answers ``{"received", "new",
  "already_stored"}``. The access guard gives POST routes the ``admin`` scope, so importing
  spend needs an admin key once keys exist (and is recorded in the audit trail).
- ``GET /api/v1/costs?from=&to=`` — the stored lines booked on those days.

``from`` and ``to`` are days, ``YYYY-MM-DD`` (or an RFC 3339 instant at midnight UTC); ``to``
is excluded and defaults to tomorrow (UTC), ``from`` to 30 days before ``to``.

Days lie between 1970 and 2200 (:mod:`catalog.parameters`).

Handlers raise what goes wrong and the app's error boundary (``flowscope.http_errors``) answers
it: 400 for a bad parameter (naming it) or a refused line (naming the line's index and field),
404 for a flow the catalog does not have or that has no cost model, 503 (with ``Retry-After``)
while the warehouse is not ready or unreachable or a query was stopped by its limits, 500 when
a query fails (the engine's text goes to the log, never to the client).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from catalog import parameters
from catalog.errors import ParameterError
from catalog.model import Catalog, Flow
from cost.documents import cost_json, range_json, releases_json, roi_json
from cost.errors import NoCostModelError
from cost.reports import flow_cost, release_report, roi_report
from cost.spend_lines import check_against_catalog, line_json, parse_lines
from cost.spend_store import load_spend, store_spend, stored_keys
from cost.usage import DateRange
from warehouse.port import Warehouse, ready_warehouse

DEFAULT_DAYS = 30
"""Days covered when ``from`` is not given."""
MAX_DAYS = 3660
"""Longest range a request may ask for (about ten years)."""

_EXAMPLE = {"lines": [{"id": "inv-1", "date": "2026-03-01", "partner": "stripe",
                       "category": "fees", "amount": "12.50", "currency": "USD",
                       "source": "stripe-invoices"}]}


def _now() -> datetime:
    return datetime.now(UTC)


def parse_range(start: str | None, end: str | None, today: date) -> DateRange:
    """The days ``[from, to)`` of the query parameters (see the module docstring)."""
    stop = parameters.day("to", end, today + timedelta(days=1))
    begin = parameters.day("from", start, max(stop - timedelta(days=DEFAULT_DAYS),
                                              parameters.EARLIEST.date()))
    parameters.ordered(begin, stop)
    if (stop - begin).days > MAX_DAYS:
        raise ParameterError("from", f"from {begin} to {stop}: a range may cover at most "
                                     f"{MAX_DAYS} days, got {(stop - begin).days}")
    return DateRange(begin, stop - timedelta(days=1))


def cost_router(catalog: Catalog, warehouse: Callable[[], Warehouse | None], *,
                clock: Callable[[], datetime] = _now) -> APIRouter:
    """The cost routes over ``catalog``; ``warehouse()`` returns the warehouse once it is
    ready, else ``None``; ``clock`` gives "now" (aware)."""
    router = APIRouter(tags=["cost"])
    errors: dict[int | str, dict[str, Any]] = {404: {"description": "unknown flow"},
                                              503: {"description": "warehouse not ready"}}

    def ready() -> Warehouse:
        return ready_warehouse(warehouse)

    def costed(name: str) -> Flow:
        flow = parameters.flow(catalog, name)
        if flow.cost is None:
            raise NoCostModelError(f"flow {name!r} declares no cost model (a cost section "
                                   f"with a currency)")
        return flow

    @router.get("/api/v1/flows/{flow}/cost", responses=errors,
                summary="Cost per successful run, by step, partner and category")
    def flow_cost_route(
        flow: str,
        start: str | None = Query(None, alias="from", description="first day, YYYY-MM-DD"),
        end: str | None = Query(None, alias="to", description="day after the last"),
    ) -> dict[str, Any]:
        chosen = costed(flow)
        period = parse_range(start, end, clock().astimezone(UTC).date())
        wh = ready()
        return cost_json(flow_cost(wh, catalog, chosen, period))

    @router.get("/api/v1/flows/{flow}/releases", responses=errors,
                summary="Success rate and cost per success before and after each release")
    def releases_route(
        flow: str,
        end: str | None = Query(None, alias="to", description="day after the last day "
                                "compared, YYYY-MM-DD; default today"),
    ) -> dict[str, Any]:
        chosen = parameters.flow(catalog, flow)
        today = clock().astimezone(UTC).date()
        last = parameters.day("to", end, today) - timedelta(days=1)
        wh = ready()
        found = release_report(wh, catalog, chosen, last)
        return releases_json(chosen.name, None if chosen.cost is None else chosen.cost.currency,
                             last, found)

    @router.get("/api/v1/roi", responses={503: errors[503]},
                summary="Savings against the manual baseline, net return and payback date")
    def roi_route(
        start: str | None = Query(None, alias="from", description="first day, YYYY-MM-DD"),
        end: str | None = Query(None, alias="to", description="day after the last"),
    ) -> dict[str, Any]:
        period = parse_range(start, end, clock().astimezone(UTC).date())
        wh = ready()
        return roi_json(roi_report(wh, catalog, period))

    @router.post("/api/v1/costs", responses={400: {"description": "a refused line"},
                                             503: errors[503]},
                 summary="Import spend lines (idempotent on source and id)")
    def import_costs(body: Annotated[Any, Body(examples=[_EXAMPLE])]) -> dict[str, Any]:
        if not isinstance(body, dict) or "lines" not in body:
            raise ParameterError("body", 'the body must be a JSON object {"lines": [...]}')
        lines = parse_lines(body["lines"])
        check_against_catalog(lines, catalog)
        wh = ready()
        stamp = int(clock().timestamp() * 1000)
        already = len(stored_keys(wh, lines))
        store_spend(wh, lines, stamp)
        return {"received": len(lines), "new": len(lines) - already, "already_stored": already}

    @router.get("/api/v1/costs", responses={503: errors[503]},
                summary="Imported spend lines booked on the days of a range")
    def list_costs(
        start: str | None = Query(None, alias="from", description="first day, YYYY-MM-DD"),
        end: str | None = Query(None, alias="to", description="day after the last"),
    ) -> dict[str, Any]:
        period = parse_range(start, end, clock().astimezone(UTC).date())
        wh = ready()
        found = load_spend(wh, period)
        return {**range_json(period), "lines": [line_json(line) for line in found]}

    return router

