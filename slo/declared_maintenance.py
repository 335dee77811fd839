"""Maintenance declared now ("ERP down for the next 2 h, stop counting"), and what SLIs leave
out: the catalog's recurring windows plus these (adapter over ``maintenance_declared``, see
``warehouse/schema/013_operations.sql``).

A declared window is ``[starts_at, ends_at)`` for one flow; ending it early moves ``ends_at``
to that instant (the time already spent in maintenance stays left out). :func:`flow_exclusions`
is what every SLI read uses (evaluation, alert signals, attribution): the catalog's intervals
(:func:`slo.maintenance.excluded_intervals`) merged with the declared ones.

The table is small (one row per declaration), so :class:`MaintenanceBook` keeps all of it in
memory, read again at most every :data:`REFRESH_S` seconds (another replica's declaration is
seen within that) and at once after a change made through it. Raises
:class:`~warehouse.errors.WarehouseError` when the warehouse fails.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from catalog.model import Flow
from slo.maintenance import Interval, excluded_intervals, merge
from warehouse.port import Warehouse

REFRESH_S = 5.0
"""Seconds a read of the declared windows is reused."""
_COLUMNS = ("Id", "Flow", "StartsAt", "EndsAt", "Reason", "CreatedBy", "CreatedAt", "EndedBy",
            "PauseOutcome", "ResumeOutcome")


@dataclass(frozen=True)
class DeclaredWindow:
    """Maintenance declared for ``flow`` over ``[starts_at, ends_at)`` (aware UTC), by
    ``created_by`` at ``created_at``; ``ended_by`` who ended it early ("" when not);
    ``pause_outcome`` and ``resume_outcome`` what the flow's pause webhook answered at the
    start and the end ("" when not called, or not yet)."""

    id: str
    flow: str
    starts_at: datetime
    ends_at: datetime
    reason: str
    created_by: str
    created_at: datetime
    ended_by: str = ""
    pause_outcome: str = ""
    resume_outcome: str = ""

    def active(self, at: datetime) -> bool:
        """True when ``at`` lies inside the window."""
        return self.starts_at <= at < self.ends_at

    @property
    def interval(self) -> Interval:
        """The window as an :class:`~slo.maintenance.Interval`."""
        return Interval(self.starts_at, self.ends_at)


def _aware(moment: object) -> datetime:
    if isinstance(moment, datetime):
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(moment)).replace(tzinfo=UTC)


class MaintenanceBook:
    """The declared windows of one warehouse (module docstring); ``clock`` gives wall-clock
    seconds (row versions), ``monotonic`` the refresh timer."""

    def __init__(self, wh: Warehouse, *, clock: Callable[[], float] = time.time,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._wh = wh
        self._clock = clock
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._windows: tuple[DeclaredWindow, ...] | None = None
        self._read_at = 0.0
        self._version = 0

    @classmethod
    def of(cls, wh: Warehouse) -> MaintenanceBook:
        """The book attached to ``wh`` (made on first use)."""
        return wh.attached("maintenance_book", lambda: cls(wh))

    def windows(self) -> tuple[DeclaredWindow, ...]:
        """Every declared window, in start order."""
        with self._lock:
            if self._windows is None or self._monotonic() - self._read_at >= REFRESH_S:
                rows = self._wh.query(
                    f"SELECT {', '.join(_COLUMNS)} FROM "  # noqa: S608 - our identifiers
                    f"{self._wh.database}.maintenance_declared FINAL ORDER BY StartsAt, Id")
                self._windows = tuple(DeclaredWindow(
                    str(i), str(f), _aware(s), _aware(e), str(r), str(c), _aware(ca), str(eb),
                    str(po), str(ro)) for i, f, s, e, r, c, ca, eb, po, ro in rows)
                self._read_at = self._monotonic()
            return self._windows

    def of_flow(self, flow: str) -> tuple[DeclaredWindow, ...]:
        """The declared windows of ``flow``."""
        return tuple(w for w in self.windows() if w.flow == flow)

    def find(self, window_id: str) -> DeclaredWindow | None:
        """The window with that id, or ``None``."""
        return next((w for w in self.windows() if w.id == window_id), None)

    def intervals(self, flow: str, start: datetime, end: datetime) -> tuple[Interval, ...]:
        """The declared windows of ``flow`` overlapping ``[start, end)``."""
        return tuple(w.interval for w in self.of_flow(flow)
                     if w.starts_at < end and w.ends_at > start and w.ends_at > w.starts_at)

    def active(self, flow: str, at: datetime) -> DeclaredWindow | None:
        """The declared window of ``flow`` covering ``at`` (the one ending last), or ``None``."""
        covering = [w for w in self.of_flow(flow) if w.active(at)]
        return max(covering, key=lambda w: w.ends_at, default=None)

    def save(self, window: DeclaredWindow) -> None:
        """Store ``window`` (a new one, or a new version of one)."""
        version = self._next_version()
        self._wh.command(
            f"INSERT INTO {self._wh.database}.maintenance_declared "  # noqa: S608
            f"({', '.join(_COLUMNS)}, UpdatedAt) VALUES ({{id:String}}, {{flow:String}}, "
            "{starts:DateTime64(3, 'UTC')}, {ends:DateTime64(3, 'UTC')}, {reason:String}, "
            "{by:String}, {created:DateTime64(3, 'UTC')}, {ended_by:String}, {pause:String}, "
            "{resume:String}, {version:DateTime64(3, 'UTC')})",
            {"id": window.id, "flow": window.flow, "starts": window.starts_at,
             "ends": window.ends_at, "reason": window.reason, "by": window.created_by,
             "created": window.created_at, "ended_by": window.ended_by,
             "pause": window.pause_outcome, "resume": window.resume_outcome,
             "version": datetime.fromtimestamp(version / 1000, UTC)})
        with self._lock:
            known = [w for w in (self._windows or ()) if w.id != window.id]
            self._windows = tuple(sorted([*known, window], key=lambda w: (w.starts_at, w.id)))

    def update(self, window_id: str, **changes: object) -> DeclaredWindow | None:
        """Store a new version of window ``window_id`` with ``changes``; ``None`` when unknown."""
        found = self.find(window_id)
        if found is None:
            return None
        changed = replace(found, **changes)  # type: ignore[arg-type]
        self.save(changed)
        return changed

    def _next_version(self) -> int:
        """Milliseconds for ``UpdatedAt``, above every earlier version made here."""
        with self._lock:
            self._version = max(self._version + 1, int(self._clock() * 1000))
            return self._version


def flow_exclusions(wh: Warehouse, flow: Flow, start: datetime, end: datetime
                    ) -> tuple[tuple[Interval, ...], str]:
    """What SLIs of ``flow`` leave out over ``[start, end)``: the catalog's maintenance
    intervals and the declared ones, merged; and a note when a catalog rule cannot be expanded
    (:func:`slo.maintenance.excluded_intervals`)."""
    intervals, note = excluded_intervals(flow.maintenance, start, end)
    declared = MaintenanceBook.of(wh).intervals(flow.name, start, end)
    return (merge([*intervals, *declared]) if declared else intervals), note


def active_declared(wh: Warehouse, flows: Iterable[Flow], at: datetime
                    ) -> dict[str, DeclaredWindow]:
    """The declared window covering ``at`` of each of ``flows`` that has one."""
    book = MaintenanceBook.of(wh)
    found = {f.name: book.active(f.name, at) for f in flows}
    return {name: w for name, w in found.items() if w is not None}
