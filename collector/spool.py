"""The durable spool: what a 2xx promises is on disk here before the warehouse sees it.

A SQLite database in WAL mode with ``synchronous=FULL``: every :meth:`Spool.admit` is one
transaction whose commit fsyncs the write-ahead log, so an acknowledged request survives a
SIGKILL or power loss. The background writer (:mod:`collector.writer`) drains it in batches.

Tables::

    meta     (key, value)                 spool instance id (part of every dedup token)
    entries  (id, kind, rows, bytes, received_at, batch_id, payload)
             payload = one Arrow IPC stream of validated, redacted, tagged rows (last, so
             scans of the small columns never walk a blob's overflow pages)
    batches  (id, kind, created_at)       a claimed batch, replayed with its token after a crash
    seen     (key, seen_at)               request hashes and event (source, id) keys, for dedup

Exactly-once: a batch is claimed (its entries fixed) in a committed transaction *before* it is
inserted, and inserted with the deduplication token ``<spool id>:<batch id>``. A crash after the
insert but before :meth:`Spool.complete` replays the same rows with the same token, which the
warehouse drops.

Group commit: concurrent :meth:`Spool.admit` calls share one transaction and so one fsync.
The first caller to find no commit in flight becomes the leader and commits every request queued
so far; each request runs in its own savepoint, so one refused request (spool full) leaves the
others in the group untouched.

Bound: the payload bytes not yet delivered never exceed ``max_bytes`` (default 512 MiB); past it
:meth:`Spool.admit` raises :class:`collector.errors.SpoolFull`. A disk that is full or unwritable
raises :class:`collector.errors.SpoolUnavailable`. Neither leaves a partial entry behind.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from collector.errors import SpoolFull, SpoolUnavailable

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    rows INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    received_at REAL NOT NULL,
    batch_id INTEGER,
    payload BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_pending ON entries (kind, batch_id, id);
CREATE TABLE IF NOT EXISTS batches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY, seen_at REAL NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS seen_age ON seen (seen_at);
"""

Encoder = Callable[[Sequence[int]], "tuple[bytes, int] | None"]
"""Given the indexes of the items that are new, returns (Arrow IPC payload, row count) or None."""


@dataclass(frozen=True)
class AdmitResult:
    """What :meth:`Spool.admit` stored: ``rows`` persisted, ``duplicates`` items already seen."""

    rows: int
    duplicates: int
    duplicate_request: bool = False


@dataclass(frozen=True)
class Batch:
    """A claimed batch: entries of one kind, inserted together under one dedup token."""

    id: int
    kind: str
    token: str
    entry_ids: tuple[int, ...]
    rows: int


@dataclass(frozen=True)
class PendingKind:
    """Pending rows of one kind and the age in seconds of the oldest (0 when none)."""

    rows: int
    oldest_age_s: float


@dataclass(frozen=True)
class SpoolStats:
    """Pending (not yet delivered) entries, rows, bytes, and the age in seconds of the oldest."""

    entries: int
    rows: int
    bytes: int
    oldest_age_s: float


class _Request:
    """One caller's admit, queued for the group commit."""

    def __init__(
        self,
        kind: str,
        encode: Encoder,
        item_keys: tuple[str, ...],
        count: int,
        request_key: str | None,
    ) -> None:
        self.kind = kind
        self.encode = encode
        self.item_keys = item_keys
        self.count = count
        self.request_key = request_key
        self.done = False
        self.received_at = 0.0
        self.result: AdmitResult | None = None
        self.error: BaseException | None = None

    def outcome(self) -> AdmitResult:
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result


