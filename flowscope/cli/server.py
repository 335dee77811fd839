"""``flowscope serve``, ``flowscope migrate`` and ``flowscope demo``: run the server, prepare
its warehouse, or run it with simulated traffic."""

from __future__ import annotations

from typing import Annotated

import typer

from flowscope.cli.common import (
    CatalogOpt,
    DataDirOpt,
    GrpcPortOpt,
    HostOpt,
    PortOpt,
    err,
    fail,
    out,
    settings,
)


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
    from flowscope.access.errors import AccessError, ProxySettingError
    from flowscope.access.keys import key_store, refuse_open_bind
    from flowscope.app import create_app
    from flowscope.data_dir import private_umask
    from flowscope.server_limits import limited_protocol

    private_umask()  # everything the server writes (spool, keys, audit, chDB) is 0600/0700
    chosen = settings(host=host, port=port, grpc_port=grpc_port, data_dir=data_dir,
                      catalog=catalog)
    try:
        refusal = refuse_open_bind(chosen.host, key_store(chosen.keys_path()))
    except AccessError as exc:
        fail(str(exc))
    if refusal:
        fail(refusal)
    try:
        application = create_app(chosen)
    except CatalogError as exc:
        fail(f"the catalog cannot be loaded:\n{exc}")
    except SpoolUnavailable as exc:
        fail(f"{exc}\nflowscope acknowledges data only once it is on disk: fix the spool first.")
    except ProxySettingError as exc:
        fail(str(exc))
    except GrpcListenError as exc:
        fail(f"{exc}\nset --grpc-port (FLOWSCOPE_GRPC_PORT) to a free port, or 0 for no OTLP/gRPC")
    err.print(f"flowscope listening on http://{chosen.host}:{chosen.port}", highlight=False)
    if chosen.grpc_port:
        err.print(f"OTLP/gRPC on {chosen.host}:{chosen.grpc_port}", highlight=False)
    uvicorn.run(
        application,
        host=chosen.host,
        port=chosen.port,
        log_level="info",
        http=limited_protocol(header_timeout=chosen.header_timeout,
                              max_connections=chosen.max_connections),
        timeout_keep_alive=chosen.keep_alive_timeout,
        proxy_headers=False,  # flowscope.access.clients decides whom to believe
    )


def migrate(data_dir: DataDirOpt = None) -> None:
    """Apply pending warehouse migrations (safe to run again)."""
    from warehouse.adoption import DEDUP_WINDOW, adopt_tables
    from warehouse.errors import WarehouseError
    from warehouse.migrations import apply_migrations
    from warehouse.port import Warehouse

    chosen = settings(data_dir=data_dir)
    try:
        with Warehouse.connect(chosen.dsn(), cluster=chosen.cluster) as wh:
            applied = apply_migrations(wh, ttl_days=chosen.ttl_days)
            adopted = adopt_tables(wh)
    except WarehouseError as exc:
        fail(str(exc))
    if applied:
        out.print("applied: " + ", ".join(applied))
    else:
        out.print("schema is up to date")
    for table in adopted:
        out.print(f"set non_replicated_deduplication_window = {DEDUP_WINDOW} on {table}: it was "
                  "created without it (e.g. by an OpenTelemetry Collector), so flowscope's "
                  "retried inserts would have been stored twice", highlight=False)


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
    from flowscope.demo.launcher import DemoOptions, run_demo

    options = DemoOptions(days=days, rate=rate, scale=scale)
    chosen = settings(host=host, port=port, grpc_port=grpc_port, data_dir=data_dir,
                      catalog=catalog)
    raise typer.Exit(run_demo(chosen, options))
