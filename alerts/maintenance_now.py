"""Maintenance declared now: "ERP down for the next 2 h, stop counting" (service).

:meth:`MaintenanceService.declare` stores a window ``[now, now + duration)`` for a flow
(:class:`slo.declared_maintenance.MaintenanceBook`); from then on its SLIs leave it out like the
catalog's windows (:func:`slo.declared_maintenance.flow_exclusions`) and its alerts' notifications
are held back (:meth:`MaintenanceService.muting`, used by the evaluator). When the flow declares
``pause: {url, secret_env}``, that URL is told ``pause`` at the start and ``resume`` at the end
(signed like the replay call, :mod:`alerts.signed_call`); each outcome is stored on the window
and audited. :meth:`MaintenanceService.end` ends a window early (its end moves to now: the time
already spent stays left out) and sends ``resume`` at once; windows that run out are resumed by
:meth:`MaintenanceService.resume_due`, which the server calls every :data:`CHECK_S` seconds (and
which catches up after a restart).

A duration is at most :data:`MAX_DURATION` and a reason is required (at most
:data:`MAX_REASON_CHARS` characters): SLIs are not switched off by accident.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from alerts.dispatch import rfc3339
from alerts.errors import OperationRefused
from alerts.operations import Audit, OperatorService, Post
from alerts.signed_call import post_signed
from catalog.model import Catalog, Flow
from catalog.operations import shown_url
from slo.declared_maintenance import DeclaredWindow, MaintenanceBook
from slo.errors import MaintenanceError
from slo.maintenance import occurrences
from warehouse.errors import WarehouseError
from warehouse.port import Warehouse

log = logging.getLogger("flowscope.alerts")

MAX_DURATION = timedelta(days=30)
MAX_REASON_CHARS = 500
CHECK_S = 5.0
"""Seconds between looks for windows that ran out (their resume call)."""
PAUSE_TIMEOUT = timedelta(seconds=10)
"""How long the pause and resume calls wait for an answer."""
LISTED_AFTER_END = timedelta(days=7)
"""Declared windows stay listed this long after they end."""


@dataclass(frozen=True)
class ListedWindow:
    """A maintenance window as ``GET /api/v1/maintenance`` lists it: ``source`` ``declared``
    (with its id and who declared it) or ``catalog`` (an occurrence of a recurring window)."""

    flow: str
    source: str
    starts_at: datetime
    ends_at: datetime
    reason: str
    declared: DeclaredWindow | None = None

    def to_json(self, at: datetime) -> dict[str, Any]:
        """The window as JSON, with whether it is active at ``at``."""
        out: dict[str, Any] = {
            "flow": self.flow, "source": self.source, "starts_at": rfc3339(self.starts_at),
            "ends_at": rfc3339(self.ends_at), "reason": self.reason,
            "active": self.starts_at <= at < self.ends_at}
        if self.declared is not None:
            d = self.declared
            out.update(id=d.id, created_by=d.created_by, created_at=rfc3339(d.created_at),
                       ended_by=d.ended_by or None, pause=d.pause_outcome or None,
                       resume=d.resume_outcome or None)
        return out


class MaintenanceService(OperatorService):
    """Declared maintenance of ``catalog``'s flows (module docstring); ``secrets`` are the
    flows' pause secrets (the values of their ``pause.secret_env``)."""

    def __init__(self, catalog: Catalog, warehouse: Callable[[], Warehouse | None], *,
                 secrets: Mapping[str, bytes], audit: Audit, clock: Callable[[], datetime],
                 post: Post = post_signed) -> None:
        super().__init__(catalog, warehouse, secrets=secrets, audit=audit, clock=clock,
                         post=post)
        self._lock = threading.Lock()

    def _book(self) -> MaintenanceBook:
        return MaintenanceBook.of(self._ready())

    def declare(self, flow_name: str, duration: timedelta, reason: str, *, actor: str,
                remote: str = "") -> DeclaredWindow:
        """Declare maintenance of ``flow_name`` from now for ``duration``; the pause webhook
        is called before this returns. Raises :class:`OperationRefused`."""
        flow = self._flow(flow_name)
        if not timedelta(0) < duration <= MAX_DURATION:
            raise OperationRefused(400, f"duration must be more than 0 and at most "
                                   f"{MAX_DURATION.days}d", reason="bad duration")
        text = " ".join(reason.split())
        if not text or len(text) > MAX_REASON_CHARS:
            raise OperationRefused(400, f"reason must say why, in 1 to {MAX_REASON_CHARS} "
                                   "characters", reason="bad reason")
        book = self._book()
        now = self._clock()
        at = now.replace(microsecond=now.microsecond // 1000 * 1000)  # stored to the ms
        window = DeclaredWindow(uuid.uuid4().hex[:16], flow.name, at, at + duration, text,
                                actor, at)
        # a WarehouseError goes on to the app's error boundary, answered like on every route
        book.save(window)
        self._audit("maintenance.declare", actor=actor, target=f"{flow.name}/{window.id}",
                    detail={"starts_at": rfc3339(window.starts_at),
                            "ends_at": rfc3339(window.ends_at), "reason": text},
                    remote=remote)
        outcome = self._tell(flow, window, "pause", actor, remote)
        if outcome:
            window = book.update(window.id, pause_outcome=outcome) or window
        return window

    def end(self, flow_name: str, window_id: str, *, actor: str, remote: str = ""
            ) -> DeclaredWindow:
        """End declared window ``window_id`` of ``flow_name`` now (404 when unknown, 409 when
        it has ended already); the resume webhook is called before this returns."""
        flow = self._flow(flow_name)
        book = self._book()
        with self._lock:
            found = book.find(window_id)
            if found is None or found.flow != flow.name:
                raise OperationRefused(404, f"{flow.name} has no declared maintenance "
                                       f"{window_id[:60]!r}", reason="unknown window")
            at = self._clock()
            if found.ends_at <= at:
                raise OperationRefused(409, f"maintenance {found.id} of {flow.name} ended "
                                       f"at {rfc3339(found.ends_at)}", reason="ended")
            ended = book.update(found.id, ends_at=max(at, found.starts_at),
                                ended_by=actor) or found
        self._audit("maintenance.end", actor=actor, target=f"{flow.name}/{ended.id}",
                    detail={"ends_at": rfc3339(ended.ends_at), "reason": ended.reason},
                    remote=remote)
        return self._resume(flow, ended, actor, remote)

    def resume_due(self) -> int:
        """Send ``resume`` for every window that ran out and was paused but not yet resumed;
        returns how many."""
        wh = self._warehouse()
        if wh is None:
            return 0
        at = self._clock()
        due = [w for w in MaintenanceBook.of(wh).windows()
               if w.ends_at <= at and w.pause_outcome and not w.resume_outcome]
        for window in due:
            flow = self._catalog.flow(window.flow)
            if flow is not None:
                self._resume(flow, window, "flowscope", "")
        return len(due)

    def follow(self, stop: threading.Event) -> None:
        """:meth:`resume_due` every :data:`CHECK_S` seconds until ``stop`` is set."""
        while not stop.wait(CHECK_S):
            try:
                self.resume_due()
            except Exception:
                log.exception("resuming flows after their maintenance failed; retrying")

    def muting(self, flow: str, at: datetime) -> str | None:
        """Why ``flow``'s notifications are held back at ``at`` by declared maintenance (the
        window's reason and who declared it), or ``None``."""
        wh = self._warehouse()
        if wh is None:
            return None
        try:
            found = MaintenanceBook.of(wh).active(flow, at)
        except WarehouseError:
            return None
        return None if found is None else f"{found.reason} (declared by {found.created_by})"

    def listing(self, at: datetime, flow_name: str | None = None) -> list[ListedWindow]:
        """Declared windows active, upcoming or ended within :data:`LISTED_AFTER_END`, and the
        catalog's windows active at ``at`` or starting within a day, of one flow or all."""
        flows = [self._flow(flow_name)] if flow_name else list(self._catalog.flows)
        names = {f.name for f in flows}
        found = [ListedWindow(w.flow, "declared", w.starts_at, w.ends_at, w.reason, w)
                 for w in self._book().windows()
                 if w.flow in names and w.ends_at > at - LISTED_AFTER_END]
        for flow in flows:
            for window in flow.maintenance:
                try:
                    spans = occurrences(window, at, at + timedelta(days=1))
                except MaintenanceError:
                    continue
                found.extend(ListedWindow(flow.name, "catalog", i.start, i.end,
                                          window.reason or window.rrule) for i in spans)
        return sorted(found, key=lambda w: (w.starts_at, w.flow))

    def _resume(self, flow: Flow, window: DeclaredWindow, actor: str, remote: str
                ) -> DeclaredWindow:
        outcome = self._tell(flow, window, "resume", actor, remote)
        if not outcome:
            return window
        return self._book().update(window.id, resume_outcome=outcome) or window

    def _tell(self, flow: Flow, window: DeclaredWindow, action: str, actor: str,
              remote: str) -> str:
        """Call the flow's pause webhook with ``action``; the outcome text ("" without one)."""
        if flow.pause is None:
            return ""
        secret = self._secrets.get(flow.name)
        if not secret:
            outcome = f"not sent: the environment variable {flow.pause.secret_env} is not set"
        else:
            body = json.dumps({
                "type": f"flowscope.maintenance.{action}", "action": action, "flow": flow.name,
                "maintenance_id": window.id, "reason": window.reason,
                "starts_at": rfc3339(window.starts_at), "ends_at": rfc3339(window.ends_at),
                "requested_by": actor, "sent_at": rfc3339(self._clock())},
                separators=(",", ":"), sort_keys=True).encode()
            outcome = self._post(flow.pause.url, body, secret=secret,
                                 timeout=PAUSE_TIMEOUT).describe()
        self._audit(f"maintenance.{action}", actor=actor, target=f"{flow.name}/{window.id}",
                    detail={"url": shown_url(flow.pause.url), "outcome": outcome},
                    remote=remote)
        return outcome
