"""The catalog's span correlation rules as data, for the view that tags spans written elsewhere.

Spans an OpenTelemetry Collector (or any other writer) inserts into ``otel_traces`` carry no
flowscope tags. The materialized view ``untagged_span_items_mv``
(``warehouse/schema/011_untagged_spans.sql``) tags them as they arrive, by the rules of the
newest row of ``correlation_rules``; :func:`publish_rules` writes that row for the catalog the
server serves, so the view follows the same rules as :mod:`collector.tagging` at ingest:

* ``Flows``, ``Keys``: each flow and its correlation key, in catalog order (ties go to the
  earlier flow);
* ``KeyActions``, ``BaggageActions``: the catalog's redaction of the key and of its baggage copy
  ``baggage.<key>``: 0 read as is, 1 hashed to ``sha256:<hex>`` (as stored at ingest), 2 dropped
  (never read);
* ``Ops``, ``Services``: the ``service\\x1fspan`` pairs and the services the flow's steps and
  start/success matchers name (a flow naming a span's service and span name wins, then one
  naming its service).

:func:`rules_row` is pure; :func:`publish_rules` writes through the Warehouse port with bound
parameters, and only when the rules differ from the newest row.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from catalog.model import Catalog, RedactionAction
from collector.redaction import Redactor
from collector.tagging import BAGGAGE_PREFIX
from warehouse.ddl import physical_table
from warehouse.port import Warehouse

RULES_TABLE = "correlation_rules"
"""The table the view reads its rules from (newest ``Version`` wins)."""

_ACTIONS: dict[RedactionAction | None, int] = {None: 0, "hash": 1, "drop": 2}
_COLUMNS = ("Flows", "Keys", "KeyActions", "BaggageActions", "Ops", "Services")


def rules_row(catalog: Catalog) -> dict[str, list[Any]]:
    """The ``correlation_rules`` columns (but ``Version``) for ``catalog``: one entry per flow."""
    redactor = Redactor.from_rules(catalog.redaction)
    row: dict[str, list[Any]] = {column: [] for column in _COLUMNS}
    for flow in catalog.flows:
        key = flow.correlation_key
        named = [(s.service, s.span) for s in flow.steps]
        named += [(flow.start.service, flow.start.span), (flow.success.service, flow.success.span)]
        row["Flows"].append(flow.name)
        row["Keys"].append(key)
        row["KeyActions"].append(_ACTIONS[redactor.action(key)])
        row["BaggageActions"].append(_ACTIONS[redactor.action(BAGGAGE_PREFIX + key)])
        row["Ops"].append(sorted({f"{svc}\x1f{span}" for svc, span in named if svc and span}))
        row["Services"].append(sorted({svc for svc, _ in named if svc}))
    return row


def publish_rules(wh: Warehouse, catalog: Catalog, *, clock_ns: Callable[[], int]) -> bool:
    """Make ``catalog``'s rules the ones the view applies; True when a new row was written.

    The row's ``Version`` is ``clock_ns()`` (ns since the epoch), or one more than the newest
    row's when the clock is behind it. Raises :class:`warehouse.errors.WarehouseError`.
    """
    table = physical_table(RULES_TABLE, database=wh.database, cluster=wh.cluster)
    wanted = rules_row(catalog)
    newest = wh.query_dicts(
        f"SELECT Version, {', '.join(_COLUMNS)} FROM {table} "  # noqa: S608 - our identifiers
        "ORDER BY Version DESC LIMIT 1"
    )
    if newest and all(list(newest[0][c]) == wanted[c] for c in _COLUMNS):
        return False
    version = max(clock_ns(), int(newest[0]["Version"]) + 1 if newest else 0)
    wh.command(
        f"INSERT INTO {table} (Version, {', '.join(_COLUMNS)}) "
        "SELECT {version:UInt64}, {Flows:Array(String)}, {Keys:Array(String)}, "
        "{KeyActions:Array(UInt8)}, {BaggageActions:Array(UInt8)}, "
        "{Ops:Array(Array(String))}, {Services:Array(Array(String))}",
        {"version": version, **wanted},
    )
    return True
