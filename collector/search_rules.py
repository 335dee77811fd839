"""The catalog's search keys as data, for the views that index them
(``warehouse/schema/012_search_keys.sql``).

:func:`publish_search_rules` writes one row of ``search_rules`` for the catalog the server
serves, only when it differs from the newest row, and says which flows' keys changed (their
stored data is then indexed again, :mod:`collector.search_backfill`). Per flow with search
keys, in catalog order:

* ``Keys``: its search keys; ``Extensions``: the CloudEvents extension of each
  (:func:`collector.cloudevents.extension_name`: ``customer.id`` → ``customerid``);
* ``KeyActions``: the catalog's redaction of each key (0 keep, 1 hash, 2 drop), applied by the
  view to spans flowscope did not write (its own were redacted at ingest);
* ``CorrelationKeys``, ``CorrelationActions``, ``BaggageActions``: the flow's correlation key
  and the redaction of it and of ``baggage.<key>``, for those spans too.

A search looks for a value as stored: :meth:`collector.redaction.Redactor.value` (hashed when
the catalog hashes the key). :func:`rules_row` is pure.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from catalog.model import Catalog, RedactionAction
from collector.cloudevents import extension_name
from collector.redaction import Redactor
from collector.tagging import BAGGAGE_PREFIX
from warehouse.ddl import physical_table
from warehouse.port import Warehouse

RULES_TABLE = "search_rules"
"""The table the views read their rules from (newest ``Version`` wins)."""

_ACTIONS: dict[RedactionAction | None, int] = {None: 0, "hash": 1, "drop": 2}
_COLUMNS = ("Flows", "Keys", "Extensions", "KeyActions", "CorrelationKeys",
            "CorrelationActions", "BaggageActions")
_TYPES = ("Array(String)", "Array(Array(String))", "Array(Array(String))",
          "Array(Array(UInt8))", "Array(String)", "Array(UInt8)", "Array(UInt8)")


def rules_row(catalog: Catalog) -> dict[str, list[Any]]:
    """The ``search_rules`` columns (but ``Version``): one entry per flow with search keys."""
    redactor = Redactor.from_rules(catalog.redaction)
    row: dict[str, list[Any]] = {column: [] for column in _COLUMNS}
    for flow in catalog.flows:
        if not flow.search_keys:
            continue
        key = flow.correlation_key
        row["Flows"].append(flow.name)
        row["Keys"].append(list(flow.search_keys))
        row["Extensions"].append([extension_name(k) for k in flow.search_keys])
        row["KeyActions"].append([_ACTIONS[redactor.action(k)] for k in flow.search_keys])
        row["CorrelationKeys"].append(key)
        row["CorrelationActions"].append(_ACTIONS[redactor.action(key)])
        row["BaggageActions"].append(_ACTIONS[redactor.action(BAGGAGE_PREFIX + key)])
    return row


def fingerprints(row: dict[str, list[Any]]) -> dict[str, str]:
    """Per flow of a rules row, a text that changes when what its views index changes."""
    return {flow: json.dumps([row[c][i] for c in _COLUMNS[1:]])
            for i, flow in enumerate(row["Flows"])}


def newest_rules(wh: Warehouse) -> dict[str, list[Any]] | None:
    """The newest ``search_rules`` row (without ``Version``), or ``None`` when there is none."""
    table = physical_table(RULES_TABLE, database=wh.database, cluster=wh.cluster)
    rows = wh.query_dicts(
        f"SELECT {', '.join(_COLUMNS)} FROM {table} "  # noqa: S608 - our identifiers
        "ORDER BY Version DESC LIMIT 1")
    if not rows:
        return None
    return {c: [list(v) if isinstance(v, tuple | list) else v for v in rows[0][c]]
            for c in _COLUMNS}


def publish_search_rules(wh: Warehouse, catalog: Catalog, *, clock_ns: Callable[[], int]
                         ) -> bool:
    """Make ``catalog``'s search keys the ones the views index; True when a new row was
    written. The row's ``Version`` is ``clock_ns()``, or one more than the newest row's when
    the clock is behind it. Raises :class:`warehouse.errors.WarehouseError`."""
    table = physical_table(RULES_TABLE, database=wh.database, cluster=wh.cluster)
    wanted = rules_row(catalog)
    newest = newest_rules(wh)
    if newest == wanted or (newest is None and not wanted["Flows"]):
        return False
    top = wh.query(f"SELECT max(Version) FROM {table}")  # noqa: S608 - our identifiers
    version = max(clock_ns(), int(top[0][0]) + 1 if top else 0)
    values = ", ".join(f"{{{c}:{t}}}" for c, t in zip(_COLUMNS, _TYPES, strict=True))
    wh.command(
        f"INSERT INTO {table} (Version, {', '.join(_COLUMNS)}) "
        f"SELECT {{version:UInt64}}, {values}", {"version": version, **wanted})
    return True
