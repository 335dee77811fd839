"""The ``flowscope`` command line (typer + rich).

Commands: ``serve``, ``migrate``, ``trace ID``, ``check FILE``, ``keys create|list|revoke``,
``demo``,
``rules prometheus``, ``slo status``, ``slo windows`` (:mod:`flowscope.slo_cli`), ``cost``,
``costs import`` (:mod:`flowscope.cost_cli`).
Commands that read a running server take ``--url`` (default ``FLOWSCOPE_URL`` or
``http://127.0.0.1:4318``); ``--json`` gives machine-readable output where a command prints a
table.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, NoReturn
from urllib.parse import quote

import httpx
import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="flowscope: SLOs, cost and tracing for business flows across systems.",
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

DEFAULT_URL = "http://127.0.0.1:4318"

HostOpt = Annotated[str | None, typer.Option("--host", help="Bind address [env FLOWSCOPE_HOST].")]
PortOpt = Annotated[int | None, typer.Option("--port", help="Port [env FLOWSCOPE_PORT; 4318].")]
GrpcPortOpt = Annotated[
    int | None,
    typer.Option("--grpc-port", help="OTLP/gRPC port, 0 for none [env FLOWSCOPE_GRPC_PORT; 4317]."),
]
DataDirOpt = Annotated[
    Path | None, typer.Option("--data-dir", help="Data directory [env FLOWSCOPE_DATA_DIR; ./data].")
]
CatalogOpt = Annotated[
    Path | None,
    typer.Option("--catalog", help="Flow catalog: a YAML file or a folder of them, flowscope/v1 "
                 "and OpenSLO v1 documents [env FLOWSCOPE_CATALOG]."),
]
UrlOpt = Annotated[
    str | None, typer.Option("--url", help="flowscope server URL [env FLOWSCOPE_URL].")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _settings(**overrides: Any) -> Any:
    from flowscope.settings import Settings

    return Settings(**{k: v for k, v in overrides.items() if v is not None})


def _auth_headers() -> dict[str, str]:
    key = os.environ.get("FLOWSCOPE_API_KEY")
    return {"authorization": f"Bearer {key}"} if key else {}


def _server_url(url: str | None) -> str:
    return (url or os.environ.get("FLOWSCOPE_URL") or DEFAULT_URL).rstrip("/")


def _fail(message: str, code: int = 1) -> NoReturn:
    key = os.environ.get("FLOWSCOPE_API_KEY")
    if key:  # never echo the caller's key, whatever a server or library put in a message
        message = message.replace(key, "***")
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


@app.command()
def serve(
    host: HostOpt = None,
    port: PortOpt = None,
    grpc_port: GrpcPortOpt = None,
    data_dir: DataDirOpt = None,
    catalog: CatalogOpt = None,
) -> None:
    """Run the collector (OTLP/HTTP, OTLP/gRPC), query API and dashboards in one process."""
    import uvicorn

    from catalog.errors import CatalogError
    from collector.errors import SpoolUnavailable
    from collector.grpc_ingest import GrpcListenError
    from flowscope.access import AccessError, key_store, refuse_open_bind
    from flowscope.app import create_app
    from flowscope.clients import ProxySettingError
    from flowscope.data_dir import private_umask
    from flowscope.server_limits import limited_protocol

    private_umask()  # everything the server writes (spool, keys, audit, chDB) is 0600/0700
    settings = _settings(
        host=host, port=port, grpc_port=grpc_port, data_dir=data_dir, catalog=catalog
    )
    try:
        refusal = refuse_open_bind(settings.host, key_store(settings.keys_path()))
    except AccessError as exc:
        _fail(str(exc))
    if refusal:
        _fail(refusal)
    try:
        application = create_app(settings)
    except CatalogError as exc:
        _fail(f"the catalog cannot be loaded:\n{exc}")
    except SpoolUnavailable as exc:
        _fail(f"{exc}\nflowscope acknowledges data only once it is on disk: fix the spool first.")
    except ProxySettingError as exc:
        _fail(str(exc))
    except GrpcListenError as exc:
        _fail(f"{exc}\nset --grpc-port (FLOWSCOPE_GRPC_PORT) to a free port, or 0 for no OTLP/gRPC")
    err.print(f"flowscope listening on http://{settings.host}:{settings.port}", highlight=False)
    if settings.grpc_port:
        err.print(f"OTLP/gRPC on {settings.host}:{settings.grpc_port}", highlight=False)
    uvicorn.run(
        application,
        host=settings.host,
        port=settings.port,
        log_level="info",
        http=limited_protocol(header_timeout=settings.header_timeout,
                              max_connections=settings.max_connections),
        timeout_keep_alive=settings.keep_alive_timeout,
        proxy_headers=False,  # flowscope.clients decides whom to believe
    )


@app.command()
def migrate(data_dir: DataDirOpt = None) -> None:
    """Apply pending warehouse migrations (safe to run again)."""
    from flowscope.settings import Settings
    from warehouse.adoption import DEDUP_WINDOW, adopt_tables
    from warehouse.errors import WarehouseError
    from warehouse.migrations import apply_migrations
    from warehouse.port import Warehouse

    settings: Settings = _settings(data_dir=data_dir)
    try:
        with Warehouse.connect(settings.dsn(), cluster=settings.cluster) as wh:
            applied = apply_migrations(wh, ttl_days=settings.ttl_days)
            adopted = adopt_tables(wh)
    except WarehouseError as exc:
        _fail(str(exc))
    if applied:
        out.print("applied: " + ", ".join(applied))
    else:
        out.print("schema is up to date")
    for table in adopted:
        out.print(f"set non_replicated_deduplication_window = {DEDUP_WINDOW} on {table}: it was "
                  "created without it (e.g. by an OpenTelemetry Collector), so flowscope's "
                  "retried inserts would have been stored twice", highlight=False)


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


@app.command()
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
    base = _server_url(url)
    if key is not None:
        from flowscope.search_cli import search

        search(base, key, correlation_id, headers=_auth_headers(), as_json=as_json,
               max_runs=max_items, out=out, err=err, fail=_fail)
        return
    address = f"{base}/api/v1/correlations/{quote(correlation_id, safe='')}"
    body: dict[str, Any] = {}
    items: list[Any] = []
    cursor: str | None = None
    while True:
        params = {"limit": str(min(10_000, max_items - len(items)))}
        if cursor:
            params["cursor"] = cursor
        try:
            resp = httpx.get(address, params=params, headers=_auth_headers(), timeout=60)
        except httpx.HTTPError as exc:
            _fail(f"cannot reach flowscope at {base}: {exc}")
        if resp.status_code in (401, 403):
            _fail(f"{base} refused the request ({resp.status_code}): set FLOWSCOPE_API_KEY to a "
                  "read key")
        if resp.status_code == 404:
            _fail(f"no spans or events carry the id {correlation_id[:200]!r}", code=2)
        if resp.status_code != 200:
            _fail(f"{base} answered {resp.status_code}: {resp.text[:500]}")
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


@app.command()
def check(
    file: Annotated[Path, typer.Argument(help="Catalog file or folder (flowscope/v1, OpenSLO).")],
    catalog: Annotated[
        Path | None,
        typer.Option("--catalog", help="For OpenSLO files: the catalog whose flows they name."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Validate a catalog file or folder as --catalog reads it; print every problem with file,
    line and field, or what it holds (with --json: the SLOs imported from OpenSLO)."""
    from catalog.check import check_file
    from catalog.errors import CatalogError
    from catalog.sources import load_catalog_sources

    flows = None
    if catalog is not None:
        try:
            flows = load_catalog_sources(catalog)
        except CatalogError as exc:
            _fail(f"the catalog given with --catalog is not valid:\n{exc}")
    report = check_file(file, flows)
    if as_json:
        sys.stdout.write(json.dumps(report.to_dict()) + "\n")
    elif report.ok:
        out.print(report.render(), highlight=False)
    else:
        err.print(report.render(), highlight=False)
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def demo(
    host: HostOpt = None,
    port: PortOpt = None,
    grpc_port: GrpcPortOpt = None,
    data_dir: DataDirOpt = None,
    catalog: CatalogOpt = None,
    days: Annotated[int, typer.Option("--days", min=0, help="Days of history to backfill.")] = 30,
    rate: Annotated[
        float, typer.Option("--rate", min=0.01, help="Live runs started per second.")
    ] = 1.0,
    scale: Annotated[
        float, typer.Option("--scale", min=0.01, help="History volume (1 = 2520 runs a day).")
    ] = 1.0,
) -> None:
    """Start the server on the embedded engine, backfill history, then send live traffic.

    Spans go through the OpenTelemetry SDK (OTLP/HTTP), business events as CloudEvents; a
    second run on the same data directory reuses the history. Without --catalog it serves
    <data-dir>/demo-catalog.yaml: the example catalog with releases dated inside the history.
    Ctrl-C stops.
    """
    from flowscope.demo import DemoOptions, run_demo

    options = DemoOptions(days=days, rate=rate, scale=scale)
    settings = _settings(
        host=host, port=port, grpc_port=grpc_port, data_dir=data_dir, catalog=catalog
    )
    raise typer.Exit(run_demo(settings, options))


