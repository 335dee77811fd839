"""Flow runs: when a run starts, succeeds, fails and becomes determinate. Pure reference.

A **flow run** is everything sharing one correlation id within a flow. The run ledger
(:mod:`slo.ledger`, ``warehouse/schema/008_run_ledger.sql``) evaluates the rules below in SQL
(:mod:`slo.ledger_sql`) for every run as its items arrive; this module states them in Python for
tests, documentation and callers that already hold a run.

Times of a run (each the **earliest** matching item, so duplicates, late items and items stored
out of order leave the same answer):

- **start**: the first start event (its ``Outcome`` set to ``start`` at ingest from the
  catalog's ``start.events``) or the first span matching ``start.service`` / ``start.span``.
- **success**: the first success event, or the first span matching ``success.service`` /
  ``success.span``.
- **failure**: the first failure event, or the first dead-lettered item when the flow says
  ``failure.dead_letter: true``. An item is dead-lettered when its span name or event type
  matches :data:`DEAD_LETTER_PATTERN` (``OrderDeadLettered``, ``erp-sync.dlq``,
  ``dead-letter publish``).

Outcome: the **first terminal** item decides. The run succeeded when its success came strictly
before any failure; a failure at the same instant as the success wins (the run failed).

Determinate (the instant a run counts in an SLI, see :func:`determination`):

- without a latency threshold: at its first terminal item; good when it succeeded. A run
  that never succeeds nor fails never counts. The start is not needed.
- with a latency threshold ``L`` (a latency SLO): at ``min(first terminal, start + L)``; good
  when it succeeded and its **flow time** ``success - start`` is at most ``L`` (a success stamped
  before its start, clock skew, has flow time 0). A run that outlives ``start + L`` counts bad
  at ``start + L`` even if it succeeds later. A failure without a start counts bad at the
  failure; a success whose start is unknown is not determinate (its flow time is unknown), and
  counts once the start arrives.

Operation keys: the ledger's SQL matches items by ``"<service>\\x1f<name>\\x1f<kind>"``
(:func:`operation_key`; ``kind`` is ``span`` or ``event``, ``name`` the span name or event
type). Catalog steps and span matchers select keys with an :class:`OperationMatch`.

Pure: standard library and :mod:`catalog.model` only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from catalog.model import Matcher, Step

SEPARATOR = "\x1f"
"""Separates service, name and kind in an operation key (ASCII unit separator, ``char(31)``)."""

DEAD_LETTER_PATTERN = r"(?i)dead[-_. ]?letter|\bdlq\b"
"""RE2/Python regex on span names and event types that marks an item dead-lettered."""

Kind = Literal["span", "event"]


def operation_key(service: str, name: str, kind: Kind) -> str:
    """The map key of an operation: ``service``, span name or event type, and kind."""
    return f"{service}{SEPARATOR}{name}{SEPARATOR}{kind}"


def is_dead_letter(name: str) -> bool:
    """True when a span name or event type says the item was dead-lettered."""
    return re.search(DEAD_LETTER_PATTERN, name) is not None


@dataclass(frozen=True)
class OperationMatch:
    """Selects operation keys: every given part must be equal (``None`` matches anything).

    A match with neither ``service`` nor ``name`` matches nothing (an empty matcher).
    """

    service: str | None = None
    name: str | None = None
    kind: Kind | None = None

    @property
    def empty(self) -> bool:
        """True when it names neither a service nor an operation name."""
        return not self.service and not self.name

    def matches(self, key: str) -> bool:
        """True when operation ``key`` (see :func:`operation_key`) is selected."""
        if self.empty:
            return False
        service, name, kind = [*key.split(SEPARATOR), "", "", ""][:3]
        return ((not self.service or service == self.service)
                and (not self.name or name == self.name)
                and (self.kind is None or kind == self.kind))


def step_match(step: Step) -> OperationMatch:
    """The operations of a catalog step: spans and events of its service (and span name)."""
    return OperationMatch(service=step.service or None, name=step.span or None)


def span_match(matcher: Matcher) -> OperationMatch | None:
    """The spans a start/success matcher names by service and/or span, or ``None``."""
    if not matcher.service and not matcher.span:
        return None
    return OperationMatch(service=matcher.service or None, name=matcher.span or None, kind="span")


@dataclass(frozen=True)
class RunTimes:
    """The earliest start, success, failure event and dead-lettered item of a run (aware
    datetimes, ``None`` when absent)."""

    start: datetime | None = None
    success: datetime | None = None
    failure: datetime | None = None
    dead_letter: datetime | None = None


@dataclass(frozen=True)
class Terminal:
    """The first terminal item of a run: when, and whether it was the success."""

    at: datetime
    succeeded: bool


@dataclass(frozen=True)
class Determination:
    """When a run became determinate for one SLO, and whether it was good there."""

    at: datetime
    good: bool


def terminal(run: RunTimes, *, dead_letter_fails: bool) -> Terminal | None:
    """The first terminal item (success, failure, or dead letter when it fails the flow);
    a failure at the same instant as the success wins. ``None`` while the run is open."""
    failures = [t for t in (run.failure, run.dead_letter if dead_letter_fails else None)
                if t is not None]
    failure = min(failures) if failures else None
    if run.success is not None and (failure is None or run.success < failure):
        return Terminal(run.success, True)
    return None if failure is None else Terminal(failure, False)


def flow_time(run: RunTimes) -> timedelta | None:
    """``success - start`` (0 when the success is stamped before the start); ``None`` unless
    both are known."""
    if run.start is None or run.success is None:
        return None
    return max(run.success - run.start, timedelta(0))


def determination(run: RunTimes, *, threshold: timedelta | None = None,
                  dead_letter_fails: bool = False) -> Determination | None:
    """When ``run`` becomes determinate for an SLO with latency ``threshold`` (``None``: a
    success-rate SLO) and whether it is good; ``None`` when it never does (on its items so far).

    See the module docstring for the rules.
    """
    end = terminal(run, dead_letter_fails=dead_letter_fails)
    if threshold is None:
        return None if end is None else Determination(end.at, end.succeeded)
    if run.start is None:
        if end is None or end.succeeded:
            return None
        return Determination(end.at, False)
    deadline = run.start + threshold
    if end is None or end.at > deadline:
        return Determination(deadline, False)
    elapsed = flow_time(run)
    good = end.succeeded and elapsed is not None and elapsed <= threshold
    return Determination(end.at, good)
