"""The merged per-run states of ``flow_runs`` as a SQL subquery, the same on one node and on a
cluster.

``flow_runs`` holds partial states of each run until the engine merges them. On one node
``FINAL`` merges at read time (cheap on merged parts, exact before a merge); on a cluster a run's
partial states may live on several shards (the views write next to the rows they read), so
the subquery re-aggregates with ``GROUP BY Flow, CorrelationId`` over the Distributed table.
``OpItems`` comes out finalized, as ``Map(String, UInt64)`` (distinct items per operation).

Pure string building: identifiers come from our own code; values are bound by the caller.
"""

from __future__ import annotations

from collections.abc import Sequence

from slo.runs import FLOW_RUNS

MERGE_FUNCTIONS = {
    "FirstSeen": "min",
    "LastSeen": "max",
    "StartAt": "min",
    "SuccessAt": "min",
    "FailureAt": "min",
    "DeadLetterAt": "min",
    "Items": "sum",
    "Errors": "sum",
    "DeadLetters": "sum",
    "OpFirst": "minMap",
    "OpLastEnd": "maxMap",
    "OpItems": "uniqExactMapMerge",
}
"""How each column of ``flow_runs`` merges."""

FLOWS_FILTER = "Flow IN {flows:Array(String)}"
"""The default filter: the flows bound as the ``flows`` parameter."""


def merged_runs(database: str, cluster: str | None, columns: Sequence[str], *,
                where: str = FLOWS_FILTER) -> str:
    """``SELECT Flow, CorrelationId, <columns>`` of merged runs satisfying ``where`` (a
    condition on ``Flow``/``CorrelationId`` only, since other columns are partial before the
    merge). Raises :class:`ValueError` for an unknown column."""
    unknown = [c for c in columns if c not in MERGE_FUNCTIONS]
    if unknown:
        raise ValueError(f"unknown flow_runs column(s): {', '.join(unknown)}")
    table = f"{database}.{FLOW_RUNS}"
    if cluster is None:
        picked = ", ".join(
            "finalizeAggregation(OpItems) AS OpItems" if c == "OpItems" else c for c in columns)
        return (f"SELECT Flow, CorrelationId{', ' if picked else ''}{picked} "  # noqa: S608
                f"FROM {table} FINAL WHERE {where}")
    merged = ", ".join(f"{MERGE_FUNCTIONS[c]}({c}) AS {c}" for c in columns)
    return (f"SELECT Flow, CorrelationId{', ' if merged else ''}{merged} "  # noqa: S608
            f"FROM {table} WHERE {where} GROUP BY Flow, CorrelationId")
