"""What the run ledger needs to know about a flow, and the fingerprint that says when to rebuild.

The run ledger (:mod:`slo.ledger_sql`, :mod:`slo.ledger`) stores per run and minute the facts
every read needs (when the run started, became determinate for each SLO mode, reached each
step...). Those facts depend on part of the catalog: the start/success span matchers, whether a
dead letter fails the run, the distinct latency thresholds (the **modes**), and the steps with
their partners. :class:`LedgerRules` is exactly that part, and :attr:`LedgerRules.fingerprint`
changes when (and only when) it changes: then the flow's ledger is rebuilt. Objectives,
periods, windows, maintenance, costs and prices are applied when reading, so changing them
needs no rebuild.

Mode 0 is the flow's success-rate view (determinate at the first terminal item); mode ``k >=
1`` evaluates the ``k``-th distinct latency threshold, ascending (as :mod:`slo.sli_query` did).

Pure: standard library, :mod:`catalog.model` and :mod:`slo.runs` only.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta

from catalog.model import Flow
from slo.runs import OperationMatch, operation_key, span_match, step_match

LEDGER_VERSION = 2
"""Bumped when the ledger's own computation changes, so every flow is rebuilt once."""

MAX_STEPS = 63
"""Most steps a flow's ledger follows (a step set travels as a 64-bit mask); later steps are
left out of per-step figures."""


@dataclass(frozen=True)
class LedgerRules:
    """The catalog facts of one flow that shape its ledger rows (see the module docstring).

    ``steps`` are the steps' operation matches in catalog order (at most
    :data:`MAX_STEPS`); ``step_partners`` gives each step's 1-based position in ``partners``
    (0: no partner); ``partners`` are the distinct partner names in order of first use;
    ``step_names`` name the steps (for readers; renaming a step needs no rebuild).
    """

    name: str
    start_spans: OperationMatch | None = None
    success_spans: OperationMatch | None = None
    dead_letter_fails: bool = False
    thresholds: tuple[timedelta, ...] = ()
    steps: tuple[OperationMatch, ...] = ()
    step_partners: tuple[int, ...] = ()
    partners: tuple[str, ...] = ()
    step_names: tuple[str, ...] = ()

    @classmethod
    def of(cls, flow: Flow) -> LedgerRules:
        """The rules of a catalog flow."""
        thresholds = sorted({s.latency.threshold for s in flow.slos if s.latency is not None})
        partners: list[str] = []
        positions: list[int] = []
        for step in flow.steps:
            if step.partner and step.partner not in partners:
                partners.append(step.partner)
            positions.append(partners.index(step.partner) + 1 if step.partner else 0)
        return cls(name=flow.name, start_spans=span_match(flow.start),
                   success_spans=span_match(flow.success),
                   dead_letter_fails=flow.failure.dead_letter, thresholds=tuple(thresholds),
                   steps=tuple(step_match(s) for s in flow.steps),
                   step_partners=tuple(positions), partners=tuple(partners),
                   step_names=tuple(s.name for s in flow.steps))

    @property
    def modes(self) -> int:
        """How many modes the flow has: 1 + its distinct latency thresholds."""
        return 1 + len(self.thresholds)

    def mode(self, threshold: timedelta | None) -> int:
        """The mode of an SLO with latency ``threshold`` (0 for none). Raises
        :class:`ValueError` for a threshold not in :attr:`thresholds`."""
        return 0 if threshold is None else self.thresholds.index(threshold) + 1

    @property
    def step_count(self) -> int:
        """How many steps the ledger follows (at most :data:`MAX_STEPS`)."""
        return min(len(self.steps), MAX_STEPS)

    @property
    def fingerprint(self) -> str:
        """A short hash of everything above (and :data:`LEDGER_VERSION`): equal fingerprints
        give equal ledger rows for the same items."""
        def match(m: OperationMatch | None) -> list[str] | None:
            return None if m is None else [m.service or "", m.name or "", m.kind or ""]

        text = json.dumps({
            "v": LEDGER_VERSION, "start": match(self.start_spans),
            "success": match(self.success_spans), "dead_letter": self.dead_letter_fails,
            "thresholds": [t // timedelta(microseconds=1) for t in self.thresholds],
            "steps": [match(s) for s in self.steps], "step_partners": list(self.step_partners),
            "partners": list(self.partners)}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def masks(self, key: str) -> tuple[int, int]:
        """The steps (bit ``i`` for the ``i``-th step, from 0) and the partners (bit ``q - 1``
        for the ``q``-th partner) whose operations include operation ``key``."""
        steps = partners = 0
        for i, (match, partner) in enumerate(zip(self.steps, self.step_partners, strict=True)):
            if i < MAX_STEPS and match.matches(key):
                steps |= 1 << i
                if 0 < partner <= MAX_STEPS:
                    partners |= 1 << (partner - 1)
        return steps, partners

    def span_key(self, which: str) -> str:
        """The exact operation key of the start or success span matcher (``which``), or ``""``
        when it is absent or does not name both service and span."""
        m = self.start_spans if which == "start" else self.success_spans
        return operation_key(m.service, m.name, "span") if m and m.service and m.name else ""
