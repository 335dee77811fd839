"""The audit trail: who did what, when — kept in the warehouse table ``flowscope_audit``.

Recorded: API key creation (``key.create``), catalog loads at start (``catalog.load``), every
call of an admin route (``api.call``; refused ones ``api.denied``, see
:mod:`flowscope.access.audit_http`), and whatever other code passes to :meth:`AuditLog.record`
(silences, manual replays). A record is ``time`` (UTC, milliseconds), ``actor`` (the API key's
name; ``anonymous`` for a request without one; ``local`` for commands run on the host),
``action``, ``target``, ``detail`` (a JSON object) and ``remote`` (the client address).

Path of a record: :meth:`AuditLog.record` appends one JSON line to
``<data-dir>/audit-pending.jsonl`` (fsynced, under an ``flock`` on ``audit-pending.lock``), and
returns. The server imports that file into the warehouse when the warehouse is ready, within
:data:`POLL_S` seconds of a new record, and when the trail is read: it renames the file to
``audit-importing-<id>.jsonl`` under the lock, inserts its rows, then deletes it. So the CLI
(``flowscope keys create``), which cannot open the engine a running server holds, writes the same
file, and its records appear once a server runs on that data directory. A crash between insert
and delete imports the file again: every record carries a random ``record_id`` and readers keep
one row per id, so it is counted once.

An :class:`AuditLog` built with ``pending=None`` keeps records in memory (a bounded deque):
the in-memory double for tests.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa

from catalog.model import Catalog
from catalog.parameters import rfc3339
from warehouse.port import Warehouse

log = logging.getLogger("flowscope.audit")

TABLE = "flowscope_audit"
PENDING_FILE = "audit-pending.jsonl"
POLL_S = 2.0
"""Seconds between the importer's looks at the pending file (a CLI may have appended)."""
MAX_LIMIT = 10_000
"""Most records one read returns."""
_MIN_TIME = datetime(1900, 1, 1, tzinfo=UTC)
_MAX_TIME = datetime(2262, 4, 11, tzinfo=UTC)
_SCHEMA = pa.schema(
    [
        ("Time", pa.timestamp("ms", tz="UTC")),
        ("RecordId", pa.string()),
        ("Actor", pa.string()),
        ("Action", pa.string()),
        ("Target", pa.string()),
        ("Detail", pa.string()),
        ("RemoteAddr", pa.string()),
    ]
)


@dataclass(frozen=True)
class AuditRecord:
    """One audit record; ``time`` is an aware UTC datetime, ``detail`` a JSON-able mapping."""

    time: datetime
    record_id: str
    actor: str
    action: str
    target: str = ""
    detail: Mapping[str, Any] = field(default_factory=dict)
    remote: str = ""

    def to_json(self) -> dict[str, Any]:
        """The JSON shape of ``GET /api/v1/audit`` items (time in RFC 3339, UTC, ms)."""
        return {
            "time": rfc3339(self.time, "milliseconds"),
            "id": self.record_id,
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "detail": dict(self.detail),
            "remote": self.remote,
        }

    def to_line(self) -> str:
        """The record as one JSON line (no newline), as :func:`parse_line` reads it."""
        return json.dumps(self.to_json(), separators=(",", ":"), default=str)


