"""Joins the SLI queries of the ``slo`` room to the alert evaluator's port.

:class:`alerts.signals.FlowSignals` asks for the counts of several windows that all end at one
instant; :class:`slo.signals.WarehouseSignals` answers one ``[start, end)`` at a time from a
per-instant cache, so asking window by window costs one query per evaluation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from slo.signals import WarehouseSignals
from slo.sli import Counts, RunCounts


class AlertSignals:
    """An :class:`alerts.signals.FlowSignals` over the warehouse."""

    def __init__(self, inner: WarehouseSignals) -> None:
        self._inner = inner

    def slo_counts(
        self, flow: str, slo: str, at: datetime, starts: Sequence[datetime]
    ) -> Mapping[datetime, Counts]:
        """Good and valid runs of ``slo`` in ``[start, at)`` for every start."""
        return {start: self._inner.slo_counts(flow, slo, start, at) for start in starts}

    def run_counts(self, flow: str, start: datetime, end: datetime) -> RunCounts:
        """Runs of ``flow`` started, succeeded and failed in ``[start, end)``."""
        return self._inner.run_counts(flow, start, end)

    def oldest_dead_letter(self, flow: str, at: datetime) -> datetime | None:
        """When the oldest still dead-lettered run of ``flow`` was dead-lettered."""
        return self._inner.oldest_dead_letter(flow, at)
