"""The follower that keeps the run ledger and the flow rollups current (adapter).

``warehouse/schema/008_run_ledger.sql`` says what the tables hold; :mod:`slo.ledger_sql`
computes a run's ledger rows and :mod:`slo.rollup_sums` sums them into the rollups
(:mod:`slo.ledger_status` holds what it reports). :class:`RunLedger` moves them along, one flow
catalog at a time:

- **Build.** A flow whose ledger was built with other rules (its
  :attr:`~slo.ledger_rules.LedgerRules.fingerprint` differs: a changed start, success, failure
  rule, latency threshold or step) or never built is rebuilt: its rows are deleted, then its
  runs are computed in chunks of correlation ids (about :data:`CHUNK_ITEMS` items each, read
  by primary-key range), one ``INSERT ... SELECT`` per chunk, progress recorded after each in
  ``ledger_state`` (a restart resumes at the next chunk) and logged; then its minute and hour
  rollups are summed in one pass. Objectives, windows,
  maintenance and prices are applied when reading and need no rebuild.
- **Follow.** Runs that got items since the watermark (``run_changes``, filled by a view as
  items are stored) are recomputed from all their items; their new rows replace the old ones
  (stale minutes get a deleted row), and exactly the minutes and hours they touched are summed
  again. The watermark trails the newest change (or the engine's clock) by :data:`LAG_S` so an
  insert that commits late is still seen; changes already applied are remembered and skipped.

Every step is idempotent (rows replace by key and version), so a crash at any point is repaired
by doing the step again. :meth:`RunLedger.sync` does both; the server calls it in a loop
(:meth:`RunLedger.follow`), and every read calls :func:`ensure_current` first, which does the
small remaining work at once (so a read sees what was stored before it) and leaves large work to
the loop (the read then answers from what is built, and :meth:`RunLedger.status` says how far
behind it is). One process follows a database (the embedded engine has only one; on a cluster,
run the follower in one replica).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import cast

from catalog.model import Flow
from slo.errors import RollupsNotReady
from slo.ledger_rules import LedgerRules
from slo.ledger_sql import (
    LEDGER_COLUMNS,
    OPERATIONS_SQL,
    SELECT_IDS,
    SELECT_RANGE,
    ledger_parameters,
    ledger_rows_sql,
    operation_masks,
)
from slo.ledger_status import FlowProgress, LedgerStatus, chunk_bounds
from slo.rollup_sums import MANY_MINUTES, RollupSums
from warehouse.port import Warehouse

log = logging.getLogger("flowscope.ledger")

CHUNK_ITEMS = 1_000_000
"""Items per chunk of a rebuild (one INSERT ... SELECT and one progress step each)."""
BUILD_WORKERS = 2
"""Chunks of a rebuild computed at once (the engine runs such a query on about one core)."""
MAX_CHUNKS = 64
LAG_S = 10.0
"""Seconds the watermark trails the newest change seen, or the engine's clock when that is
later (a late-committing insert is still read; changes already applied are skipped)."""
STORE_WATERMARK_S = 60.0
"""A watermark moved only by the clock is stored once it is this many seconds past the stored
one (a quiet read then writes nothing; a restart re-reads at most this much)."""
BATCH_RUNS = 20_000
"""Most runs recomputed by one follow step."""
SMALL_RUNS = 50_000
"""A read does pending work itself when it is at most this many runs (else the loop does)."""
SMALL_ITEMS = 500_000
"""A read rebuilds a flow itself when the flow has at most this many items."""
FOLLOW_INTERVAL_S = 15.0
"""Seconds between the server's follow steps (reads catch up themselves before answering)."""
KEEP_CHANGES_S = 2 * 86_400
"""A watermark older than this (``run_changes`` keeps 3 days) means changes may have been
dropped: every flow is rebuilt."""

_UNREAD = object()


def _names(keys: Iterable[str]) -> list[str]:
    return sorted(set(keys))


def _epoch_s(moment: datetime | int) -> int:
    """Seconds since the epoch of a DateTime the driver returned: an int (Arrow), or a
    datetime (naive means UTC)."""
    if isinstance(moment, int):
        return moment
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