@app.command()
def reindex(
    start: Annotated[
        datetime | None,
        typer.Option("--from", formats=["%Y-%m-%d"], help="First UTC day (default: oldest)."),
    ] = None,
    end: Annotated[
        datetime | None,
        typer.Option(
            "--to", formats=["%Y-%m-%d"], help="Last UTC day, included (default: newest)."
        ),
    ] = None,
    data_dir: DataDirOpt = None,
    catalog: CatalogOpt = None,
    force: Annotated[
        bool, typer.Option("--force", help="Redo days a previous run finished (still safe).")
    ] = False,
) -> None:
    """Index spans and events already stored (e.g. by an OpenTelemetry Collector).

    Tags rows by the catalog's correlation keys, fills the correlation index and the flow
    aggregates one day at a time; resumable and safe to run twice. With the embedded engine
    the server must not be running on the same data directory.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from catalog.errors import CatalogError
    from catalog.sources import load_catalog_sources
    from flowscope.reindex import DayResult, engine_in_use, reindex_all
    from warehouse.errors import WarehouseError
    from warehouse.port import Warehouse

    settings = _settings(data_dir=data_dir, catalog=catalog)
    if settings.catalog is None:
        _fail("give --catalog FILE (or set FLOWSCOPE_CATALOG): reindex tags by its flows")
    try:
        flows = load_catalog_sources(settings.catalog)
    except CatalogError as exc:
        _fail(f"the catalog cannot be loaded:\n{exc}")
    from warehouse.dsn import parse_dsn

    target = parse_dsn(settings.dsn())
    if target.is_embedded and target.path and engine_in_use(Path(target.path)):
        _fail(
            f"the data directory {settings.data_dir} is in use (is `flowscope serve` or "
            "`flowscope demo` running on it?): stop the server, then reindex"
        )
    columns = (
        TextColumn("[bold]reindexing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("days  {task.fields[stats]}"),
    )
    totals = [0, 0]
    try:
        with (
            Warehouse.connect(settings.dsn(), cluster=settings.cluster) as wh,
            Progress(*columns, console=err) as bar,
        ):
            task = bar.add_task("reindex", total=None, stats="")

            def on_day(result: DayResult) -> None:
                totals[0] += result.spans
                totals[1] += result.events
                stats = f"{result.day}  +{totals[0]:,} spans · +{totals[1]:,} events"
                bar.update(task, advance=1, stats=stats)

            reindex_all(
                wh,
                flows,
                start=start.date() if start else None,
                end=end.date() if end else None,
                force=force,
                on_plan=lambda n: bar.update(task, total=n),
                on_day=on_day,
            )
    except WarehouseError as exc:
        _fail(str(exc))
    out.print(f"indexed {totals[0]:,} spans and {totals[1]:,} events")


keys_app = typer.Typer(no_args_is_help=True, help="API keys (stored as hashes).")
app.add_typer(keys_app, name="keys")


@keys_app.command("create")
def keys_create(
    scope: Annotated[str, typer.Option("--scope", help="ingest, read, operate or admin.")],
    name: Annotated[str | None, typer.Option("--name", help="A label for the key.")] = None,
    source: Annotated[
        list[str] | None,
        typer.Option("--source", help="Limit an ingest key to this CloudEvents source "
                                      "(repeat for several)."),
    ] = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Create an API key; it is printed once and only its hash is stored.

    The creation is recorded in the audit trail (actor ``local``) through
    ``<data-dir>/audit-pending.jsonl``, which the server imports; without a record, no key.
    """
    from flowscope.access import SCOPES, AccessError, KeyStore, check_sources, env_entry

    settings = _settings(data_dir=data_dir)
    store = KeyStore(settings.keys_path())
    if scope not in SCOPES:
        _fail(f"unknown scope {scope!r}: use one of {', '.join(SCOPES)}")
    sources = tuple(source or ())
    try:
        check_sources(sources)
        label = name or f"{scope}-{len(store.keys()) + 1}"
        detail: dict[str, Any] = {"scope": scope, "keys_file": str(store.path), "user": _user()}
        if sources:
            detail["sources"] = list(sources)
        _audit(settings, "key.create", label, detail)
        key = store.create(scope, name=label, sources=sources)
    except (AccessError, OSError) as exc:
        _fail(str(exc))
    stored = store.match(key)
    err.print(f"created a {scope} key; stored its hash in {store.path}. It is shown only once:")
    if stored is not None and not sources:
        err.print(f"(for FLOWSCOPE_API_KEYS instead of the file: {env_entry(stored)})")
    sys.stdout.write(key + "\n")


