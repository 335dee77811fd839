"""Adopting span tables another writer created: insert deduplication on them too.

``flowscope migrate`` creates its tables ``IF NOT EXISTS``, so ``otel_traces`` and
``otel_traces_trace_id_ts`` created earlier by an OpenTelemetry Collector's ClickHouse exporter
are kept as they are. Their DDL lacks ``non_replicated_deduplication_window``, without which a
plain MergeTree ignores ``insert_deduplication_token``: a batch flowscope replays from its spool
after a crash would be stored twice. :func:`adopt_tables` sets the window (the value flowscope's
own DDL uses) on such tables and says which it changed. Replicated tables deduplicate through
Keeper and are left alone; a window already set is kept.
"""

from __future__ import annotations

import re

from warehouse.ddl import physical_table
from warehouse.identifiers import quoted
from warehouse.port import Warehouse
from warehouse.tables import OTEL_TRACES, OTEL_TRACES_TRACE_ID_TS

DEDUP_WINDOW = 10_000
"""Blocks whose hashes a table keeps for deduplication (as in ``001_otel_traces.sql``)."""

ADOPTABLE = (OTEL_TRACES, OTEL_TRACES_TRACE_ID_TS)
"""Tables an OpenTelemetry Collector may have created before flowscope."""

_WINDOW = re.compile(r"\bnon_replicated_deduplication_window\s*=\s*(\d+)")


def missing_window(engine: str, engine_full: str) -> bool:
    """True when a table with this engine needs the window set: a non-replicated MergeTree
    whose settings (in ``engine_full``, as ``system.tables`` shows it) lack a positive one."""
    if not engine.endswith("MergeTree") or engine.startswith("Replicated"):
        return False
    found = _WINDOW.search(engine_full)
    return found is None or int(found.group(1)) == 0


def adopt_tables(wh: Warehouse) -> list[str]:
    """Set ``non_replicated_deduplication_window`` where an adoptable table lacks it.

    Returns the names of the tables changed (``[]`` when none was). Raises
    :class:`warehouse.errors.WarehouseError`.
    """
    names = {physical_table(t, database=wh.database, cluster=wh.cluster).split(".", 1)[1]: t
             for t in ADOPTABLE}
    rows = wh.query(
        "SELECT name, engine, engine_full FROM system.tables "
        "WHERE database = {db:String} AND has({names:Array(String)}, name) ORDER BY name",
        {"db": wh.database, "names": list(names)},
    )
    on_cluster = f" ON CLUSTER {quoted(wh.cluster)}" if wh.cluster else ""
    changed = []
    for name, engine, engine_full in rows:
        if missing_window(str(engine), str(engine_full)):
            wh.command(
                f"ALTER TABLE {wh.database}.{name}{on_cluster} "
                f"MODIFY SETTING non_replicated_deduplication_window = {DEDUP_WINDOW}"
            )
            changed.append(names[str(name)])
    return changed
