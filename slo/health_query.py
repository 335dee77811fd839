"""Operational health of a flow over ``[start, end)``: flow in and out of each step, lag,
retries, dead letters, first-pass yield, exceptions.

Runs counted are those that **entered** in the range (their first item lies in
``[start, end)``). Per step, in catalog order (a step's operations: :func:`slo.runs.step_match`):

- ``entered``: runs that reached the step; ``left``: of those, runs that reached a later step
  or succeeded; ``waiting``: reached, not left and not failed (in flight at the step).
- ``lag_seconds``: at ``end``, how long the oldest waiting run has been at the step (since
  its first item there); ``None`` when no run waits.
- ``retried_runs``: runs in which one of the step's operations (a span name or event type)
  occurred more than once (distinct span/event ids); ``retries``: the extra attempts.
- ``dead_letters``: runs with a dead-lettered item of the step.
- ``items`` / ``errors``: spans and events of the step (each counted once), and those with an
  error status or a failure outcome, per whole minute: from the minute containing ``start``
  up to ``end``, whatever the runs.

Flow level: ``runs`` entered, ``succeeded``, ``failed`` and ``in_flight``; ``first_pass_yield``
= runs that succeeded with no retry, no dead letter and no failure event / runs entered;
``exceptions_per_1000_runs`` = their error items x 1000 / runs entered; ``dead_letter_inflow``
= runs (any) first dead-lettered within the range; ``oldest_dead_letter_age_seconds`` = at
``end``, the longest a dead-lettered run has waited without a success after its dead letter
(a replay to success ends the wait).

:func:`dead_letter_series` counts the same inflow per bucket of a range (e.g. per hour).
Both read the flow rollups (:mod:`slo.rollup_read`): the cost is the range's rows, never the
history before it. The oldest dead letter is the current one (as the data stands at the read).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from catalog.model import Flow
from slo.errors import SLOValueError
from slo.ledger import ensure_current
from slo.rings import duration_ns, from_ns, to_ns
from slo.rollup_read import oldest_open_dead_letter, read_rollups, read_window
from slo.segments import series
from warehouse.port import Warehouse

NEVER_NS = 1 << 62
_NS_PER_S = 1_000_000_000
_COLUMNS = ("Entered", "Succeeded", "Failed", "FirstPass", "Errors", "StepEntered", "StepLeft",
            "StepWaiting", "StepRetried", "StepRetries", "StepDead", "StepWaitingSince",
            "DeadLetters", "Calls", "StepErrors")


@dataclass(frozen=True)
class StepHealth:
    """Health of one step (see the module docstring)."""

    step: str
    entered: int
    left: int
    waiting: int
    lag_seconds: float | None
    retried_runs: int
    retries: int
    dead_letters: int
    items: int
    errors: int


@dataclass(frozen=True)
class FlowHealth:
    """Health of one flow over ``[start, end)`` (see the module docstring)."""

    flow: str
    start: datetime
    end: datetime
    runs: int
    succeeded: int
    failed: int
    in_flight: int
    first_pass_yield: float | None
    exceptions_per_1000_runs: float | None
    dead_letter_inflow: int
    oldest_dead_letter_age_seconds: float | None
    steps: tuple[StepHealth, ...]


def _at(values: tuple[int, ...], index: int) -> int:
    return values[index] if index < len(values) else 0


def _seconds(end_ns: int, since_ns: int | None) -> float | None:
    if since_ns is None or since_ns >= NEVER_NS or since_ns == 0:
        return None
    return max(end_ns - since_ns, 0) / _NS_PER_S


def flow_health(wh: Warehouse, flow: Flow, start: datetime, end: datetime) -> FlowHealth:
    """Health of ``flow`` over ``[start, end)`` (aware). Raises :class:`ValueError` when
    ``end`` is not after ``start``, :class:`~warehouse.errors.WarehouseError` when the
    warehouse fails."""
    if end <= start:
        raise SLOValueError(f"the range must end after it starts, got {start.isoformat()} to "
                            f"{end.isoformat()}")
    ensure_current(wh, [flow])
    end_ns = to_ns(end)
    r = read_window(wh, flow.name, to_ns(start), end_ns, _COLUMNS)
    oldest = oldest_open_dead_letter(wh, flow.name)
    steps = []
    for i, step in enumerate(flow.steps):
        steps.append(StepHealth(
            step=step.name, entered=_at(r.step_entered, i), left=_at(r.step_left, i),
            waiting=_at(r.step_waiting, i),
            lag_seconds=_seconds(end_ns, _at(r.step_waiting_since, i)),
            retried_runs=_at(r.step_retried, i), retries=_at(r.step_retries, i),
            dead_letters=_at(r.step_dead, i), items=_at(r.calls, i),
            errors=_at(r.step_errors, i)))
    runs_in = r.entered
    return FlowHealth(
        flow=flow.name, start=from_ns(to_ns(start)), end=from_ns(end_ns), runs=runs_in,
        succeeded=r.succeeded, failed=r.failed, in_flight=runs_in - r.succeeded - r.failed,
        first_pass_yield=r.first_pass / runs_in if runs_in else None,
        exceptions_per_1000_runs=r.errors * 1000 / runs_in if runs_in else None,
        dead_letter_inflow=r.dead_letters,
        oldest_dead_letter_age_seconds=_seconds(
            end_ns, oldest if oldest is not None and oldest < end_ns else None),
        steps=tuple(steps))


MAX_BUCKETS = 1_000
"""Most buckets a dead-letter series may have."""


@dataclass(frozen=True)
class DeadLetterBucket:
    """Runs first dead-lettered in ``[start, end)``."""

    start: datetime
    end: datetime
    runs: int


def dead_letter_series(wh: Warehouse, flow: Flow, start: datetime, end: datetime,
                       step: timedelta) -> tuple[DeadLetterBucket, ...]:
    """The dead-letter inflow of ``flow`` (runs, any, whose first dead-lettered item lies in
    the bucket; as :attr:`FlowHealth.dead_letter_inflow`) per bucket
    ``[start + i * step, start + (i + 1) * step)`` of ``[start, end)`` (aware; the last bucket
    ends at ``end``), one entry per bucket in order. Raises :class:`ValueError` for a reversed
    range or a step giving more than :data:`MAX_BUCKETS` buckets,
    :class:`~warehouse.errors.WarehouseError` when the warehouse fails."""
    if end <= start:
        raise SLOValueError(f"the range must end after it starts, got {start.isoformat()} to "
                            f"{end.isoformat()}")
    if step <= timedelta(0) or (end - start) / step > MAX_BUCKETS:
        raise SLOValueError(f"step must be positive and give at most {MAX_BUCKETS} buckets, got "
                            f"{step} over {end - start}")
    ensure_current(wh, [flow])
    count = -(-(end - start) // step)
    found = read_rollups(wh, {flow.name: series(to_ns(start), duration_ns(step), count,
                                                to_ns(end))}, ["DeadLetters"])
    return tuple(DeadLetterBucket(start + i * step, min(start + (i + 1) * step, end),
                                  found[(flow.name, i + 1)].dead_letters
                                  if (flow.name, i + 1) in found else 0)
                 for i in range(count))