def parse_line(line: str) -> AuditRecord | None:
    """The record of a JSON line written by :meth:`AuditRecord.to_line`; None if unreadable."""
    try:
        obj = json.loads(line)
        moment = datetime.fromisoformat(str(obj["time"]).replace("Z", "+00:00"))
        detail = obj.get("detail") or {}
        if not isinstance(detail, dict) or moment.tzinfo is None:
            return None
        return AuditRecord(
            time=moment.astimezone(UTC),
            record_id=str(obj["id"]),
            actor=str(obj["actor"]),
            action=str(obj["action"]),
            target=str(obj.get("target", "")),
            detail=detail,
            remote=str(obj.get("remote", "")),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def to_arrow(records: list[AuditRecord]) -> pa.Table:
    """The rows of ``flowscope_audit`` for ``records``."""
    return pa.Table.from_pydict(
        {
            "Time": [r.time for r in records],
            "RecordId": [r.record_id for r in records],
            "Actor": [r.actor for r in records],
            "Action": [r.action for r in records],
            "Target": [r.target for r in records],
            "Detail": [_compact(r.detail) for r in records],
            "RemoteAddr": [r.remote for r in records],
        },
        schema=_SCHEMA,
    )


def _compact(detail: Mapping[str, Any]) -> str:
    return json.dumps(dict(detail), separators=(",", ":"), default=str)


def clamp(moment: datetime) -> datetime:
    """``moment`` as aware UTC (naive is taken as UTC), held within what DateTime64 stores."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return min(max(moment.astimezone(UTC), _MIN_TIME), _MAX_TIME)


_READ = """
SELECT Time, RecordId, Actor, Action, Target, Detail, RemoteAddr
FROM {table}
WHERE Time >= {start:DateTime64(3, 'UTC')} AND Time < {end:DateTime64(3, 'UTC')}
ORDER BY Time DESC, RecordId
LIMIT 1 BY RecordId
LIMIT {limit:UInt32}
"""


def read_audit(wh: Warehouse, start: datetime, end: datetime, limit: int) -> list[AuditRecord]:
    """Records with ``start <= time < end``, newest first, at most ``limit`` (≤ MAX_LIMIT)."""
    sql = _READ.replace("{table}", f"{wh.database}.{TABLE}")  # our identifiers only
    rows = wh.query(
        sql,
        {
            "start": clamp(start),
            "end": clamp(end),
            "limit": max(0, min(limit, MAX_LIMIT)),
        },
    )
    out = []
    for moment, record_id, actor, action, target, detail, remote in rows:
        try:
            parsed = json.loads(detail) if detail else {}
        except ValueError:
            parsed = {"text": detail}
        out.append(
            AuditRecord(
                time=clamp(moment),
                record_id=str(record_id),
                actor=str(actor),
                action=str(action),
                target=str(target),
                detail=parsed if isinstance(parsed, dict) else {"value": parsed},
                remote=str(remote),
            )
        )
    return out


class AuditSink(Protocol):
    """Where imported records go: :class:`warehouse.port.Warehouse` satisfies it."""

    def insert_arrow(self, table: str, data: pa.Table, *, dedup_token: str | None = None) -> None:
        """Insert ``data`` into ``table``; a replay with the same token is stored once."""


class AuditLog:
    """Records audit events durably and imports them into the warehouse.

    ``pending`` is the JSON-lines file (None: keep records in memory); ``clock`` gives seconds
    since the epoch (default :func:`time.time`).
    """

    def __init__(
        self,
        pending: Path | None = None,
        *,
        clock: Callable[[], float] = time.time,
        poll_s: float = POLL_S,
    ) -> None:
        self.pending = pending
        self._clock = clock
        self._poll_s = poll_s
        self._memory: deque[AuditRecord] = deque(maxlen=10_000)
        self._flush_lock = threading.Lock()
        self._sink: AuditSink | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def record(
        self,
        action: str,
        *,
        actor: str,
        target: str = "",
        detail: Mapping[str, Any] | None = None,
        remote: str = "",
    ) -> AuditRecord:
        """Record ``actor`` doing ``action`` on ``target``; durable when this returns.

        Raises :class:`OSError` when the pending file cannot be written.
        """
        entry = AuditRecord(
            time=datetime.fromtimestamp(self._clock(), UTC),
            record_id=uuid.uuid4().hex,
            actor=actor,
            action=action,
            target=target,
            detail=dict(detail or {}),
            remote=remote,
        )
        if self.pending is None:
            self._memory.append(entry)
        else:
            with self._locked():
                fd = os.open(self.pending, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    os.write(fd, (entry.to_line() + "\n").encode())
                    os.fsync(fd)
                finally:
                    os.close(fd)
        self._wake.set()
        return entry

    def waiting(self) -> list[AuditRecord]:
        """Records not yet imported into the warehouse, oldest first."""
        if self.pending is None:
            return list(self._memory)
        out: list[AuditRecord] = []
        for path in [*self._importing(), self.pending]:
            out.extend(_read_file(path)[0])
        return out

    def attach(self, sink: AuditSink) -> None:
        """Import into ``sink`` from now on: now, on each record and every ``poll_s`` seconds."""
        self._sink = sink
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="flowscope-audit", daemon=True)
        self._thread.start()

    def flush(self) -> int:
        """Import every waiting record now; returns how many. Raises the sink's errors."""
        sink = self._sink
        if sink is None:
            return 0
        with self._flush_lock:
            if self.pending is None:
                records = list(self._memory)
                if records:
                    sink.insert_arrow(TABLE, to_arrow(records))
                    for _ in records:
                        self._memory.popleft()
                return len(records)
            self._take_pending()
            imported = 0
            for path in self._importing():
                records, bad = _read_file(path)
                if bad:
                    log.warning("skipped %d unreadable audit lines in %s", bad, path.name)
                if records:
                    sink.insert_arrow(TABLE, to_arrow(records), dedup_token=f"audit:{path.name}")
                path.unlink()
                imported += len(records)
            return imported

    def close(self) -> None:
        """Stop the importer after one last import (best effort)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10.0)
            self._thread = None
        try:
            self.flush()
        except Exception as exc:  # noqa: BLE001 - records stay in the pending file for next time
            log.warning("audit records left for the next start: %s", type(exc).__name__)
        self._sink = None

    def _run(self) -> None:
        backoff = self._poll_s
        while not self._stop.is_set():
            try:
                self.flush()
                backoff = self._poll_s
            except Exception as exc:  # noqa: BLE001 - retried; the records stay on disk
                log.warning("audit import failed, retrying in %.0fs: %s", backoff, exc)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 60.0)
                continue
            self._wake.wait(self._poll_s)
            self._wake.clear()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        assert self.pending is not None
        self.pending.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.pending.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _take_pending(self) -> None:
        assert self.pending is not None
        if not self.pending.exists():
            return
        with self._locked():
            if self.pending.exists() and self.pending.stat().st_size:
                target = self.pending.with_name(f"audit-importing-{uuid.uuid4().hex}.jsonl")
                self.pending.rename(target)

    def _importing(self) -> list[Path]:
        assert self.pending is not None
        folder = self.pending.parent
        if not folder.is_dir():
            return []
        return sorted(folder.glob("audit-importing-*.jsonl"))


def _read_file(path: Path) -> tuple[list[AuditRecord], int]:
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return [], 0
    records: list[AuditRecord] = []
    bad = 0
    for line in text.splitlines():
        if not line.strip():
            continue
        parsed = parse_line(line)
        if parsed is None:
            bad += 1
        else:
            records.append(parsed)
    return records, bad


def pending_path(data_dir: Path) -> Path:
    """``<data_dir>/audit-pending.jsonl``."""
    return data_dir / PENDING_FILE


def record_catalog_load(audit: AuditLog, path: Path, catalog: Catalog) -> None:
    """Record that the server loaded the catalog at ``path`` (its flows and SHA-256).

    Never raises: a record that cannot be written is logged.
    """
    try:
        checksum = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        checksum = ""
    try:
        audit.record(
            "catalog.load",
            actor="local",
            target=str(path.resolve()),
            detail={"flows": [f.name for f in catalog.flows], "sha256": checksum},
        )
    except OSError as exc:
        log.error("cannot write an audit record: %s", exc.strerror or type(exc).__name__)
