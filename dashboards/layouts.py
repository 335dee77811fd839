"""Page layouts and the small components they share: navigation, status legend, tiles, tables
with their CSV download, notices.

The look is Bootstrap 5 through dash-bootstrap-components (containers, cards, tables that
scroll inside their box, alerts) plus the small stylesheet ``dashboards/assets/flowscope.css``
(type scale, spacing, the status colours of :mod:`dashboards.style`). Layouts hold placeholders
(``*-body``) that :mod:`dashboards.callbacks` fills inside ``dcc.Loading``; nothing here reads
data.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html

from dashboards.model import DEFAULT_PERIOD, PERIODS
from dashboards.style import STATUS_MARKS
from dashboards.tables import TableView
from dashboards.tiles import Tile

PREFIX = "/dashboards/"
"""Where the composition root mounts the pages."""
PAGES: dict[str, str] = {"executive": "Executive", "oncall": "On-call",
                         "trace": "Trace explorer"}
"""Page paths (under the prefix) and their titles."""


def nav(prefix: str, current: str) -> dbc.Nav:
    """Links to every page; the current one highlighted."""
    return dbc.Nav([
        dbc.NavItem(dbc.NavLink(title, href=f"{prefix}{path}", id=f"nav-{path}",
                                active=path == current))
        for path, title in PAGES.items()], pills=True, className="fs-nav mb-2")


def status_legend() -> html.Div:
    """What the status colours and marks mean (every page shows it)."""
    return html.Div([html.Span("Status:", className="fs-legend-title"), *[
        html.Span([html.Span(mark, className=f"fs-mark fs-status-{key}"), f" {meaning}"],
                  className="fs-legend-item")
        for key, (mark, _colour, meaning) in STATUS_MARKS.items()]],
        className="fs-legend", id="status-legend")


def notice(text: str, *, kind: str = "empty") -> dbc.Alert:
    """An empty state (``kind='empty'``), an error (``kind='error'``) or a run that recovered
    from a failure (``kind='recovered'``), shown in the page."""
    colour = {"error": "danger", "recovered": "warning"}.get(kind, "secondary")
    return dbc.Alert(text, color=colour, className=f"notice notice-{kind} my-2")


def tiles(found: Sequence[Tile]) -> dbc.Row:
    """Headline tiles in a row (stacked on a phone)."""
    return dbc.Row([
        dbc.Col(dbc.Card(dbc.CardBody([
            html.Div(t.title, className="fs-tile-title"),
            *[html.Div([html.Span(label, className="fs-tile-label") if label else None,
                        html.Span(figure, className="fs-tile-figure")],
                       className="fs-tile-line") for label, figure in t.lines],
            html.Div(t.detail, className="fs-tile-detail")]),
            className=f"fs-tile fs-tile-{t.status or 'plain'} h-100", id=f"tile-{t.key}"),
            xs=12, md=4)
        for t in found], className="g-3 mb-3", id="exec-tiles")


def download_href(prefix: str, name: str, **query: str) -> str:
    """Where the CSV of table ``name`` is downloaded (:mod:`dashboards.downloads`)."""
    return f"{prefix}csv/{name}" + (f"?{urlencode(query)}" if query else "")


def table(table_id: str, view: TableView, csv_href: str) -> html.Div:
    """A table that scrolls inside its box, with a "Download CSV" link beside it; cells with a
    status carry its colour and mark."""
    shown = view.page_columns()
    head = html.Thead(html.Tr([html.Th(view.columns[i].title, scope="col") for i in shown]))
    body = html.Tbody([html.Tr([
        html.Td(row[i].shown, className=f"fs-status-{row[i].status}" if row[i].status else None)
        for i in shown]) for row in view.rows])
    return html.Div([
        html.Div(html.A("Download CSV", href=csv_href, download=f"{view.name}.csv",
                        id=f"{table_id}-csv", className="btn btn-outline-secondary btn-sm"),
                 className="fs-table-tools"),
        html.Div(dbc.Table([head, body], id=table_id, size="sm", striped=True, hover=True,
                           className="mb-0"), className="table-responsive fs-table"),
    ], className="fs-table-block")


def graph(graph_id: str, figure: go.Figure) -> html.Figure:
    """A graph that follows its box's width, without Plotly's tool bar (drag to zoom and
    double-click to reset still work; on a phone the bar covered the legend). The figure's
    title moves out of the plot into a caption above it, where it wraps on a phone."""
    title = figure.layout.title.text
    shown = go.Figure(figure)
    shown.update_layout(title=None)
    return html.Figure([
        html.Figcaption(title, className="fs-figure-title") if title else None,
        dcc.Graph(id=graph_id, figure=shown, className="fs-graph",
                  config={"displaylogo": False, "responsive": True,
                          "displayModeBar": False})], className="fs-figure")


def _page(prefix: str, current: str, *children: Any) -> dbc.Container:
    return dbc.Container([
        html.H1(f"flowscope · {PAGES[current]}", className="fs-title"),
        nav(prefix, current), status_legend(), *children], fluid=True, className="fs-page")


def executive(prefix: str) -> dbc.Container:
    """Per-flow scorecard over a chosen period (and which flows are in maintenance now)."""
    return _page(prefix, "executive",
                 html.Div(id="exec-maintenance"),
                 dcc.RadioItems(id="exec-period", value=DEFAULT_PERIOD, inline=True,
                                options=[{"label": v, "value": k} for k, v in PERIODS.items()],
                                className="fs-period", inputClassName="form-check-input me-1",
                                labelClassName="form-check-label me-3"),
                 dcc.Loading(html.Div(id="exec-body"), type="default"))


def oncall(prefix: str) -> dbc.Container:
    """Maintenance now, the dead letters waiting (searchable; the replay button for operators,
    :mod:`dashboards.operator`), burn rates per tier, budget burn-down, alerts, and each flow's
    dead letters, lag and retries per step; refreshed by the button."""
    return _page(prefix, "oncall",
                 dbc.Button("Refresh", id="oncall-refresh", n_clicks=0, color="primary",
                            size="sm"),
                 html.Div(id="oncall-maintenance"),
                 html.H2("Dead letters waiting"),
                 dcc.Input(id="oncall-dlq-q", type="search", debounce=True,
                           placeholder="filter: part of a run id or of a customer, invoice...",
                           className="form-control fs-search mb-2"),
                 html.Div(id="oncall-dlq-result"),
                 dcc.Loading(html.Div(id="oncall-dlq"), type="default"),
                 dcc.Loading(html.Div(id="oncall-body"), type="default"))


def trace(prefix: str, correlation_id: str, keys: Sequence[str] = (), key: str = ""
          ) -> dbc.Container:
    """Search box for a correlation id or, with a search key chosen, a value of it (prefilled
    from ``?id=``, or ``?key=&value=``); the run's waterfall and its flow time on its flow's
    histogram, or the runs the value names."""
    options = [{"label": "correlation id", "value": ""},
               *({"label": k, "value": k} for k in keys)]
    return _page(prefix, "trace",
                 html.Div([
                     dcc.Dropdown(id="trace-key", options=options,
                                  value=key if key in keys else "", clearable=False,
                                  searchable=False, className="fs-search-key"),
                     dcc.Input(id="trace-id", type="search", value=correlation_id,
                               placeholder="order id, e.g. A-1042, or a customer...",
                               debounce=True, className="form-control fs-search"),
                     dbc.Button("Look up", id="trace-go", n_clicks=0, color="primary")],
                     className="input-group fs-search-group"),
                 dcc.Loading(html.Div(id="trace-search"), type="default"),
                 dcc.Loading(html.Div(id="trace-body"), type="default"))


def index(prefix: str) -> dbc.Container:
    """The landing page: what each page is for."""
    return dbc.Container([
        html.H1("flowscope dashboards", className="fs-title"),
        html.Ul([
            html.Li([html.A("Executive", href=f"{prefix}executive"),
                     ": SLO attainment, budget, cost per success and return, per flow"]),
            html.Li([html.A("On-call", href=f"{prefix}oncall"),
                     ": burn rates per alert tier, budget burn-down, firing alerts, dead "
                     "letters, lag and retries per step"]),
            html.Li([html.A("Trace explorer", href=f"{prefix}trace"),
                     ": every hop of one order, spans and events interleaved, and its flow "
                     "time against its flow's other runs"]),
        ])], fluid=True, className="fs-page")


def shell() -> html.Div:
    """The app's root: the URL and the page placeholder."""
    return html.Div([dcc.Location(id="url", refresh=False), html.Div(id="page")])
