"""Refused requests, aggregated before they reach the audit trail, so that no flood fills it.

The access guard (:mod:`flowscope.access.guard`) notes every refusal here — no or an invalid key, a
key of the wrong scope, a failed, cross-site or throttled login, keys that cannot be read — in
memory, without I/O. Notes are counted per **client, reason, actor and UTC minute**; each such
bucket becomes one audit record (action ``api.denied``) once its minute is over (or when the
trail is read, or at shutdown): actor the key's name (``anonymous`` without one), target the
first refused request (``"<METHOD> <path>"``), remote the client address, detail
``{"reason", "count", "statuses", "paths", "minute"}`` with at most :data:`MAX_PATHS` distinct
paths, each cut at :data:`MAX_PATH_CHARS` characters. So 1,000 refused requests from one client
in a minute are one record of a few hundred bytes, not 1,000 fsyncs.

At most :data:`MAX_BUCKETS` buckets are open at once; notes beyond go to one overflow bucket
per reason (client ``*``), so even many clients cannot grow memory without bound.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from catalog.parameters import rfc3339
from flowscope.access.audit import AuditLog

log = logging.getLogger("flowscope.audit")

MAX_PATH_CHARS = 200
"""A path in a denial record is cut at this many characters."""
MAX_PATHS = 5
"""Distinct paths kept per denial record."""
MAX_BUCKETS = 1000
"""Open (client, reason, actor, minute) buckets kept in memory at most."""
OVERFLOW_CLIENT = "*"
"""Client of the bucket that takes notes beyond :data:`MAX_BUCKETS`."""


@dataclass
class _Bucket:
    target: str
    count: int = 0
    statuses: set[int] = field(default_factory=set)
    paths: list[str] = field(default_factory=list)


_Key = tuple[str, str, str, int]
"""(client, reason, actor, minute since the epoch)."""


class DenialLog:
    """Aggregates refusals into :class:`~flowscope.access.audit.AuditLog` records (see the module
    docstring). ``clock`` gives seconds since the epoch."""

    def __init__(self, audit: AuditLog, *, clock: Callable[[], float] = time.time,
                 max_buckets: int = MAX_BUCKETS) -> None:
        self.audit = audit
        self._clock = clock
        self._max = max_buckets
        self._buckets: dict[_Key, _Bucket] = {}
        self._lock = threading.Lock()
        self._flushing = threading.Lock()

    def note(self, *, client: str, reason: str, status: int, method: str, path: str,
             actor: str = "anonymous") -> None:
        """Count one refused request. In memory only: safe to call from the event loop."""
        minute = int(self._clock() // 60)
        short = path[:MAX_PATH_CHARS]
        key: _Key = (client, reason, actor, minute)
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                if len(self._buckets) >= self._max:
                    key = (OVERFLOW_CLIENT, reason, "*", minute)
                    bucket = self._buckets.get(key)
                if bucket is None:
                    bucket = self._buckets[key] = _Bucket(f"{method[:10]} {short}")
            bucket.count += 1
            bucket.statuses.add(status)
            if short not in bucket.paths and len(bucket.paths) < MAX_PATHS:
                bucket.paths.append(short)

    def pending(self) -> int:
        """Buckets not yet written."""
        with self._lock:
            return len(self._buckets)

    def flush(self, *, everything: bool = False) -> int:
        """Write the buckets of minutes that are over (all of them with ``everything``) as
        audit records; returns how many. Blocking (fsync): call it off the event loop. A
        record that cannot be written is logged and dropped."""
        with self._flushing:  # a reader's flush waits for a periodic one to finish writing
            now_minute = int(self._clock() // 60)
            with self._lock:
                due = {k: b for k, b in self._buckets.items()
                       if everything or k[3] < now_minute}
                for k in due:
                    del self._buckets[k]
            for (client, reason, actor, minute), bucket in sorted(due.items(),
                                                                  key=lambda kv: kv[0][3]):
                self._write(client, reason, actor, minute, bucket)
            return len(due)

    def _write(self, client: str, reason: str, actor: str, minute: int, bucket: _Bucket) -> None:
        stamp = rfc3339(datetime.fromtimestamp(minute * 60, UTC))
        try:
            self.audit.record(
                "api.denied",
                actor=actor,
                target=bucket.target,
                detail={"reason": reason, "count": bucket.count,
                        "statuses": sorted(bucket.statuses), "paths": bucket.paths,
                        "minute": stamp},
                remote=client,
            )
        except OSError as exc:
            log.error("cannot write an audit record: %s", exc.strerror or type(exc).__name__)
