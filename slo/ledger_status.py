"""What the run ledger reports about itself: each flow's build progress and the follower's
backlog (frozen values), and how a build splits correlation ids into chunks. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class FlowProgress:
    """How far a flow's ledger is built: ``done`` of ``total`` steps (buckets, then the
    rollups); ``fingerprint`` of the rules it is built with."""

    flow: str
    fingerprint: str
    done: int
    total: int

    @property
    def built(self) -> bool:
        """True when every step is done."""
        return self.total > 0 and self.done >= self.total


@dataclass(frozen=True)
class LedgerStatus:
    """What :meth:`RunLedger.status` reports: flows not yet built (with progress), runs
    waiting to be followed, and the newest change applied (``None`` before any)."""

    building: tuple[FlowProgress, ...] = ()
    pending_runs: int = 0
    applied_until_ms: int | None = None

    @property
    def current(self) -> bool:
        """True when nothing is waiting."""
        return not self.building and self.pending_runs == 0

    def describe(self) -> str:
        """One line for logs, ``/readyz`` and warnings ("" when current)."""
        parts = [f"rebuilding {p.flow} ({100 * p.done // max(p.total, 1)} %)"
                 for p in self.building]
        if self.pending_runs:
            parts.append(f"{self.pending_runs} changed runs not yet applied")
        return "; ".join(parts)


def chunk_bounds(sample: Sequence[str], chunks: int) -> list[str]:
    """``chunks - 1`` increasing correlation ids splitting ``sample`` (sorted ids) into
    ``chunks`` parts of about equal size (fewer when ids repeat). Pure."""
    if chunks <= 1 or not sample:
        return []
    picked = [sample[len(sample) * i // chunks] for i in range(1, chunks)]
    return sorted(set(picked))
