"""Dash callbacks: read the view from the :class:`~dashboards.facade.ReadModel`, hand it to a
figure builder, return components. Thin: no SQL, no arithmetic beyond choosing what to show;
:class:`~dashboards.errors.DashboardError` becomes an error notice in the page.

Inputs are checked before any work (callback bodies are already bounded to 64 KiB by the
server): an id longer than 512 characters or a period the page does not offer becomes a notice
that says so without quoting the value back (:mod:`catalog.parameters`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs

from dash import Dash, Input, Output, State, html

from catalog.errors import ParameterError
from catalog.parameters import MAX_ID_CHARS, identifier, shown
from dashboards import figures, layouts, run_figures, tables
from dashboards.errors import DashboardError
from dashboards.facade import ReadModel
from dashboards.layouts import PREFIX
from dashboards.model import PERIODS, FlowHealthCard, Oncall, Scorecard
from dashboards.tiles import headline_tiles
from dashboards.wording import (
    dead_letter_sentence,
    flow_time_sentence,
    headline,
    release_sentence,
)
from warehouse.correlations import Timeline

MAX_SEARCH_CHARS = 2 * MAX_ID_CHARS
"""Characters of a page's query string that are read."""


def _no_runs_hint(model: ReadModel) -> str:
    keys = ", ".join(model.catalog.correlation_keys()) or "order.id"
    return (f"no runs yet: send spans with an {keys} attribute (OTLP to /v1/traces) or "
            f"CloudEvents to /api/v1/events, then reload")


def _guarded(render: Callable[[], Any]) -> Any:
    try:
        return render()
    except (DashboardError, ParameterError) as exc:
        return layouts.notice(str(exc), kind="error")


def checked_period(period: object) -> str:
    """``period`` when the executive page offers it; ParameterError (shown as a notice)."""
    if not isinstance(period, str) or period not in PERIODS:
        raise ParameterError("period", f"unknown period {shown(period)}; choose one of "
                                       f"{', '.join(PERIODS)}")
    return period


def executive_body(model: ReadModel, card: Scorecard, prefix: str = PREFIX) -> list[Any]:
    """The executive page's content for a scorecard: headline tiles and sentences, the
    scorecard table, attainment and budget figures, the budget by partner and the release
    comparison; every table with its CSV download."""
    if not card.flows:
        return [layouts.notice("no flows in the catalog: start flowscope with "
                               "--catalog flows.yaml to describe your flows")]
    name = PERIODS[card.key]
    out: list[Any] = [layouts.notice(w, kind="error") for w in card.warnings]
    out.append(html.P(f"{name}: {card.days.first} to {card.days.last}; SLOs over their own "
                      f"periods; as of {card.at:%Y-%m-%d %H:%M:%S} UTC", id="exec-period-text",
                      className="fs-muted"))
    if all(s.sli is None for c in card.flows for s in c.slos):
        out.append(layouts.notice(_no_runs_hint(model)))
    out.append(layouts.tiles(headline_tiles(card)))
    out.append(html.Ul([html.Li(headline(c, name), className="headline") for c in card.flows],
                       id="exec-headlines", className="fs-headlines"))
    out.append(html.H2("Scorecard"))
    out.append(layouts.table("exec-table", tables.scorecard_table(card),
                             layouts.download_href(prefix, "scorecard", period=card.key)))
    if any(c.slos for c in card.flows):
        out.append(layouts.graph("exec-attainment", figures.attainment_figure(card.flows)))
        out.append(layouts.graph("exec-budget", figures.budget_figure(card.flows)))
    out.extend(_partner_section(card, prefix))
    out.extend(_release_section(card, prefix))
    return out


def _partner_section(card: Scorecard, prefix: str) -> list[Any]:
    out: list[Any] = [html.H2("Error budget by partner")]
    if not any(c.partners for c in card.flows):
        out.append(layouts.notice(
            "no SLO has spent any error budget over its period, so there is nothing to "
            "attribute (bad runs are counted at the last step they reached; give steps a "
            "partner in the catalog to see vendors here)", kind="empty"))
        return out
    out.append(layouts.graph("exec-partners", figures.partner_budget_figure(card.flows)))
    out.append(layouts.table("exec-partner-table", tables.partner_table(card),
                             layouts.download_href(prefix, "partners", period=card.key)))
    return out


