"""A flow's rollup over some time: what the rollup tables hold, as a frozen value that adds up.

:class:`Rollup` has one field per rollup column (:data:`slo.rollup_sql.ROLLUP_COLUMNS`; see
that module for what each counts). Reads fetch rollup rows, the partial minutes at their edges
and merge them into one :class:`Rollup` per segment with :meth:`Rollup.merge`, the Python twin
of :data:`slo.rollup_sql.MERGE`; the figures (SLIs, latency, health, cost usage) are then pure
functions of Rollup values. Arrays merge element-wise (a shorter one counts zeros, or "never"
for ``step_waiting_since``), maps by key.

Pure: standard library only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any

NEVER_NS = 1 << 62


def _sum(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    longer, shorter = (a, b) if len(a) >= len(b) else (b, a)
    return tuple(x + (shorter[i] if i < len(shorter) else 0) for i, x in enumerate(longer))


def _min(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    longer, shorter = (a, b) if len(a) >= len(b) else (b, a)
    return tuple(min(x, shorter[i]) if i < len(shorter) else x for i, x in enumerate(longer))


def _add_maps(a: Mapping[int, int], b: Mapping[int, int]) -> Mapping[int, int]:
    merged = dict(a)
    for key, n in b.items():
        merged[key] = merged.get(key, 0) + n
    return MappingProxyType(merged)


def _empty() -> Mapping[int, int]:
    return MappingProxyType({})


@dataclass(frozen=True)
class Rollup:
    """Sums over a flow and a stretch of time (see :mod:`slo.rollup_sql` for each field)."""

    entered: int = 0
    succeeded: int = 0
    failed: int = 0
    first_pass: int = 0
    errors: int = 0
    step_entered: tuple[int, ...] = ()
    step_left: tuple[int, ...] = ()
    step_waiting: tuple[int, ...] = ()
    step_retried: tuple[int, ...] = ()
    step_retries: tuple[int, ...] = ()
    step_dead: tuple[int, ...] = ()
    step_waiting_since: tuple[int, ...] = ()
    started: int = 0
    valid: tuple[int, ...] = ()
    good_runs: tuple[int, ...] = ()
    bad_steps: Mapping[int, int] = field(default_factory=_empty)
    flow_times: int = 0
    flow_time_hist: Mapping[int, int] = field(default_factory=_empty)
    step_times: tuple[int, ...] = ()
    step_time_hist: Mapping[int, int] = field(default_factory=_empty)
    step_waits: tuple[int, ...] = ()
    step_wait_hist: Mapping[int, int] = field(default_factory=_empty)
    dead_letters: int = 0
    replays: int = 0
    open_dead: int = 0
    items: int = 0
    item_errors: int = 0
    calls: tuple[int, ...] = ()
    spans: tuple[int, ...] = ()
    cpu_ns: tuple[int, ...] = ()
    step_errors: tuple[int, ...] = ()
    partner_calls: tuple[int, ...] = ()

    def merge(self, other: Rollup) -> Rollup:
        """This rollup and ``other`` together (sums; earliest waiting arrival)."""
        values: dict[str, Any] = {}
        for f in fields(self):
            a, b = getattr(self, f.name), getattr(other, f.name)
            if f.name == "step_waiting_since":
                values[f.name] = _min(a, b)
            elif isinstance(a, tuple):
                values[f.name] = _sum(a, b)
            elif isinstance(a, Mapping):
                values[f.name] = _add_maps(a, b)
            else:
                values[f.name] = a + b
        return Rollup(**values)

    def valid_in(self, mode: int) -> int:
        """Runs that became determinate in mode ``mode``."""
        return self.valid[mode] if mode < len(self.valid) else 0

    def good_in(self, mode: int) -> int:
        """Good runs among :meth:`valid_in`."""
        return self.good_runs[mode] if mode < len(self.good_runs) else 0

    def bad_by_step(self, mode: int) -> dict[int, int]:
        """Bad runs of mode ``mode`` by the 1-based step they were attributed to (0: none)."""
        found: dict[int, int] = {}
        for key, n in self.bad_steps.items():
            m, step = divmod(int(key), 65536)
            if m == mode and n:
                found[step] = found.get(step, 0) + int(n)
        return found


def merge_all(rollups: Sequence[Rollup]) -> Rollup:
    """Every rollup of ``rollups`` together (an empty :class:`Rollup` for none)."""
    total = Rollup()
    for r in rollups:
        total = total.merge(r)
    return total


FIELD_OF = {
    "Entered": "entered", "Succeeded": "succeeded", "Failed": "failed",
    "FirstPass": "first_pass", "Errors": "errors", "StepEntered": "step_entered",
    "StepLeft": "step_left", "StepWaiting": "step_waiting", "StepRetried": "step_retried",
    "StepRetries": "step_retries", "StepDead": "step_dead",
    "StepWaitingSince": "step_waiting_since", "Started": "started", "Valid": "valid",
    "GoodRuns": "good_runs", "BadSteps": "bad_steps", "FlowTimes": "flow_times",
    "FlowTimeHist": "flow_time_hist", "StepTimes": "step_times",
    "StepTimeHist": "step_time_hist", "StepWaits": "step_waits",
    "StepWaitHist": "step_wait_hist", "DeadLetters": "dead_letters", "Replays": "replays",
    "OpenDead": "open_dead", "Items": "items", "ItemErrors": "item_errors", "Calls": "calls",
    "Spans": "spans", "CpuNs": "cpu_ns", "StepErrors": "step_errors",
    "PartnerCalls": "partner_calls",
}
"""Rollup column → :class:`Rollup` field."""


def from_row(columns: Sequence[str], row: Sequence[Any]) -> Rollup:
    """The :class:`Rollup` of one result row whose values are ``columns`` (rollup column
    names) in order; columns not given stay empty."""
    values: dict[str, Any] = {}
    for column, value in zip(columns, row, strict=True):
        name = FIELD_OF[column]
        if isinstance(value, Mapping):
            values[name] = MappingProxyType({int(k): int(v) for k, v in value.items()})
        elif isinstance(value, list | tuple):
            values[name] = tuple(int(v) for v in value)
        else:
            values[name] = int(value)
    return Rollup(**values)
