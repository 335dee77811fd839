"""The operator's parts of the pages: the dead-letter queue with its replay button (on-call),
maintenance now (on-call and executive), runs by any search key (trace explorer).

:class:`OperatorViews` reads through the rooms' functions (:func:`slo.dead_letters.read_queue`,
:class:`slo.declared_maintenance.MaintenanceBook`, :func:`slo.search_query.search_runs`); the
builders turn what they read into components; :func:`register` wires the callbacks. A replay
from the page goes through the same :class:`alerts.replay.ReplayService` as the API (same
guardrails, same audit trail), only for a session whose key has the ``operate`` or ``admin``
scope: the button is shown to no one else, and the callback refuses (and audits) anyone else
who would send one. Each button carries an Idempotency-Key made when the list was drawn, so a
double click replays once.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import dash_bootstrap_components as dbc
from dash import ALL, Dash, Input, Output, ctx, dcc, html
from dash.exceptions import PreventUpdate

from alerts.errors import OperationRefused
from alerts.maintenance_now import ListedWindow, MaintenanceService
from alerts.replay import ReplayService
from catalog.durations import human_duration
from catalog.errors import ParameterError
from catalog.model import Catalog
from catalog.parameters import MAX_ID_CHARS, identifier, shown
from dashboards.errors import DashboardError, NotReady, ReadFailed
from slo.dead_letters import DeadLetter, read_queue
from slo.errors import SLOError
from slo.search_query import SearchPage, search_runs
from warehouse.errors import WarehouseError, public_message
from warehouse.port import Warehouse

log = logging.getLogger("flowscope.dashboards")

OPERATORS = ("operate", "admin")
"""Session scopes that may replay from the page."""
PAGE_LETTERS = 20
"""Waiting dead letters listed on the page: the oldest of every flow together (each row is a
dozen components with its replay button; 150 rows took the browser 3 s to draw on 2 cores).
The search box narrows the list; the API pages through all of them."""
SEARCH_RUNS = 100
MAX_FILTER_CHARS = 200


def session() -> tuple[str, str, str]:
    """The page request's key name, scope and client address, as the access guard left them
    (a server without keys grants ``admin``); empty outside a request."""
    from flask import has_request_context, request

    if not has_request_context():
        return "", "", ""
    scope = request.environ.get("asgi.scope") or {}
    state = scope.get("state") or {}
    return (str(state.get("api_key_name") or "local"), str(state.get("api_key_scope") or ""),
            str(state.get("client") or request.environ.get("REMOTE_ADDR") or ""))


@dataclass
class OperatorViews:
    """Reads for the operator's parts of the pages (``warehouse()`` is ``None`` until ready);
    ``stored(key, value)`` is how the search index holds a value."""

    catalog: Catalog
    warehouse: Callable[[], Warehouse | None]
    replays: ReplayService
    maintenance: MaintenanceService
    stored: Callable[[str, str], str | None]
    clock: Callable[[], datetime]

    def _ready(self) -> Warehouse:
        wh = self.warehouse()
        if wh is None:
            raise NotReady("the warehouse is not ready yet; this page retries when you reload it")
        return wh

    def waiting(self, q: str) -> tuple[list[DeadLetter], int, list[str]]:
        """The :data:`PAGE_LETTERS` oldest waiting dead letters of every flow together matching
        ``q``, how many wait in all, and what could not be read."""
        wh = self._ready()
        found: list[DeadLetter] = []
        total = 0
        warnings: list[str] = []
        for flow in self.catalog.flows:
            try:
                page = read_queue(wh, flow, "waiting", q=q, limit=PAGE_LETTERS)
            except (WarehouseError, SLOError) as exc:
                why = public_message(exc) if isinstance(exc, WarehouseError) else str(exc)
                warnings.append(f"the dead letters of {flow.name} could not be read: {why}")
                continue
            found.extend(page.items)
            total += page.total
        return sorted(found, key=lambda d: d.dead_lettered_at)[:PAGE_LETTERS], total, warnings

    def maintenance_now(self) -> list[ListedWindow]:
        """Maintenance windows active now (declared and the catalog's)."""
        at = self.clock()
        try:
            return [w for w in self.maintenance.listing(at) if w.starts_at <= at < w.ends_at]
        except (OperationRefused, WarehouseError):
            return []

    def search(self, key: str, value: str) -> SearchPage:
        """The newest runs whose ``key`` held ``value``."""
        flows = [f for f in self.catalog.flows if key in f.search_keys]
        if not flows:
            raise ReadFailed(f"{shown(key)} is not a search key of any flow")
        held = self.stored(key, value)
        if held is None:
            raise ReadFailed(f"{key} is dropped by the catalog's redaction: never stored")
        wh = self._ready()
        try:
            return search_runs(wh, flows, key, held, 0, 2**62, limit=SEARCH_RUNS)
        except WarehouseError as exc:
            raise ReadFailed(f"the search could not be read: {public_message(exc)}") from exc


# -- builders ----------------------------------------------------------------------------------

def _time(ns: int | None) -> str:
    if not ns:
        return ""
    return f"{datetime.fromtimestamp(ns / 1e9, UTC):%Y-%m-%d %H:%M:%S} UTC"


def _trace_href(prefix: str, run: str) -> str:
    return f"{prefix}trace?{urlencode({'id': run})}"


def maintenance_banner(windows: Sequence[ListedWindow], element_id: str) -> html.Div:
    """One line per flow in maintenance now (empty when none)."""
    lines = []
    for w in windows:
        who = f", declared by {w.declared.created_by}" if w.declared else ""
        lines.append(html.Li(f"{w.flow}: maintenance until {w.ends_at:%Y-%m-%d %H:%M} UTC "
                             f"({w.reason}{who}): its SLIs leave this time out and its alerts "
                             "are held back"))
    if not lines:
        return html.Div(id=element_id)
    return html.Div(dbc.Alert(html.Ul(lines, className="mb-0"), color="info",
                              className="my-2"), id=element_id)


def _replays_text(letter: DeadLetter) -> str:
    if not letter.replays:
        return "none"
    last = letter.replays[-1]
    tried = f"{len(letter.replays)} tried" if len(letter.replays) > 1 else "1 tried"
    return f"{tried}, last {last.outcome} by {last.actor}" + (f" ({last.error})" if last.error
                                                               else "")


def dead_letter_table(letters: Sequence[DeadLetter], at: datetime, *, can_replay: bool,
                      prefix: str) -> html.Div:
    """The waiting dead letters, oldest first: run (a link to its trace), flow, failing step
    and error, how long it has waited, search keys, replays tried, and the replay button (behind
    a confirmation) for operators."""
    if not letters:
        return html.Div(dbc.Alert("no dead letter is waiting", color="secondary",
                                  className="notice notice-empty my-2"), id="oncall-dlq-list")
    now_ns = (at - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1) * 1000
    titles = ["run", "flow", "failed at", "error", "waited", "search keys", "replays"]
    head = html.Thead(html.Tr([html.Th(t, scope="col") for t in titles]
                              + ([html.Th("", scope="col")] if can_replay else [])))
    rows = []
    for letter in letters:
        failing = letter.failing
        waited = max(0, now_ns - letter.dead_lettered_at) / 1e9
        keys = "; ".join(f"{k} {', '.join(v)}" for k, v in sorted(letter.search_keys.items()))
        cells: list[Any] = [
            html.Td(html.A(letter.correlation_id,
                           href=_trace_href(prefix, letter.correlation_id))),
            html.Td(letter.flow),
            html.Td((failing.step or failing.item) if failing else ""),
            html.Td((failing.error or failing.item) if failing else "",
                    className="fs-status-bad"),
            html.Td(human_duration(waited),
                    title=f"dead-lettered {_time(letter.dead_lettered_at)}"),
            html.Td(keys),
            html.Td(_replays_text(letter)),
        ]
        if can_replay:
            cells.append(html.Td(dcc.ConfirmDialogProvider(
                dbc.Button("Replay", color="warning", size="sm", className="fs-replay"),
                id={"type": "dlq-replay", "flow": letter.flow, "run": letter.correlation_id,
                    "key": uuid.uuid4().hex},
                message=f"Replay run {letter.correlation_id} of {letter.flow}? Its automation "
                        "will be asked to run it again.")))
        rows.append(html.Tr(cells))
    table = dbc.Table([head, html.Tbody(rows)], id="oncall-dlq-table", size="sm", striped=True,
                      hover=True, className="mb-0")
    return html.Div(html.Div(table, className="table-responsive fs-table"), id="oncall-dlq-list")


def search_body(page: SearchPage, key: str, value: str, prefix: str) -> list[Any]:
    """The trace explorer's list of runs for a search key's value."""
    if not page.hits:
        return [dbc.Alert(f"no run carries {key} = {value!r}", color="secondary",
                          className="notice notice-empty my-2")]
    out: list[Any] = [html.P(f"{page.total:,} runs carry {key} = {value}, newest first",
                             id="trace-search-text")]
    out += [dbc.Alert(w, color="danger", className="notice notice-error my-2")
            for w in page.warnings]
    head = html.Thead(html.Tr([html.Th(t, scope="col") for t in (
        "run", "flow", "state", "started", "last step")]))
    rows = [html.Tr([
        html.Td(html.A(h.correlation_id, href=_trace_href(prefix, h.correlation_id))),
        html.Td(h.flow),
        html.Td(h.state.state if h.state else "unknown",
                className="fs-status-bad" if h.state and h.state.state in (
                    "failed", "dead-lettered") else None),
        html.Td(_time(h.state.started_at if h.state else h.first_seen)),
        html.Td(h.state.last_step or "" if h.state else "")]) for h in page.hits]
    out.append(html.Div(dbc.Table([head, html.Tbody(rows)], id="trace-search-table", size="sm",
                                  striped=True, hover=True, className="mb-0"),
                        className="table-responsive fs-table"))
    return out


# -- callbacks ---------------------------------------------------------------------------------

def _guarded(render: Callable[[], Any]) -> Any:
    try:
        return render()
    except (DashboardError, ParameterError) as exc:
        return dbc.Alert(str(exc), color="danger", className="notice notice-error my-2")


def replay_from_page(views: OperatorViews, flow: str, run: str, key: str) -> dbc.Alert:
    """Replay ``run`` of ``flow`` for the page's session, or say why not."""
    actor, scope, remote = session()
    if scope not in OPERATORS:
        views.replays.deny(flow, run, actor=actor, remote=remote,
                           why=f"the page session's key has the {scope or 'no'} scope")
        return dbc.Alert("replays need a key with the operate scope", color="danger",
                         className="notice notice-error my-2")
    try:
        answer = views.replays.replay(flow, run, key, actor=actor, remote=remote)
    except OperationRefused as exc:
        return dbc.Alert(f"{run} was not replayed: {exc}", color="danger",
                         className="notice notice-error my-2")
    body = answer.body
    if body.get("result") == "accepted":
        return dbc.Alert(f"replay of {run} sent: the automation answered {body.get('status')}; "
                         "it leaves the queue when it succeeds", color="success",
                         className="notice my-2")
    return dbc.Alert(f"replay of {run} failed: {body.get('error')}; it stays in the queue",
                     color="danger", className="notice notice-error my-2")


def register(app: Dash, views: OperatorViews) -> None:
    """Wire the operator's callbacks onto ``app``."""
    prefix = app.config.requests_pathname_prefix

    @app.callback(Output("oncall-dlq", "children"), Input("oncall-refresh", "n_clicks"),
                  Input("oncall-dlq-q", "value"), Input("oncall-dlq-result", "children"))
    def queue(_clicks: int, q: object, _result: object) -> Any:
        text = q.strip()[:MAX_FILTER_CHARS] if isinstance(q, str) else ""

        def render() -> list[Any]:
            letters, total, warnings = views.waiting(text)
            _actor, scope, _remote = session()
            out: list[Any] = [dbc.Alert(w, color="danger", className="notice notice-error my-2")
                              for w in warnings]
            if total > len(letters):
                out.append(html.P(
                    f"the {len(letters)} oldest of {total:,} waiting"
                    + (" that match" if text else "") + "; search to narrow, or page through "
                    "them all with GET /api/v1/flows/{flow}/dead-letters",
                    id="oncall-dlq-count", className="text-muted small mb-1"))
            out.append(dead_letter_table(letters, views.clock(), can_replay=scope in OPERATORS,
                                         prefix=prefix))
            return out

        return _guarded(render)

    @app.callback(Output("oncall-dlq-result", "children"),
                  Input({"type": "dlq-replay", "flow": ALL, "run": ALL, "key": ALL},
                        "submit_n_clicks"), prevent_initial_call=True)
    def replay(clicks: list[int | None]) -> Any:
        chosen = ctx.triggered_id
        if not isinstance(chosen, dict) or not any(clicks or []):
            # buttons drawn with a new queue fire this too: answering nothing keeps the queue
            # from being read again (its callback takes this output as an input)
            raise PreventUpdate
        return _guarded(lambda: replay_from_page(
            views, identifier("the flow", str(chosen.get("flow", ""))),
            identifier("the run", str(chosen.get("run", ""))[:MAX_ID_CHARS]),
            str(chosen.get("key", ""))[:200]))

    @app.callback(Output("oncall-maintenance", "children"), Input("oncall-refresh", "n_clicks"))
    def oncall_maintenance(_clicks: int) -> Any:
        return maintenance_banner(views.maintenance_now(), "oncall-maintenance-now")

    @app.callback(Output("exec-maintenance", "children"), Input("exec-period", "value"))
    def executive_maintenance(_period: object) -> Any:
        return maintenance_banner(views.maintenance_now(), "exec-maintenance-now")

    @app.callback(Output("trace-search", "children"), Input("trace-go", "n_clicks"),
                  Input("trace-id", "value"), Input("trace-key", "value"))
    def search(_clicks: int, value: object, key: object) -> Any:
        chosen = key if isinstance(key, str) else ""
        text = value.strip() if isinstance(value, str) else ""
        if not chosen or not text:
            return None
        return _guarded(lambda: search_body(views.search(chosen, identifier("the value", text)),
                                            chosen, text, prefix))
