"""Dash callbacks: read the view from the :class:`~dashboards.facade.ReadModel`, hand it to a
figure builder, return components. Thin: no SQL, no arithmetic beyond choosing what to show;
:class:`~dashboards.errors.DashboardError` becomes an error notice in the page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from dash import Dash, Input, Output, State, html

from dashboards import figures, layouts
from dashboards.errors import DashboardError
from dashboards.facade import ReadModel
from dashboards.model import PERIODS, Oncall, Scorecard
from dashboards.wording import headline, money, percent


def _no_runs_hint(model: ReadModel) -> str:
    keys = ", ".join(model.catalog.correlation_keys()) or "order.id"
    return (f"no runs yet: send spans with an {keys} attribute (OTLP to /v1/traces) or "
            f"CloudEvents to /api/v1/events, then reload")


def _guarded(render: Callable[[], Any]) -> Any:
    try:
        return render()
    except DashboardError as exc:
        return layouts.notice(str(exc), kind="error")


def executive_body(model: ReadModel, card: Scorecard) -> list[Any]:
    """The executive page's content for a scorecard."""
    if not card.flows:
        return [layouts.notice("no flows in the catalog: start flowscope with "
                               "--catalog flows.yaml to describe your flows")]
    name = PERIODS[card.key]
    out: list[Any] = [layouts.notice(w, kind="error") for w in card.warnings]
    out.append(html.P(f"{name}: {card.days.first} to {card.days.last}; SLOs over their own "
                      f"periods", id="exec-period-text"))
    if all(s.sli is None for c in card.flows for s in c.slos):
        out.append(layouts.notice(_no_runs_hint(model)))
    out.append(html.Ul([html.Li(headline(c, name), className="headline") for c in card.flows],
                       id="exec-headlines"))
    rows = [(c.flow, s.name, percent(s.objective), percent(s.sli),
             percent(s.budget_remaining), money(c.cost_per_success, c.currency),
             money(c.savings, c.currency),
             c.payback.isoformat() if c.payback else "not yet" if c.savings is not None
             else "n/a")
            for c in card.flows for s in (c.slos or (None,)) if s is not None]
    out.append(layouts.table("exec-table", ("flow", "SLO", "objective", "attainment",
                                            "budget left", "cost per success",
                                            "savings", "payback"), rows))
    if any(c.slos for c in card.flows):
        out.append(layouts.graph("exec-attainment", figures.attainment_figure(card.flows)))
        out.append(layouts.graph("exec-budget", figures.budget_figure(card.flows)))
    return out


def oncall_body(model: ReadModel, view: Oncall) -> list[Any]:
    """The on-call page's content."""
    out: list[Any] = [layouts.notice(w, kind="error") for w in dict.fromkeys(view.warnings)]
    out.append(html.P(f"as of {view.at:%Y-%m-%d %H:%M:%S} UTC"))
    firing = [a for a in view.alerts if a.status == "firing"]
    out.append(html.H2(f"Alerts ({len(firing)} firing)"))
    if view.alerts:
        out.append(layouts.table("oncall-alerts", ("alert", "flow", "severity", "status",
                                                   "since", "summary"),
                                 [(a.name, a.flow, a.severity, a.status,
                                   a.since.isoformat() if a.since else "", a.summary)
                                  for a in view.alerts]))
    else:
        out.append(layouts.notice("no alerts firing or pending", kind="empty"))
    if not view.tiers:
        out.append(layouts.notice("no SLO with alert tiers: add slos and alerting.windows to "
                                  "a flow in the catalog"))
        return out
    if all(t.long_burn is None for t in view.tiers):
        out.append(layouts.notice(_no_runs_hint(model)))
    out.append(layouts.graph("oncall-burn", figures.burn_rate_figure(view.tiers)))
    out.append(layouts.graph("oncall-burndown", figures.burndown_figure(view.burndown)))
    return out


def trace_body(model: ReadModel, correlation_id: str) -> list[Any]:
    """The trace explorer's content for one id."""
    if not correlation_id.strip():
        return [layouts.notice("type an order id (or any correlation id) and press Enter")]
    timeline = model.trace(correlation_id)
    if timeline is None:
        return [layouts.notice(f"nothing carries the id {correlation_id.strip()!r}: check the "
                               f"id, or {_no_runs_hint(model)}")]
    failing = figures.failing_items(timeline)
    out: list[Any] = []
    if failing:
        first = timeline.items[failing[0]]
        where = f"step {failing[0] + 1}: {first.service} {first.name} {first.status_message}"
        if figures.succeeded_after(timeline, failing[0]):
            out.append(layouts.notice(f"succeeded after a failure at {where}".strip(),
                                      kind="recovered"))
        else:
            out.append(layouts.notice(f"failed at {where}".strip(), kind="error"))
    out.append(layouts.graph("trace-waterfall", figures.waterfall_figure(timeline)))
    out.append(layouts.table(
        "trace-table", ("#", "time (UTC)", "kind", "service", "name", "ms", "status"),
        [(i + 1, f"{it.time:%H:%M:%S.%f}"[:-3], it.kind, it.service or it.event_source,
          it.name, f"{it.duration_ms:,.1f}", it.status)
         for i, it in enumerate(timeline.items)]))
    return out


def register(app: Dash, model: ReadModel) -> None:
    """Wire the router and the three pages' callbacks onto ``app``."""
    prefix = app.config.requests_pathname_prefix

    @app.callback(Output("page", "children"), Input("url", "pathname"),
                  State("url", "search"))
    def route(pathname: str | None, search: str | None) -> Any:
        page = app.strip_relative_path(pathname or "") or ""
        if page == "executive":
            return layouts.executive(prefix)
        if page == "oncall":
            return layouts.oncall(prefix)
        if page == "trace":
            found = parse_qs((search or "").lstrip("?")).get("id", [""])
            return layouts.trace(prefix, found[0])
        return layouts.index(prefix)

    @app.callback(Output("exec-body", "children"), Input("exec-period", "value"))
    def executive(period: str) -> Any:
        return _guarded(lambda: executive_body(model, model.scorecard(period)))

    @app.callback(Output("oncall-body", "children"), Input("oncall-refresh", "n_clicks"))
    def oncall(_clicks: int) -> Any:
        return _guarded(lambda: oncall_body(model, model.oncall()))

    @app.callback(Output("trace-body", "children"), Input("trace-go", "n_clicks"),
                  Input("trace-id", "value"))
    def trace(_clicks: int, correlation_id: str | None) -> Any:
        return _guarded(lambda: trace_body(model, correlation_id or ""))
