"""What ``flowscope check FILE`` reports: OK with a summary of the catalog, or its problems.

:func:`check_file` never raises for a bad catalog: every :class:`~catalog.errors.CatalogError`
becomes the report's ``problems``. :meth:`CheckReport.render` gives the text to print and
:meth:`CheckReport.to_dict` the ``--json`` form; the caller picks the exit status from ``ok``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from catalog.errors import CatalogError, Problem
from catalog.model import Catalog
from catalog.spec import load_catalog


@dataclass(frozen=True)
class CheckReport:
    """The outcome of checking one catalog file: ``catalog`` when valid, else ``problems``."""

    path: str
    catalog: Catalog | None
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the catalog loaded with no problem."""
        return self.catalog is not None and not self.problems

    @property
    def flows(self) -> int:
        """Number of flows (0 when the catalog is invalid)."""
        return len(self.catalog.flows) if self.catalog else 0

    @property
    def slos(self) -> int:
        """Number of SLOs over all flows."""
        return sum(len(f.slos) for f in self.catalog.flows) if self.catalog else 0

    @property
    def steps(self) -> int:
        """Number of steps over all flows."""
        return sum(len(f.steps) for f in self.catalog.flows) if self.catalog else 0

    @property
    def redaction_rules(self) -> int:
        """Number of redaction rules."""
        return len(self.catalog.redaction) if self.catalog else 0

    def summary(self) -> str:
        """One line: ``3 flows, 6 SLOs, 10 steps, 2 redaction rules``."""
        return ", ".join(
            _count(n, word)
            for n, word in ((self.flows, "flow"), (self.slos, "SLO"), (self.steps, "step"),
                            (self.redaction_rules, "redaction rule"))
        )

    def render(self) -> str:
        """The text ``flowscope check`` prints: OK, the summary and one line per flow, or
        ``INVALID`` and one line per problem (``file:line:column: field: message``)."""
        if not self.ok or self.catalog is None:
            return "\n".join([f"INVALID {self.path}: {_count(len(self.problems), 'problem')}",
                              *(str(p) for p in self.problems)])
        lines = [f"OK {self.path}: {self.summary()}"]
        for flow in self.catalog.flows:
            costed = f", cost in {flow.cost.currency}" if flow.cost else ""
            lines.append(f"  {flow.name}: key {flow.correlation_key}, "
                         f"{_count(len(flow.steps), 'step')}, "
                         f"{_count(len(flow.slos), 'SLO')}{costed}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, object]:
        """Machine-readable form for ``--json``."""
        return {
            "path": self.path,
            "ok": self.ok,
            "flows": self.flows,
            "slos": self.slos,
            "steps": self.steps,
            "redaction_rules": self.redaction_rules,
            "flow_names": [f.name for f in self.catalog.flows] if self.catalog else [],
            "problems": [
                {"file": p.file, "line": p.line, "column": p.column, "field": p.field,
                 "message": p.message}
                for p in self.problems
            ],
        }


def check_file(path: Path) -> CheckReport:
    """Load the catalog at ``path`` and report on it; never raises for a bad catalog."""
    try:
        catalog = load_catalog(path)
    except CatalogError as exc:
        return CheckReport(path=str(path), catalog=None, problems=exc.problems)
    return CheckReport(path=str(path), catalog=catalog)


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