class RunLedger:
    """Keeps ``run_ledger`` and the rollups of one warehouse current (module docstring).

    ``clock`` gives nanoseconds since the epoch (row versions and the watermark);
    ``chunk_items``, ``small_items`` and ``many_minutes`` default to :data:`CHUNK_ITEMS`,
    :data:`SMALL_ITEMS` and :data:`MANY_MINUTES`.
    """

    def __init__(self, wh: Warehouse, *, clock: Callable[[], int] = time.time_ns,
                 chunk_items: int = CHUNK_ITEMS, small_items: int = SMALL_ITEMS,
                 many_minutes: int = MANY_MINUTES) -> None:
        self._wh = wh
        self._clock = clock
        self._chunk_items = chunk_items
        self._small_items = small_items
        self._sums = RollupSums(wh, self._next_version, many_minutes=many_minutes)
        self._lock = threading.RLock()
        self._applied: dict[tuple[str, str], int] = {}
        self._status = LedgerStatus()
        self._version = 0
        self._built: dict[str, str] = {}
        self._known: dict[str, FlowProgress | None] = {}
        self._names: dict[str, tuple[str, ...]] = {}
        self._mark: object = _UNREAD
        self._stored_mark: int | None = None

    @classmethod
    def of(cls, wh: Warehouse) -> RunLedger:
        """The ledger follower attached to ``wh`` (made on first use)."""
        return wh.attached("run_ledger", lambda: cls(wh))

    def check_built(self, flows: Sequence[Flow]) -> None:
        """Learn from ``ledger_state`` which of ``flows`` are built with their current rules
        (without waiting for, or doing, any work)."""
        rules = {f.name: r for f in flows
                 if self._built.get(f.name) != (r := LedgerRules.of(f)).fingerprint}
        if not rules:
            return
        for name, progress in self._states(list(rules)).items():
            if progress.built and progress.fingerprint == rules[name].fingerprint:
                self._built[name] = progress.fingerprint

    def knows_built(self, flows: Sequence[Flow]) -> bool:
        """True when every flow of ``flows`` was seen built, with its current rules, by an
        earlier sync."""
        return all(self._built.get(f.name) == LedgerRules.of(f).fingerprint for f in flows)

    def status(self) -> LedgerStatus:
        """How current the ledger was after the last sync."""
        return self._status

    # -- the public steps ------------------------------------------------------------------

    def sync(self, flows: Sequence[Flow], *, small: bool = False,
             wait_s: float | None = None) -> LedgerStatus:
        """Build what needs building and apply every change, for ``flows``.

        ``small``: only do the work if it is small (:data:`SMALL_ITEMS` per rebuilt flow,
        :data:`SMALL_RUNS` changed runs); ``wait_s``: give up (returning the last status) if
        another sync holds the ledger longer than that. Raises
        :class:`~warehouse.errors.WarehouseError` when the warehouse fails.
        """
        rules = {f.name: LedgerRules.of(f) for f in flows}
        if not rules:
            return self._status
        acquired = self._lock.acquire(timeout=-1 if wait_s is None else wait_s)
        if not acquired:
            return self._status
        try:
            started_ms = self._clock() // 1_000_000
            states = self._states(list(rules))
            watermark = self._watermark()
            if watermark is not None and started_ms - watermark > KEEP_CHANGES_S * 1000:
                log.warning("the run ledger's watermark is %.1f days old: rebuilding every flow",
                            (started_ms - watermark) / 86_400_000)
                states = {}
            stale = [r for name, r in rules.items()
                     if (p := states.get(name)) is None or p.fingerprint != r.fingerprint
                     or not p.built]
            building: list[FlowProgress] = []
            if stale:
                if small and self._items(stale) > self._small_items:
                    building = [states.get(r.name) or FlowProgress(r.name, r.fingerprint, 0, 1)
                                for r in stale]
                else:
                    self._build(stale, states)
                    watermark = self._watermark()
            built = [r for r in rules.values() if r.name not in {p.flow for p in building}]
            self._built.update({r.name: r.fingerprint for r in built})
            for r in rules.values():
                if self._names.get(r.name) != r.step_names:
                    self._set_text(f"steps:{r.name}", json.dumps(list(r.step_names)))
                    self._names[r.name] = r.step_names
            pending = self._follow(built, watermark or 0, limit=SMALL_RUNS if small else None)
            self._status = LedgerStatus(tuple(building), pending, self._watermark())
            return self._status
        finally:
            self._lock.release()

    def rebuild(self, flows: Sequence[Flow]) -> LedgerStatus:
        """Rebuild the ledger of ``flows`` from their items whatever it holds (after items were
        added in bulk, e.g. by ``flowscope reindex``), then apply the changes since."""
        with self._lock:
            self._build([LedgerRules.of(f) for f in flows], {})
        return self.sync(flows)

    def follow(self, flows: Callable[[], Sequence[Flow]], stop: threading.Event, *,
               interval_s: float = FOLLOW_INTERVAL_S) -> None:
        """Call :meth:`sync` for ``flows()`` until ``stop`` is set, every ``interval_s``
        (longer after a slow sync); errors are logged and retried."""
        while not stop.is_set():
            started = time.monotonic()
            try:
                status = self.sync(flows())
                if not status.current:
                    log.info("run ledger: %s", status.describe())
            except Exception:
                log.exception("the run ledger could not be brought up to date; retrying")
                stop.wait(5.0)
            spent = time.monotonic() - started
            stop.wait(max(interval_s, 2 * spent))

    # -- state -----------------------------------------------------------------------------

    def _next_version(self) -> int:
        """A row version above every earlier one, even after a restart on a clock that went
        back (the first call reads the highest version written to ``ledger_state``)."""
        if self._version == 0:
            rows = self._wh.query(
                f"SELECT max(Version) FROM {self._wh.database}.ledger_state")  # noqa: S608
            self._version = int(rows[0][0]) if rows else 0
        self._version = max(self._version + 2, self._clock())
        return self._version

    def _states(self, names: Sequence[str]) -> dict[str, FlowProgress]:
        """The flows' build states; read from ``ledger_state`` once, then kept as written (one
        follower writes them)."""
        missing = [n for n in names if n not in self._known]
        if missing:
            rows = self._wh.query(
                f"SELECT Key, Text, Done, Total FROM {self._wh.database}.ledger_state FINAL "  # noqa: S608
                "WHERE Key IN {keys:Array(String)}", {"keys": [f"flow:{n}" for n in missing]})
            found = {str(k)[5:]: FlowProgress(str(k)[5:], str(t), int(d), int(n))
                     for k, t, d, n in rows}
            for name in missing:
                self._known[name] = found.get(name)
        return {n: p for n in names if (p := self._known[n]) is not None}

    def _report(self, building: Sequence[FlowProgress]) -> None:
        """What :meth:`status` says while a build runs (``/readyz`` shows it)."""
        self._status = LedgerStatus(tuple(building), self._status.pending_runs,
                                    self._status.applied_until_ms)

    def _set_state(self, progress: FlowProgress) -> None:
        self._wh.command(
            f"INSERT INTO {self._wh.database}.ledger_state (Key, Version, Text, Done, Total) "  # noqa: S608
            "VALUES ({key:String}, {version:UInt64}, {text:String}, {done:UInt32}, "
            "{total:UInt32})",
            {"key": f"flow:{progress.flow}", "version": self._next_version(),
             "text": progress.fingerprint, "done": progress.done, "total": progress.total})
        self._known[progress.flow] = progress

    def _watermark(self) -> int | None:
        if self._mark is _UNREAD:
            rows = self._wh.query(
                f"SELECT Number FROM {self._wh.database}.ledger_state FINAL "  # noqa: S608
                "WHERE Key = 'watermark'")
            self._mark = int(rows[0][0]) if rows else None
            self._stored_mark = self._mark if isinstance(self._mark, int) else None
        return None if self._mark is _UNREAD else cast(int | None, self._mark)

    def _set_watermark(self, ms: int, *, lazily: bool = False) -> None:
        """Move the watermark to ``ms``; ``lazily``: store it only when it moved
        :data:`STORE_WATERMARK_S` past the stored one (a restart then re-reads at most that
        much, and applying a change twice is harmless), so a quiet read writes nothing."""
        stored = self._stored_mark
        if not lazily or stored is None or ms - stored >= STORE_WATERMARK_S * 1000:
            self._wh.command(
                f"INSERT INTO {self._wh.database}.ledger_state (Key, Version, Number) "  # noqa: S608
                "VALUES ('watermark', {version:UInt64}, {ms:Int64})",
                {"version": self._next_version(), "ms": ms})
            self._stored_mark = ms
        self._mark = ms

    def _items(self, rules: Sequence[LedgerRules]) -> int:
        rows = self._wh.query(
            f"SELECT count() FROM {self._wh.database}.correlation_items "  # noqa: S608
            "WHERE Flow IN {flows:Array(String)}", {"flows": [r.name for r in rules]})
        return int(rows[0][0])

    # -- build -----------------------------------------------------------------------------

    def _build(self, rules: Sequence[LedgerRules], states: dict[str, FlowProgress]) -> None:
        """Build the ledger of ``rules``' flows from their items (resuming a build of the same
        rules), then their rollups. A fresh build marks the changes visible at its start as
        applied (it reads every item after them) and, on a database never followed, sets the
        watermark to its start."""
        db = self._wh.database
        began_ms = self._clock() // 1_000_000
        # Changes already visible now are covered by this build (it reads the items after):
        # remembered as applied, so the next follow step does not recompute those runs again.
        covered = self._wh.query(
            f"SELECT Flow, CorrelationId, toUnixTimestamp64Milli(max(Changed)) "  # noqa: S608
            f"FROM {db}.run_changes WHERE Changed > fromUnixTimestamp64Milli({{since:Int64}}) "
            "AND Flow IN {flows:Array(String)} GROUP BY Flow, CorrelationId",
            {"since": max(began_ms - int(LAG_S * 1000) * 3, 0), "flows": [r.name for r in rules]})
        names = [r.name for r in rules]
        resumable = [r for r in rules if (p := states.get(r.name)) is not None
                     and p.fingerprint == r.fingerprint and not p.built]
        bounds = self._bounds(names) if len(resumable) == len(rules) else None
        done = min((states[r.name].done for r in resumable), default=0) if bounds else 0
        if bounds is None:
            if self._watermark() is None:  # changes from now on are followed, even after a crash
                self._set_watermark(max(began_ms - int(LAG_S * 1000), 0))
            self._delete(names)
            items = self._items(rules)
            chunks = max(1, min(MAX_CHUNKS, -(-items // self._chunk_items)))
            sample = [str(x) for x in self._wh.query(
                f"SELECT arraySort(groupArraySample(4096, 7)(CorrelationId)) "  # noqa: S608
                f"FROM {db}.correlation_items WHERE Flow IN {{flows:Array(String)}}",
                {"flows": names})[0][0]]
            bounds = chunk_bounds(sample, chunks)
            self._set_bounds(names, bounds)
        total = len(bounds) + 2
        for r in rules:
            self._set_state(FlowProgress(r.name, r.fingerprint, done, total))
        self._report([FlowProgress(r.name, r.fingerprint, done, total) for r in rules])
        params = ledger_parameters(rules)
        ops = self._wh.query(OPERATIONS_SQL.format(table=f"{db}.correlation_items",
                                                   selector="1"), params)
        params.update(operation_masks(rules, ops))
        sql = ledger_rows_sql(db, rules, selector=SELECT_RANGE)
        edges = ["", *bounds]
        began = time.monotonic()
        version = self._next_version()

        def build(chunk: int) -> int:
            last = chunk == len(edges) - 1
            self._wh.command(
                f"INSERT INTO {db}.run_ledger ({', '.join(LEDGER_COLUMNS)})\n{sql}",
                {**params, "version": version, "lo": edges[chunk],
                 "hi": "" if last else edges[chunk + 1], "open_end": int(last)})
            return chunk

        # Chunks run BUILD_WORKERS at a time (each query uses about one core); progress is the
        # prefix of chunks done, so a restart redoes at most the chunks then in flight.
        finished: set[int] = set()
        prefix = done
        with ThreadPoolExecutor(max_workers=BUILD_WORKERS,
                                thread_name_prefix="flowscope-ledger-build") as pool:
            for chunk in pool.map(build, range(done, len(edges))):
                finished.add(chunk)
                while prefix in finished:
                    prefix += 1
                for r in rules:
                    self._set_state(FlowProgress(r.name, r.fingerprint, prefix, total))
                self._report([FlowProgress(r.name, r.fingerprint, len(finished) + done, total)
                              for r in rules])
                log.info("run ledger of %s: %d/%d chunks (%.0f s)", ", ".join(names),
                         len(finished) + done, len(edges), time.monotonic() - began)
        self._sums.flows(names)
        for r in rules:
            self._set_state(FlowProgress(r.name, r.fingerprint, total, total))
        if not done:  # a build from the first chunk read every item after the snapshot
            self._applied.update({(str(f), str(c)): int(ms) for f, c, ms in covered})
        log.info("run ledger of %s built in %.1f s", ", ".join(names), time.monotonic() - began)

    def _bounds(self, names: Sequence[str]) -> list[str] | None:
        rows = self._wh.query(
            f"SELECT Text FROM {self._wh.database}.ledger_state FINAL "  # noqa: S608
            "WHERE Key = {key:String}", {"key": "bounds:" + json.dumps(sorted(names))})
        return [str(b) for b in json.loads(str(rows[0][0]))] if rows else None

    def _set_bounds(self, names: Sequence[str], bounds: Sequence[str]) -> None:
        self._set_text("bounds:" + json.dumps(sorted(names)), json.dumps(list(bounds)))

    def _set_text(self, key: str, text: str) -> None:
        self._wh.command(
            f"INSERT INTO {self._wh.database}.ledger_state (Key, Version, Text) "  # noqa: S608
            "VALUES ({key:String}, {version:UInt64}, {text:String})",
            {"key": key, "version": self._next_version(), "text": text})

    def _delete(self, flows: Sequence[str]) -> None:
        for table in ("run_ledger", "run_index", "flow_rollup_minutes", "flow_rollup_hours",
                      "flow_rollup_failed_minutes", "flow_rollup_failed_hours"):
            self._wh.command(
                f"ALTER TABLE {self._wh.database}.{table} DELETE "
                "WHERE Flow IN {flows:Array(String)}", {"flows": list(flows)},
                settings={"mutations_sync": 2})

    # -- follow ----------------------------------------------------------------------------

    def _follow(self, rules: Sequence[LedgerRules], watermark: int, *,
                limit: int | None) -> int:
        """Apply the changes after ``watermark`` (ms); returns the runs left pending."""
        if not rules:
            return 0
        db = self._wh.database
        # the engine's clock, the one the view stamps changes with (not this process's)
        engine_now_ms = int(self._wh.query("SELECT toUnixTimestamp64Milli(now64(3))")[0][0])
        rows = self._wh.query(
            f"SELECT Flow, CorrelationId, toUnixTimestamp64Milli(max(Changed)) "  # noqa: S608
            f"FROM {db}.run_changes WHERE Changed > fromUnixTimestamp64Milli({{wm:Int64}}) "
            "AND Flow IN {flows:Array(String)} GROUP BY Flow, CorrelationId",
            {"wm": watermark, "flows": [r.name for r in rules]})
        newest = max((int(r[2]) for r in rows), default=watermark)
        todo = [(str(f), str(c), int(ms)) for f, c, ms in rows
                if self._applied.get((str(f), str(c)), -1) < int(ms)]
        if limit is not None and len(todo) > limit:
            return len(todo)
        dirty: set[tuple[str, int]] = set()
        for start in range(0, len(todo), BATCH_RUNS):
            dirty |= self._apply(rules, todo[start:start + BATCH_RUNS])
        if dirty:
            self._sums.keys(dirty)
        # Every change visible up to now is applied: only one stamped in the last LAG_S and not
        # committed yet can still appear below ``newest``. The floor follows the engine's clock,
        # so a quiet flow's next read does not read the last burst of changes again.
        floor = max(max(newest, engine_now_ms) - int(LAG_S * 1000), watermark)
        self._applied = {k: ms for k, ms in self._applied.items() if ms > floor}
        for flow, cid, ms in todo:
            if ms > floor:
                self._applied[(flow, cid)] = ms
        if floor > watermark:
            self._set_watermark(floor, lazily=not todo)
        return 0

    def _apply(self, rules: Sequence[LedgerRules], runs: Sequence[tuple[str, str, int]]
               ) -> set[tuple[str, int]]:
        """Recompute ``runs`` (flow, id, change): their new rows and deleted stale rows; returns
        the (flow, minute) keys whose sums must be computed again."""
        db = self._wh.database
        used = [r for r in rules if any(f == r.name for f, _, _ in runs)]
        ids = _names(c for _, c, _ in runs)
        params = ledger_parameters(used)
        params["ids"] = ids
        ops = self._wh.query(OPERATIONS_SQL.format(table=f"{db}.correlation_items",
                                                   selector=SELECT_IDS), params)
        params.update(operation_masks(used, ops))
        wanted = {(f, c) for f, c, _ in runs}
        old = {(str(f), str(c)): {_epoch_s(m) for m in ms} for f, c, ms in self._wh.query(
            f"SELECT Flow, CorrelationId, groupUniqArrayArray(Minutes) "  # noqa: S608
            f"FROM {db}.run_index WHERE Flow IN {{flows:Array(String)}} "
            "AND CorrelationId IN {ids:Array(String)} GROUP BY Flow, CorrelationId", params)}
        version = self._next_version()
        params["version"] = version
        table = self._wh.query_arrow(ledger_rows_sql(db, used, selector=SELECT_IDS), params)
        new: dict[tuple[str, str], set[int]] = {}
        if table.num_rows:
            minutes = [_epoch_s(m) for m in table.column("Minute").to_pylist()]
            for f, c, m in zip(table.column("Flow").to_pylist(),
                               table.column("CorrelationId").to_pylist(), minutes, strict=True):
                new.setdefault((str(f), str(c)), set()).add(m)
            self._wh.insert_arrow(f"{db}.run_ledger", table)
        stale = [(f, m, c) for (f, c), ms in old.items() if (f, c) in wanted
                 for m in ms - new.get((f, c), set())]
        if stale:
            self._wh.command(
                f"INSERT INTO {db}.run_ledger (Flow, Minute, CorrelationId, Version, Deleted) "  # noqa: S608
                "SELECT t.1, toDateTime(t.2, 'UTC'), t.3, {version:UInt64}, 1 "
                "FROM (SELECT arrayJoin(arrayZip({f:Array(String)}, {m:Array(Int64)}, "
                "{c:Array(String)})) AS t)",
                {"f": [s[0] for s in stale], "m": [s[1] for s in stale],
                 "c": [s[2] for s in stale], "version": version})
        dirty: set[tuple[str, int]] = {(f, m) for (f, _), ms in new.items() for m in ms}
        dirty |= {(f, m) for f, m, _ in stale}
        return dirty



WAIT_S = 2.0
"""Seconds a read waits for a sync in progress before answering from what is built."""
FIRST_WAIT_S = 30.0
"""Seconds a read of a flow never built before waits for the sync in progress (its build)."""


def ensure_current(wh: Warehouse, flows: Sequence[Flow], *, catch_up: bool = True
                   ) -> LedgerStatus:
    """Before a read of ``flows``: bring their ledger up to date if that is quick (see the
    module docstring; with ``catch_up`` False, e.g. for a metrics scrape, do no work and wait
    for nothing). Raises :class:`~slo.errors.RollupsNotReady` when a flow's rollups are not
    built yet, rather than answer from part of its data."""
    ledger = RunLedger.of(wh)
    if catch_up:
        status = ledger.sync(flows, small=True, wait_s=WAIT_S if ledger.knows_built(flows)
                             else FIRST_WAIT_S)
    else:
        status = ledger.status()
        if not ledger.knows_built(flows):
            ledger.check_built(flows)
    if not ledger.knows_built(flows):
        detail = status.describe() or "the follower has not built them yet"
        raise RollupsNotReady(f"the rollups of {', '.join(sorted(f.name for f in flows))} are "
                              f"being built: {detail}")
    return status


__all__ = ["FlowProgress", "LedgerStatus", "RunLedger", "chunk_bounds", "ensure_current"]
