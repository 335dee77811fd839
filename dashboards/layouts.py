"""Page layouts and the small components they share: navigation, tables, notices.

Layouts hold placeholders (``*-body``) that :mod:`dashboards.callbacks` fills inside
``dcc.Loading``; nothing here reads data.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dash import dcc, html

from dashboards.model import DEFAULT_PERIOD, PERIODS

PAGES: dict[str, str] = {"executive": "Executive", "oncall": "On-call",
                         "trace": "Trace explorer"}
"""Page paths (under the prefix) and their titles."""


def nav(prefix: str, current: str) -> html.Nav:
    """Links to every page; the current one in bold."""
    return html.Nav([
        html.A(title, href=f"{prefix}{path}", id=f"nav-{path}",
               style={"marginRight": "1.5em", "fontWeight": "bold" if path == current else
                      "normal"})
        for path, title in PAGES.items()], style={"margin": "0.5em 0 1em"})


def notice(text: str, *, kind: str = "empty") -> html.Div:
    """An empty state (``kind='empty'``), an error (``kind='error'``) or a run that recovered
    from a failure (``kind='recovered'``), shown in the page."""
    colour = {"error": "#8a1c1c", "recovered": "#8a5a00"}.get(kind, "#555")
    return html.Div(text, className=f"notice notice-{kind}", role="alert" if kind == "error"
                    else "status", style={"color": colour, "padding": "1em",
                                          "border": f"1px solid {colour}",
                                          "borderRadius": "4px", "margin": "1em 0"})


def table(table_id: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> html.Table:
    """A plain HTML table."""
    cell = {"padding": "0.3em 0.8em", "borderBottom": "1px solid #ddd", "textAlign": "left"}
    return html.Table([
        html.Thead(html.Tr([html.Th(h, style=cell) for h in headers])),
        html.Tbody([html.Tr([html.Td(str(v), style=cell) for v in row]) for row in rows]),
    ], id=table_id, style={"borderCollapse": "collapse", "margin": "1em 0"})


def graph(graph_id: str, figure: Any) -> dcc.Graph:
    """A graph without Plotly's logo."""
    return dcc.Graph(id=graph_id, figure=figure, config={"displaylogo": False})


def _page(prefix: str, current: str, *children: Any) -> html.Div:
    return html.Div([html.H1(f"flowscope · {PAGES[current]}"), nav(prefix, current), *children],
                    style={"fontFamily": "sans-serif", "margin": "0 2em"})


def executive(prefix: str) -> html.Div:
    """Per-flow scorecard over a chosen period."""
    return _page(prefix, "executive",
                 dcc.RadioItems(id="exec-period", value=DEFAULT_PERIOD, inline=True,
                                options=[{"label": v, "value": k} for k, v in PERIODS.items()],
                                inputStyle={"marginRight": "0.3em", "marginLeft": "1em"}),
                 dcc.Loading(html.Div(id="exec-body"), type="default"))


def oncall(prefix: str) -> html.Div:
    """Burn rates per tier, budget burn-down, alerts, and each flow's dead letters, lag and
    retries per step; refreshed by the button."""
    return _page(prefix, "oncall",
                 html.Button("Refresh", id="oncall-refresh", n_clicks=0),
                 dcc.Loading(html.Div(id="oncall-body"), type="default"))


def trace(prefix: str, correlation_id: str) -> html.Div:
    """Search box for a correlation id (prefilled from ``?id=``), the run's waterfall and its
    flow time on its flow's histogram."""
    return _page(prefix, "trace",
                 html.Div([
                     dcc.Input(id="trace-id", type="search", value=correlation_id,
                               placeholder="order id, e.g. A-1042", debounce=True,
                               style={"width": "22em", "marginRight": "0.5em"}),
                     html.Button("Look up", id="trace-go", n_clicks=0)]),
                 dcc.Loading(html.Div(id="trace-body"), type="default"))


def index(prefix: str) -> html.Div:
    """The landing page: what each page is for."""
    return html.Div([
        html.H1("flowscope dashboards"),
        html.Ul([
            html.Li([html.A("Executive", href=f"{prefix}executive"),
                     ": SLO attainment, budget, cost per success and return, per flow"]),
            html.Li([html.A("On-call", href=f"{prefix}oncall"),
                     ": burn rates per alert tier, budget burn-down, firing alerts, dead "
                     "letters, lag and retries per step"]),
            html.Li([html.A("Trace explorer", href=f"{prefix}trace"),
                     ": every hop of one order, spans and events interleaved, and its flow "
                     "time against its flow's other runs"]),
        ])], style={"fontFamily": "sans-serif", "margin": "0 2em"})


def shell() -> html.Div:
    """The app's root: the URL and the page placeholder."""
    return html.Div([dcc.Location(id="url", refresh=False), html.Div(id="page")])