@keys_app.command("list")
def keys_list(data_dir: DataDirOpt = None, as_json: JsonOpt = False) -> None:
    """List the keys: name, scope, id (the start of its hash), creation time and sources."""
    from flowscope.access import AccessError, key_store

    settings = _settings(data_dir=data_dir)
    try:
        store = key_store(settings.keys_path())
        valid = store.keys()
    except AccessError as exc:
        _fail(str(exc))
    file_keys = [(k, "file") for k in valid if k not in store.extra]
    listed = [*file_keys, *((k, "env") for k in store.extra)]
    rows: list[dict[str, Any]] = [
        {"name": k.name, "scope": k.scope, "id": k.key_id, "created": k.created,
         "sources": list(k.sources), "from": where} for k, where in listed]
    if as_json:
        sys.stdout.write(json.dumps({"keys": rows}) + "\n")
        return
    table = Table(title=f"API keys ({store.path})")
    for col in ("name", "scope", "id", "created", "sources", "from"):
        table.add_column(col)
    for row in rows:
        table.add_row(row["name"], row["scope"], row["id"], row["created"],
                      ", ".join(row["sources"]) or "any", row["from"])
    out.print(table)


@keys_app.command("revoke")
def keys_revoke(
    which: Annotated[str, typer.Argument(help="The key's name, or the start of its id.")],
    data_dir: DataDirOpt = None,
) -> None:
    """Revoke a key: remove it from the keys file. A running server refuses it at once, and
    ends the dashboard sessions opened with it. Recorded in the audit trail."""
    from flowscope.access import AccessError, KeyStore

    settings = _settings(data_dir=data_dir)
    store = KeyStore(settings.keys_path())
    try:
        revoked = store.revoke(which)
    except (AccessError, OSError) as exc:
        _fail(str(exc))
    for key in revoked:
        try:
            _audit(settings, "key.revoke", key.name,
                   {"scope": key.scope, "id": key.key_id, "keys_file": str(store.path),
                    "user": _user()})
        except OSError as exc:
            err.print(f"[yellow]warning:[/] the revocation is done but could not be recorded "
                      f"in the audit trail: {exc.strerror or exc}", highlight=False)
        out.print(f"revoked {key.name} ({key.scope}, id {key.key_id})", highlight=False)


