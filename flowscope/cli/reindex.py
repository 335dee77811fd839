"""``flowscope reindex``: index spans and events already stored, then rebuild the run ledger.

The indexing itself is the collector's (:mod:`collector.reindex`: the catalog's tagging
applied in SQL, one UTC day at a time); rebuilding the run ledger and the flow rollups from
what it added is the SLO room's (:class:`slo.ledger.RunLedger`). :func:`reindex_all` joins the
two, here at the composition root, so neither room imports the other.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from flowscope.cli.common import CatalogOpt, DataDirOpt, err, fail, out, settings

if TYPE_CHECKING:
    from catalog.model import Catalog
    from collector.reindex import DayResult
    from warehouse.port import Warehouse


def reindex_all(
    wh: Warehouse,
    catalog: Catalog,
    *,
    start: date | None = None,
    end: date | None = None,
    today: date | None = None,
    force: bool = False,
    on_plan: Callable[[int], None] | None = None,
    on_day: Callable[[DayResult], None] | None = None,
) -> list[DayResult]:
    """Index every day of ``[start, end]`` not yet done under ``catalog``'s rules
    (:func:`collector.reindex.index_days`, which says what each argument does), then rebuild
    the run ledger and rollups of the catalog's flows when anything was added (or ``force``)."""
    from collector.reindex import index_days
    from slo.ledger import RunLedger

    results = index_days(wh, catalog, start=start, end=end, today=today, force=force,
                         on_plan=on_plan, on_day=on_day)
    if any(r.spans or r.events for r in results) or force:
        RunLedger.of(wh).rebuild(catalog.flows)
    return results


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
    from collector.reindex import engine_in_use
    from warehouse.dsn import parse_dsn
    from warehouse.errors import WarehouseError
    from warehouse.port import Warehouse

    chosen = settings(data_dir=data_dir, catalog=catalog)
    if chosen.catalog is None:
        fail("give --catalog FILE (or set FLOWSCOPE_CATALOG): reindex tags by its flows")
    try:
        flows = load_catalog_sources(chosen.catalog)
    except CatalogError as exc:
        fail(f"the catalog cannot be loaded:\n{exc}")
    target = parse_dsn(chosen.dsn())
    if target.is_embedded and target.path and engine_in_use(Path(target.path)):
        fail(
            f"the data directory {chosen.data_dir} is in use (is `flowscope serve` or "
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
            Warehouse.connect(chosen.dsn(), cluster=chosen.cluster) as wh,
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
        fail(str(exc))
    out.print(f"indexed {totals[0]:,} spans and {totals[1]:,} events")
