"""Summing the run ledger into the flow rollups, for given flows, stretches or minutes (adapter).

:class:`RollupSums` writes ``flow_rollup_minutes`` (and ``flow_rollup_failed_minutes``) from
``run_ledger`` rows, then ``flow_rollup_hours`` (``flow_rollup_failed_hours``) from those
minutes, for

- whole flows (:meth:`RollupSums.flows`, after a build), in whole-hour stretches summed
  :data:`SUM_WORKERS` at a time;
- stretches of whole hours (:meth:`RollupSums.stretches`), first marking the rows they held
  deleted when asked (a minute may have lost every run);
- the minutes a follow step touched (:meth:`RollupSums.keys`), with their hours; many minutes
  are summed as the whole hours holding them.

Rows replace by key and version (ReplacingMergeTree(Version, Deleted)): ``version()`` gives a
version above every earlier one (:class:`slo.ledger.RunLedger` owns it). The SQL of a sum is
:mod:`slo.rollup_sql`'s. Raises :class:`~warehouse.errors.WarehouseError` when the warehouse
fails.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from slo.rollup_sql import MERGE, ROLLUP_COLUMNS, ledger_expressions, select_list, whole_minute
from warehouse.port import Warehouse

SUM_WORKERS = 2
"""Stretches summed at a time (each sum uses about one core)."""
MANY_MINUTES = 2_000
"""Above this many touched minutes, :meth:`RollupSums.keys` sums the whole hours holding them
as stretches instead of minute by minute."""
FAILED_COLUMNS = ("DeadLetters", "Replays", "Calls", "Spans", "CpuNs", "PartnerCalls")
"""The columns of the failed-run rollups."""


def _moment(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


class RollupSums:
    """The sums of the module docstring over one warehouse."""

    def __init__(self, wh: Warehouse, version: Callable[[], int], *,
                 many_minutes: int = MANY_MINUTES) -> None:
        self._wh = wh
        self._version = version
        self._many_minutes = many_minutes

    def flows(self, flows: Sequence[str]) -> None:
        """Every minute and hour rollup of ``flows`` from their ledger rows, in whole-hour
        stretches summed :data:`SUM_WORKERS` at a time."""
        rows = self._wh.query(
            f"SELECT toInt64(toUnixTimestamp(min(Minute))), toInt64(toUnixTimestamp(max(Minute))) "  # noqa: S608
            f"FROM {self._wh.database}.run_ledger WHERE Flow IN {{flows:Array(String)}} "
            "HAVING count() > 0", {"flows": list(flows)})
        if not rows:
            return
        first, last = int(rows[0][0]) // 3600 * 3600, int(rows[0][1]) // 3600 * 3600 + 3600
        step = max(3600, -(-(last - first) // (4 * SUM_WORKERS)) // 3600 * 3600 + 3600)
        self.stretches([(list(flows), lo, lo + step) for lo in range(first, last, step)],
                            replace=False)

    def stretches(self, stretches: Sequence[tuple[list[str], int, int]], *,
                       replace: bool) -> None:
        """Sum the minutes and hours of each ``(flows, lo, hi)`` stretch (whole hours, in s)
        again, :data:`SUM_WORKERS` at a time; with ``replace``, first delete the rollup rows
        they held (a minute may have lost every run)."""
        where = ("Flow IN {flows:Array(String)} AND Minute >= {lo:DateTime('UTC')} "
                 "AND Minute < {hi:DateTime('UTC')}")

        def stretch(part: tuple[list[str], int, int]) -> None:
            flows, lo, hi = part
            params = {"flows": flows, "lo": _moment(lo), "hi": _moment(hi)}
            if replace:
                for table in ("flow_rollup_minutes", "flow_rollup_hours"):
                    self._wh.command(
                        f"INSERT INTO {self._wh.database}.{table} (Flow, Minute, Version, "  # noqa: S608
                        f"Deleted) SELECT Flow, Minute, {{version:UInt64}}, 1 "
                        f"FROM {self._wh.database}.{table} FINAL WHERE {where}",
                        {**params, "version": self._version()})
                for table in ("flow_rollup_failed_minutes", "flow_rollup_failed_hours"):
                    self._tombstones_failed(table, where, params)
            self._sum_minutes(where, params)
            self._sum_hours(where, params)

        with ThreadPoolExecutor(max_workers=SUM_WORKERS,
                                thread_name_prefix="flowscope-ledger-sum") as pool:
            list(pool.map(stretch, stretches))

    def keys(self, keys: set[tuple[str, int]]) -> None:
        """Sum the minutes ``keys`` (flow, minute start in s) and their hours again (many keys:
        the whole hours holding them, as stretches)."""
        if len(keys) > self._many_minutes:
            stretches: list[tuple[list[str], int, int]] = []
            for flow, hour in sorted({(f, m - m % 3600) for f, m in keys}):
                if stretches and stretches[-1][0] == [flow] and stretches[-1][2] == hour:
                    stretches[-1] = ([flow], stretches[-1][1], hour + 3600)
                else:
                    stretches.append(([flow], hour, hour + 3600))
            self.stretches(stretches, replace=True)
            return
        minutes = sorted({m for _, m in keys})
        where = ("Minute IN {minutes:Array(DateTime('UTC'))} AND "
                 "concat(Flow, '|', toString(toUnixTimestamp(Minute))) IN {keys:Array(String)}")
        params = {"minutes": [_moment(m) for m in minutes],
                  "keys": [f"{f}|{m}" for f, m in keys]}
        self._tombstones("flow_rollup_minutes", keys)
        self._tombstones_failed("flow_rollup_failed_minutes", where, params)
        self._sum_minutes(where, params)
        hours = {(f, m - m % 3600) for f, m in keys}
        hour_where = ("toStartOfHour(Minute) IN {hours:Array(DateTime('UTC'))} AND "
                      "concat(Flow, '|', toString(toUnixTimestamp(toStartOfHour(Minute)))) "
                      "IN {keys:Array(String)}")
        hour_params = {"hours": [_moment(h) for h in sorted({h for _, h in hours})],
                       "keys": [f"{f}|{h}" for f, h in hours]}
        self._tombstones("flow_rollup_hours", hours)
        self._tombstones_failed("flow_rollup_failed_hours", hour_where.replace(
            "toStartOfHour(Minute)", "Minute"), hour_params)
        self._sum_hours(hour_where, hour_params)

    def _tombstones(self, table: str, keys: Iterable[tuple[str, int]]) -> None:
        chosen = sorted(keys)
        self._wh.command(
            f"INSERT INTO {self._wh.database}.{table} (Flow, Minute, Version, Deleted) "  # noqa: S608
            "SELECT t.1, toDateTime(t.2, 'UTC'), {version:UInt64}, 1 "
            "FROM (SELECT arrayJoin(arrayZip({f:Array(String)}, {m:Array(Int64)})) AS t)",
            {"f": [k[0] for k in chosen], "m": [k[1] for k in chosen],
             "version": self._version()})

    def _tombstones_failed(self, table: str, where: str, params: dict[str, Any]) -> None:
        db = self._wh.database
        self._wh.command(
            f"INSERT INTO {db}.{table} (Flow, Minute, FailDay, Version, Deleted) "  # noqa: S608
            f"SELECT Flow, Minute, FailDay, {{version:UInt64}}, 1 FROM {db}.{table} FINAL "
            f"WHERE {where}", {**params, "version": self._version()})

    def _sum_minutes(self, where: str, params: dict[str, Any]) -> None:
        db = self._wh.database
        expressions = ledger_expressions(whole_minute, "1")
        version = self._version()
        self._wh.command(
            f"INSERT INTO {db}.flow_rollup_minutes (Flow, Minute, Version, Deleted, "
            f"{', '.join(ROLLUP_COLUMNS)})\nSELECT Flow, Minute, {version}, 0,\n    "
            f"{select_list(expressions, ROLLUP_COLUMNS)}\nFROM {db}.run_ledger FINAL\n"
            f"WHERE {where}\nGROUP BY Flow, Minute", params)
        self._wh.command(
            f"INSERT INTO {db}.flow_rollup_failed_minutes (Flow, Minute, FailDay, Version, "
            f"Deleted, {', '.join(FAILED_COLUMNS)})\n"
            f"SELECT Flow, Minute, FailDay, {version}, 0,\n    "
            f"{select_list(expressions, FAILED_COLUMNS)}\n"
            f"FROM {db}.run_ledger FINAL\nWHERE FailDay != toDate(0) AND {where}\n"
            "GROUP BY Flow, Minute, FailDay", params)

    def _sum_hours(self, where: str, params: dict[str, Any]) -> None:
        db = self._wh.database
        version = self._version()
        self._wh.command(
            f"INSERT INTO {db}.flow_rollup_hours (Flow, Minute, Version, Deleted, "  # noqa: S608
            f"{', '.join(ROLLUP_COLUMNS)})\nSELECT Flow, Hour, {version}, 0,\n    "
            f"{select_list(MERGE, ROLLUP_COLUMNS)}\nFROM (SELECT *, toStartOfHour(Minute) AS Hour "
            f"FROM {db}.flow_rollup_minutes FINAL WHERE {where})\nGROUP BY Flow, Hour", params)
        self._wh.command(
            f"INSERT INTO {db}.flow_rollup_failed_hours (Flow, Minute, FailDay, Version, "  # noqa: S608
            f"Deleted, {', '.join(FAILED_COLUMNS)})\nSELECT Flow, Hour, FailDay, {version}, 0,"
            f"\n    {select_list(MERGE, FAILED_COLUMNS)}\n"
            f"FROM (SELECT *, toStartOfHour(Minute) AS Hour "
            f"FROM {db}.flow_rollup_failed_minutes FINAL WHERE {where})\n"
            "GROUP BY Flow, Hour, FailDay", params)