def _release_section(card: Scorecard, prefix: str) -> list[Any]:
    out: list[Any] = [html.H2("Before and after the latest release")]
    shown = [c for c in card.flows if c.release is not None]
    if not shown:
        out.append(layouts.notice(
            f"no release up to {card.days.last - timedelta(days=1)} (releases are compared "
            "over complete days): list releases under a costed flow in the catalog, e.g. "
            "releases: [{version: \"2.5\", date: 2026-11-20}]", kind="empty"))
        return out
    out.append(html.Ul([html.Li(release_sentence(c.flow, c.release, c.currency),
                                className="release")
                        for c in shown if c.release is not None], id="exec-releases",
                       className="fs-headlines"))
    out.append(layouts.table("exec-release-table", tables.release_table(card),
                             layouts.download_href(prefix, "releases", period=card.key)))
    out.append(layouts.graph("exec-release", figures.release_figure(shown)))
    return out


def oncall_body(model: ReadModel, view: Oncall, prefix: str = PREFIX) -> list[Any]:
    """The on-call page's content."""
    out: list[Any] = [layouts.notice(w, kind="error") for w in dict.fromkeys(view.warnings)]
    out.append(html.P(f"as of {view.at:%Y-%m-%d %H:%M:%S} UTC", className="fs-muted"))
    firing = [a for a in view.alerts if a.status == "firing"]
    out.append(html.H2(f"Alerts ({len(firing)} firing)"))
    if view.alerts:
        out.append(layouts.table("oncall-alerts", tables.alerts_table(view.alerts),
                                 layouts.download_href(prefix, "alerts")))
    else:
        out.append(layouts.notice("no alerts firing or pending", kind="empty"))
    if not view.tiers:
        out.append(layouts.notice("no SLO with alert tiers: add slos and alerting.windows to "
                                  "a flow in the catalog"))
    else:
        if all(t.long_burn is None for t in view.tiers):
            out.append(layouts.notice(_no_runs_hint(model)))
        out.append(layouts.graph("oncall-burn", figures.burn_rate_figure(view.tiers)))
        out.append(layouts.graph("oncall-burndown", figures.burndown_figure(view.burndown)))
    out.extend(_health_section(model, view.health, prefix))
    return out


def _health_section(model: ReadModel, cards: tuple[FlowHealthCard, ...], prefix: str
                    ) -> list[Any]:
    """Per flow: dead letters in the last 24 h and the oldest one waiting, then lag, retries
    and dead letters per step. Ids carry the flow's position in the catalog (0, 1, ...)."""
    if not cards:  # no flow, or the health could not be read (a warning says why)
        return []
    out: list[Any] = [html.H2("Dead letters, lag and retries (last 24 h)")]
    for i, card in enumerate(cards):
        out.append(html.H3(card.flow))
        out.append(html.P(dead_letter_sentence(card), id=f"oncall-dead-letter-text-{i}"))
        if card.dead_letter_inflow:
            out.append(layouts.graph(f"oncall-dead-letters-{i}",
                                     run_figures.dead_letter_figure(card)))
        if not card.steps:
            out.append(layouts.notice(f"{card.flow} names no steps: add steps (a name and a "
                                      "service each) to the flow in the catalog to see lag "
                                      "and retries per step"))
        elif not card.runs:
            out.append(layouts.notice(f"no run of {card.flow} entered in the last 24 h, so no "
                                      f"step has lag or retries; {_no_runs_hint(model)}"))
        else:
            out.append(layouts.table(
                f"oncall-steps-table-{i}", tables.steps_table(card),
                layouts.download_href(prefix, "steps", flow=card.flow)))
            out.append(layouts.graph(f"oncall-steps-{i}", run_figures.step_figure(card)))
    return out


