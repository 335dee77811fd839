"""What the evaluator reads about flows: the :class:`FlowSignals` port and an in-memory double.

The SLI queries of the ``slo`` room satisfy :class:`FlowSignals` (the composition root passes
them in), with its values (:class:`slo.sli.Counts`, :class:`slo.sli.RunCounts`); tests and
demos use :class:`InMemorySignals`, shipped as product code like OpenTelemetry's in-memory
exporters. Intervals are half-open ``[start, end)`` of aware UTC
datetimes. A run is counted at the moment it became determinate (succeeded, failed, or outlived
a latency threshold), as the design's semantics say.

Implementations may raise any exception when their data is unavailable; the evaluator then
keeps the affected alerts as they were (it neither fires nor resolves on missing data).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from slo.sli import Counts, RunCounts


class FlowSignals(Protocol):
    """Counts about flows at an instant, read from the warehouse (or memory)."""

    def slo_counts(self, flow: str, slo: str, at: datetime,
                   starts: Sequence[datetime]) -> Mapping[datetime, Counts]:
        """For every instant of ``starts`` (each before ``at``), the good and valid runs of SLO
        ``slo`` of ``flow`` that became determinate in ``[start, at)``.

        All windows of one evaluation end at ``at`` (the burn-rate windows, the SLO period so
        far, everything since the epoch), so one call can count them in one pass (see
        :mod:`slo.rings`). Every start asked for has an entry.
        """
        ...

    def run_counts(self, flow: str, start: datetime, end: datetime) -> RunCounts:
        """Runs of ``flow`` started, succeeded and failed in ``[start, end)``."""
        ...

    def oldest_dead_letter(self, flow: str, at: datetime) -> datetime | None:
        """When the oldest run of ``flow`` that is dead-lettered at ``at`` (and was not
        replayed to success by then) was dead-lettered; ``None`` when there is none."""
        ...


Outcome = Literal["start", "success", "failure"]


@dataclass(frozen=True)
class RecordedRun:
    """One run event kept by :class:`InMemorySignals`."""

    flow: str
    outcome: Outcome
    at: datetime


@dataclass(frozen=True)
class RecordedSLOEvent:
    """One determinate run of an SLO kept by :class:`InMemorySignals`."""

    flow: str
    slo: str
    good: bool
    at: datetime


@dataclass(frozen=True)
class RecordedDeadLetter:
    """A dead-lettered run: when it was dead-lettered, and replayed (``None``: still waiting)."""

    flow: str
    run: str
    at: datetime
    replayed_at: datetime | None = None


class InMemorySignals:
    """A :class:`FlowSignals` over events recorded in memory; thread-safe.

    ``unavailable`` (a set of flow names) makes every read about those flows raise
    :class:`ConnectionError`, to exercise the evaluator's handling of missing data.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: list[RecordedRun] = []
        self._slo: list[RecordedSLOEvent] = []
        self._dead: list[RecordedDeadLetter] = []
        self.unavailable: set[str] = set()

    def record_run(self, flow: str, outcome: Outcome, at: datetime) -> None:
        """A run of ``flow`` started, succeeded or failed at ``at``."""
        with self._lock:
            self._runs.append(RecordedRun(flow, outcome, at))

    def record_slo(self, flow: str, slo: str, *, good: int = 0, bad: int = 0,
                   at: datetime) -> None:
        """``good`` and ``bad`` runs of SLO ``slo`` became determinate at ``at``."""
        with self._lock:
            self._slo.extend(RecordedSLOEvent(flow, slo, True, at) for _ in range(good))
            self._slo.extend(RecordedSLOEvent(flow, slo, False, at) for _ in range(bad))

    def record_dead_letter(self, flow: str, run: str, at: datetime,
                           replayed_at: datetime | None = None) -> None:
        """Run ``run`` of ``flow`` was dead-lettered at ``at`` (and replayed at
        ``replayed_at``)."""
        with self._lock:
            self._dead.append(RecordedDeadLetter(flow, run, at, replayed_at))

    def clear(self) -> None:
        """Forget everything recorded."""
        with self._lock:
            self._runs.clear()
            self._slo.clear()
            self._dead.clear()

    def _check(self, flow: str) -> None:
        if flow in self.unavailable:
            raise ConnectionError(f"signals of flow {flow!r} are unavailable")

    def slo_counts(self, flow: str, slo: str, at: datetime,
                   starts: Sequence[datetime]) -> Mapping[datetime, Counts]:
        """See :meth:`FlowSignals.slo_counts`."""
        self._check(flow)
        with self._lock:
            events = [e for e in self._slo if e.flow == flow and e.slo == slo and e.at < at]
        found = {}
        for start in starts:
            hits = [e.good for e in events if e.at >= start]
            found[start] = Counts(good=sum(hits), valid=len(hits))
        return found

    def run_counts(self, flow: str, start: datetime, end: datetime) -> RunCounts:
        """See :meth:`FlowSignals.run_counts`."""
        self._check(flow)
        with self._lock:
            hits = [r.outcome for r in self._runs if r.flow == flow and start <= r.at < end]
        return RunCounts(started=hits.count("start"), succeeded=hits.count("success"),
                         failed=hits.count("failure"))

    def oldest_dead_letter(self, flow: str, at: datetime) -> datetime | None:
        """See :meth:`FlowSignals.oldest_dead_letter`."""
        self._check(flow)
        with self._lock:
            waiting = [d.at for d in self._dead if d.flow == flow and d.at <= at
                       and (d.replayed_at is None or d.replayed_at > at)]
        return min(waiting, default=None)