def _user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return ""


def _audit(settings: Any, action: str, target: str, detail: dict[str, Any]) -> None:
    from flowscope.audit import AuditLog, pending_path

    AuditLog(pending_path(settings.data_dir)).record(action, actor="local", target=target,
                                                     detail=detail)


from flowscope.slo_cli import slo_app  # noqa: E402 - it reads this module's helpers lazily

app.add_typer(slo_app, name="slo")

from flowscope.cost_cli import cost_command, costs_app  # noqa: E402 - reads helpers lazily

app.command("cost")(cost_command)
app.add_typer(costs_app, name="costs")

rules_app = typer.Typer(no_args_is_help=True, help="Generate alerting rules for other tools.")
app.add_typer(rules_app, name="rules")


@rules_app.command("prometheus")
def rules_prometheus(
    catalog: CatalogOpt = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to FILE instead of stdout.")
    ] = None,
) -> None:
    """Print a Prometheus rule file: error-ratio recording rules and FlowSLOBudgetBurn alerts."""
    from alerts.errors import RuleRenderError
    from alerts.facts import load_rule_set
    from alerts.prometheus_rules import render_prometheus_rules
    from catalog.errors import CatalogError
    from catalog.sources import load_catalog_sources

    path = catalog or _settings().catalog
    if path is None:
        _fail("give --catalog FILE (or set FLOWSCOPE_CATALOG)")
    try:
        text = render_prometheus_rules(load_rule_set(load_catalog_sources(path)))
    except CatalogError as exc:
        _fail(f"the catalog cannot be loaded:\n{exc}")
    except RuleRenderError as exc:
        _fail(str(exc))
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        _fail(f"cannot write {output}: {exc.strerror or exc}")
    err.print(f"wrote {output}", highlight=False)


def main() -> None:
    """Console-script entry point."""
    app()