def trace_body(model: ReadModel, correlation_id: str, prefix: str = PREFIX) -> list[Any]:
    """The trace explorer's content for one id."""
    if not correlation_id.strip():
        return [layouts.notice("type an order id (or any correlation id) and press Enter")]
    wanted = identifier("the id", correlation_id)
    timeline = model.trace(wanted)
    if timeline is None:
        return [layouts.notice(f"nothing carries the id {wanted!r}: check the "
                               f"id, or {_no_runs_hint(model)}")]
    failing = figures.failing_items(timeline)
    out: list[Any] = []
    if timeline.count > len(timeline.items):
        out.append(layouts.notice(
            f"this id carries {timeline.count:,} spans and events: showing the first "
            f"{len(timeline.items):,} in time order (all of them: flowscope trace ID, or GET "
            f"/api/v1/correlations/ID page by page)", kind="empty"))
    if failing:
        first = timeline.items[failing[0]]
        where = f"step {failing[0] + 1}: {first.service} {first.name} {first.status_message}"
        if figures.succeeded_after(timeline, failing[0]):
            out.append(layouts.notice(f"succeeded after a failure at {where}".strip(),
                                      kind="recovered"))
        else:
            out.append(layouts.notice(f"failed at {where}".strip(), kind="error"))
    out.append(layouts.graph("trace-waterfall", figures.waterfall_figure(timeline)))
    out.extend(_flow_time_section(model, timeline))
    out.append(html.H2("Every hop"))
    out.append(layouts.table("trace-table", tables.trace_table(timeline),
                             layouts.download_href(prefix, "trace",
                                                   id=timeline.correlation_id)))
    return out


def _flow_time_section(model: ReadModel, timeline: Timeline) -> list[Any]:
    """Where the run stands among its flow's flow times: a sentence and the histogram. A
    failure here leaves the waterfall shown."""
    try:
        view = model.flow_time(timeline)
    except DashboardError as exc:
        return [layouts.notice(str(exc), kind="error")]
    if view is None:
        why = (f"its flow {timeline.flow!r} is not in the catalog" if timeline.flow
               else "its items carry no flow")
        return [layouts.notice(f"no flow-time histogram: {why}; describe the flow in the "
                               "catalog (--catalog flows.yaml) to compare its runs")]
    out: list[Any] = [html.H2("Flow time"),
                      html.P(flow_time_sentence(view), id="trace-flow-time-text")]
    if view.bars:
        out.append(layouts.graph("trace-flow-time", run_figures.flow_time_figure(view)))
    return out


def register(app: Dash, model: ReadModel) -> None:
    """Wire the router and the three pages' callbacks onto ``app``."""
    prefix = app.config.requests_pathname_prefix

    @app.callback(Output("page", "children"), Input("url", "pathname"),
                  State("url", "search"))
    def route(pathname: object, search: object) -> Any:
        path = pathname[:MAX_SEARCH_CHARS] if isinstance(pathname, str) else ""
        search = search if isinstance(search, str) else ""
        page = app.strip_relative_path(path) or ""
        if page == "executive":
            return layouts.executive(prefix)
        if page == "oncall":
            return layouts.oncall(prefix)
        if page == "trace":
            query = parse_qs((search or "")[:MAX_SEARCH_CHARS].lstrip("?"))
            key = query.get("key", [""])[0]
            found = query.get("value" if key else "id", [""])
            return layouts.trace(prefix, found[0] if len(found[0]) <= MAX_ID_CHARS else "",
                                 model.catalog.search_keys(), key)
        return layouts.index(prefix)

    @app.callback(Output("exec-body", "children"), Input("exec-period", "value"))
    def executive(period: str) -> Any:
        return _guarded(lambda: executive_body(
            model, model.scorecard(checked_period(period)), prefix))

    @app.callback(Output("oncall-body", "children"), Input("oncall-refresh", "n_clicks"))
    def oncall(_clicks: int) -> Any:
        return _guarded(lambda: oncall_body(model, model.oncall(), prefix))

    @app.callback(Output("trace-body", "children"), Input("trace-go", "n_clicks"),
                  Input("trace-id", "value"), Input("trace-key", "value"))
    def trace(_clicks: int, correlation_id: object, key: object) -> Any:
        if isinstance(key, str) and key:  # a search key's value: dashboards.operator lists runs
            return None
        text = correlation_id if isinstance(correlation_id, str) else ""
        return _guarded(lambda: trace_body(model, text, prefix))