class Spool:
    """A bounded, durable queue of ingest payloads, safe to share between threads."""

    def __init__(
        self,
        path: Path,
        *,
        clock: Callable[[], float],
        max_bytes: int = 512 * 1024 * 1024,
        dedup_ttl_s: float = 7 * 86400.0,
    ) -> None:
        self._clock = clock
        self._max_bytes = max_bytes
        self._dedup_ttl_s = dedup_ttl_s
        self._lock = threading.Lock()
        self._cond = threading.Condition()
        self._queue: list[_Request] = []
        self._committing = False
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                str(path), check_same_thread=False, isolation_level=None, timeout=30.0
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
            row = self._db.execute("SELECT value FROM meta WHERE key = 'instance'").fetchone()
            if row is None:
                self._instance = uuid.uuid4().hex
                self._db.execute(
                    "INSERT INTO meta (key, value) VALUES ('instance', ?)", (self._instance,)
                )
            else:
                self._instance = str(row[0])
            n, rows, size = self._db.execute(
                "SELECT count(), coalesce(sum(rows), 0), coalesce(sum(bytes), 0) FROM entries"
            ).fetchone()
            self._pending = [int(n), int(rows), int(size)]
            self._kinds: dict[str, list[float]] = {
                str(kind): [int(k_rows), float(oldest)]
                for kind, k_rows, oldest in self._db.execute(
                    "SELECT kind, sum(rows), min(received_at) FROM entries GROUP BY kind"
                )
            }
        except (sqlite3.Error, OSError) as exc:
            raise SpoolUnavailable(f"cannot open the spool at {path}: {exc}") from exc

    @property
    def instance(self) -> str:
        """Random id of this spool, stable across restarts; prefixes every dedup token."""
        return self._instance

    @property
    def max_bytes(self) -> int:
        """The bound on undelivered payload bytes."""
        return self._max_bytes

    def admit(
        self,
        kind: str,
        encode: Encoder,
        *,
        item_keys: Sequence[str] = (),
        item_count: int | None = None,
        request_key: str | None = None,
    ) -> AdmitResult:
        """Persist one request's rows, skipping a re-sent request and already-seen items.

        ``item_keys`` (one per item, or empty) are dedup keys such as an event's source and id;
        ``encode`` is called with the indexes of new items and returns the payload to store.
        Returns only after the transaction is committed and fsynced; raises :class:`SpoolFull`
        or :class:`SpoolUnavailable` when this request was not persisted.
        """
        count = item_count if item_count is not None else len(item_keys)
        mine = _Request(kind, encode, tuple(item_keys), count, request_key)
        with self._cond:
            self._queue.append(mine)
            while self._committing and not mine.done:
                self._cond.wait()
            if mine.done:
                return mine.outcome()
            self._committing = True
            group, self._queue = self._queue, []
        try:
            self._commit_group(group)
        finally:
            with self._cond:
                self._committing = False
                for request in group:
                    request.done = True
                self._cond.notify_all()
        return mine.outcome()

    def _commit_group(self, group: list[_Request]) -> None:
        added = [0, 0, 0]
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                for request in group:
                    self._db.execute("SAVEPOINT request")
                    try:
                        request.result, size = self._admit_locked(request, added)
                    except sqlite3.Error:
                        raise
                    except Exception as exc:  # noqa: BLE001 - handed to that request's caller
                        self._db.execute("ROLLBACK TO request")
                        request.error = exc
                    else:
                        if size:
                            added[0] += 1
                            added[1] += request.result.rows
                            added[2] += size
                    self._db.execute("RELEASE request")
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._abandon()
                failure = SpoolUnavailable(f"the spool cannot persist data: {exc}")
                for request in group:
                    request.result, request.error = None, failure
                return
            for i in range(3):
                self._pending[i] += added[i]
            for request in group:
                if request.result is not None and request.result.rows:
                    held = self._kinds.setdefault(request.kind, [0, request.received_at])
                    if not held[0]:
                        held[1] = request.received_at
                    held[0] += request.result.rows

    def _abandon(self) -> None:
        """Roll back whatever a failed statement left open (SQLite may have done it already)."""
        if self._db.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")

    def _admit_locked(self, request: _Request, added: list[int]) -> tuple[AdmitResult, int]:
        now = request.received_at = self._clock()
        count, item_keys, request_key = request.count, request.item_keys, request.request_key
        if request_key is not None:
            hit = self._db.execute("SELECT 1 FROM seen WHERE key = ?", (request_key,)).fetchone()
            if hit is not None:
                return AdmitResult(rows=0, duplicates=count, duplicate_request=True), 0
        fresh = list(range(count))
        if item_keys:
            seen: set[str] = set()
            known: set[str] = set()
            for start in range(0, len(item_keys), 500):
                chunk = list(item_keys[start : start + 500])
                marks = ",".join("?" * len(chunk))
                known.update(
                    str(r[0])
                    for r in self._db.execute(
                        f"SELECT key FROM seen WHERE key IN ({marks})",  # noqa: S608 - placeholders only
                        chunk,
                    )
                )
            fresh = []
            for i, key in enumerate(item_keys):
                if key in known or key in seen:
                    continue
                seen.add(key)
                fresh.append(i)
        rows = size = 0
        if fresh:
            encoded = request.encode(fresh)
            if encoded is not None:
                payload, rows = encoded
                size = len(payload)
                held = self._pending[2] + added[2]
                if held + size > self._max_bytes:
                    raise SpoolFull(
                        f"the spool holds {held} of {self._max_bytes} bytes"
                        " not yet written to the warehouse"
                    )
                self._db.execute(
                    "INSERT INTO entries (kind, rows, bytes, received_at, payload)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (request.kind, rows, size, now, payload),
                )
        new_keys = [(item_keys[i], now) for i in fresh] if item_keys else []
        if request_key is not None:
            new_keys.append((request_key, now))
        if new_keys:
            self._db.executemany(
                "INSERT OR IGNORE INTO seen (key, seen_at) VALUES (?, ?)", new_keys
            )
        return AdmitResult(rows=rows, duplicates=count - len(fresh)), size

    def claim(self, kind: str, *, max_rows: int) -> Batch | None:
        """The next batch of ``kind`` to insert: an unfinished one first, else a new claim.

        A new claim takes pending entries in arrival order up to ``max_rows`` rows (at least one
        entry). Returns None when nothing is pending.
        """
        with self._lock:
            try:
                open_batch = self._db.execute(
                    "SELECT id FROM batches WHERE kind = ? ORDER BY id LIMIT 1", (kind,)
                ).fetchone()
                if open_batch is not None:
                    return self._batch_locked(int(open_batch[0]), kind)
                candidates = self._db.execute(
                    "SELECT id, rows FROM entries WHERE kind = ? AND batch_id IS NULL"
                    " ORDER BY id LIMIT 1000",
                    (kind,),
                ).fetchall()
                if not candidates:
                    return None
                chosen: list[int] = []
                total = 0
                for entry_id, rows in candidates:
                    if chosen and total + int(rows) > max_rows:
                        break
                    chosen.append(int(entry_id))
                    total += int(rows)
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    cur = self._db.execute(
                        "INSERT INTO batches (kind, created_at) VALUES (?, ?)",
                        (kind, self._clock()),
                    )
                    batch_id = int(cur.lastrowid or 0)
                    self._db.executemany(
                        "UPDATE entries SET batch_id = ? WHERE id = ?",
                        [(batch_id, e) for e in chosen],
                    )
                except BaseException:
                    self._abandon()
                    raise
                self._db.execute("COMMIT")
                return self._batch_locked(batch_id, kind)
            except sqlite3.Error as exc:
                self._abandon()
                raise SpoolUnavailable(f"the spool cannot claim a batch: {exc}") from exc

    def _batch_locked(self, batch_id: int, kind: str) -> Batch:
        rows = self._db.execute(
            "SELECT id, rows FROM entries WHERE batch_id = ? ORDER BY id", (batch_id,)
        ).fetchall()
        return Batch(
            id=batch_id,
            kind=kind,
            token=f"flowscope:{self._instance}:{batch_id}",
            entry_ids=tuple(int(r[0]) for r in rows),
            rows=sum(int(r[1]) for r in rows),
        )

    def payloads(self, batch: Batch) -> list[bytes]:
        """The Arrow IPC payloads of a claimed batch, in arrival order."""
        with self._lock:
            try:
                return [
                    bytes(r[0])
                    for r in self._db.execute(
                        "SELECT payload FROM entries WHERE batch_id = ? ORDER BY id", (batch.id,)
                    )
                ]
            except sqlite3.Error as exc:
                raise SpoolUnavailable(f"the spool cannot read a batch: {exc}") from exc

    def complete(self, batch: Batch) -> None:
        """Forget a batch once the warehouse has it."""
        with self._lock:
            try:
                freed = self._db.execute(
                    "SELECT count(), coalesce(sum(rows), 0), coalesce(sum(bytes), 0)"
                    " FROM entries WHERE batch_id = ?",
                    (batch.id,),
                ).fetchone()
                self._db.execute("BEGIN IMMEDIATE")
                self._db.execute("DELETE FROM entries WHERE batch_id = ?", (batch.id,))
                self._db.execute("DELETE FROM batches WHERE id = ?", (batch.id,))
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._abandon()
                raise SpoolUnavailable(f"the spool cannot complete a batch: {exc}") from exc
            for i in range(3):
                self._pending[i] -= int(freed[i])
            held = self._kinds.get(batch.kind)
            if held is not None:
                held[0] -= int(freed[1])
                if held[0] > 0:
                    with contextlib.suppress(sqlite3.Error):  # keep the older age: due sooner
                        oldest = self._db.execute(
                            "SELECT min(received_at) FROM entries WHERE kind = ?", (batch.kind,)
                        ).fetchone()[0]
                        held[1] = float(oldest) if oldest is not None else held[1]

    def prune_seen(self) -> int:
        """Drop dedup keys older than the dedup horizon (default 7 days); returns how many."""
        with self._lock:
            try:
                cur = self._db.execute(
                    "DELETE FROM seen WHERE seen_at < ?", (self._clock() - self._dedup_ttl_s,)
                )
                return int(cur.rowcount)
            except sqlite3.Error as exc:
                raise SpoolUnavailable(f"the spool cannot prune dedup keys: {exc}") from exc

    def stats(self) -> SpoolStats:
        """Pending entries, rows, bytes and the oldest pending entry's age in seconds."""
        with self._lock:
            try:
                oldest = self._db.execute(
                    "SELECT received_at FROM entries ORDER BY id LIMIT 1"
                ).fetchone()
            except sqlite3.Error as exc:
                raise SpoolUnavailable(f"the spool cannot report its depth: {exc}") from exc
            n, rows, size = self._pending
        age = 0.0 if oldest is None else max(0.0, self._clock() - float(oldest[0]))
        return SpoolStats(entries=n, rows=rows, bytes=size, oldest_age_s=age)

    def pending_rows(self) -> int:
        """Rows admitted and not yet completed (from memory; no I/O)."""
        return self._pending[1]

    def pending(self, kind: str) -> PendingKind:
        """Rows of ``kind`` admitted and not yet completed, and how long (seconds, by the
        spool's clock) the oldest of them has waited; from memory, no I/O."""
        with self._lock:
            held = self._kinds.get(kind)
            if held is None or held[0] <= 0:
                return PendingKind(0, 0.0)
            rows, oldest = int(held[0]), held[1]
        return PendingKind(rows, max(0.0, self._clock() - oldest))

    def close(self) -> None:
        """Close the database; the spool must not be used afterwards."""
        with self._lock:
            self._db.close()
