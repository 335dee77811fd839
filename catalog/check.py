"""What ``flowscope check FILE`` reports: OK with a summary of the catalog, or its problems.

A file with an ``apiVersion: openslo/...`` document is checked as an OpenSLO import
(:mod:`catalog.openslo`): its SLOs are listed, and checked against the flows of a catalog when
one is given.

:func:`check_file` never raises for a bad catalog: every :class:`~catalog.errors.CatalogError`
becomes the report's ``problems``. :meth:`CheckReport.render` gives the text to print and
:meth:`CheckReport.to_dict` the ``--json`` form; the caller picks the exit status from ``ok``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from catalog.durations import format_duration
from catalog.errors import CatalogError, Problem
from catalog.model import Catalog, SLOSpec
from catalog.openslo import OPENSLO_V1, ImportedSLO, attach_slos, is_openslo, load_openslo_slos
from catalog.spec import V1, load_catalog


@dataclass(frozen=True)
class CheckReport:
    """The outcome of checking one catalog file: ``catalog`` when valid, else ``problems``.

    For an OpenSLO file, ``imported`` holds its SLOs when valid (``catalog`` stays ``None``) and
    ``flows_checked`` says whether their flows were checked against a catalog.
    """

    path: str
    catalog: Catalog | None
    problems: tuple[Problem, ...] = ()
    imported: tuple[ImportedSLO, ...] | None = None
    flows_checked: bool = False

    @property
    def ok(self) -> bool:
        """True when the catalog (or OpenSLO file) loaded with no problem."""
        return (self.catalog is not None or self.imported is not None) and not self.problems

    @property
    def flows(self) -> int:
        """Number of flows (0 when the catalog is invalid); for OpenSLO, of flows named."""
        if self.imported is not None:
            return len(self._imported_flows())
        return len(self.catalog.flows) if self.catalog else 0

    @property
    def slos(self) -> int:
        """Number of SLOs over all flows."""
        if self.imported is not None:
            return len(self.imported)
        return sum(len(f.slos) for f in self.catalog.flows) if self.catalog else 0

    def _imported_flows(self) -> list[str]:
        return list(dict.fromkeys(item.flow for item in self.imported or ()))

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
        if self.ok and self.imported is not None:
            checked = "" if self.flows_checked else " (flows not checked: no catalog given)"
            return "\n".join([f"OK {self.path}: OpenSLO v1, {_count(self.slos, 'SLO')} for "
                              f"{_count(self.flows, 'flow')}{checked}",
                              *(f"  {i.flow}/{i.slo.name}: {_describe(i.slo)}"
                                for i in self.imported)])
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
        flow_names = (self._imported_flows() if self.imported is not None
                      else [f.name for f in self.catalog.flows] if self.catalog else [])
        return {
            "path": self.path,
            "format": OPENSLO_V1 if self.imported is not None else V1,
            "ok": self.ok,
            "flows": self.flows,
            "slos": self.slos,
            "steps": self.steps,
            "redaction_rules": self.redaction_rules,
            "flow_names": flow_names,
            "problems": [
                {"file": p.file, "line": p.line, "column": p.column, "field": p.field,
                 "message": p.message}
                for p in self.problems
            ],
        }


def check_file(path: Path, catalog: Catalog | None = None) -> CheckReport:
    """Load the catalog at ``path`` and report on it; never raises for a bad catalog.

    An OpenSLO file is validated as an import; its flows are checked against ``catalog``
    when one is given.
    """
    if _is_openslo_file(path):
        return _check_openslo(path, catalog)
    try:
        catalog = load_catalog(path)
    except CatalogError as exc:
        return CheckReport(path=str(path), catalog=None, problems=exc.problems)
    return CheckReport(path=str(path), catalog=catalog)


def _is_openslo_file(path: Path) -> bool:
    try:
        return is_openslo(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return False  # load_catalog reports why the file cannot be read


def _check_openslo(path: Path, catalog: Catalog | None) -> CheckReport:
    try:
        imported = load_openslo_slos(path)
        if catalog is not None:
            attach_slos(imported, catalog, filename=str(path))
    except CatalogError as exc:
        return CheckReport(path=str(path), catalog=None, problems=exc.problems)
    return CheckReport(path=str(path), catalog=None, imported=imported,
                       flows_checked=catalog is not None)


def _describe(slo: SLOSpec) -> str:
    """``99.9% of runs within 2m over 30d rolling, timeslices of 5m at 0.95``."""
    within = f" of runs within {format_duration(slo.latency.threshold)}" if slo.latency else ""
    period = (f"{format_duration(slo.period)} rolling" if slo.period is not None
              else f"each calendar {slo.calendar} in {slo.timezone}")
    budgeting = slo.budgeting.replace("_", " ")
    if slo.timeslice is not None:
        budgeting += f" of {format_duration(slo.timeslice)}"
    if slo.timeslice_target is not None:
        budgeting += f" at {slo.timeslice_target}"
    return f"{slo.objective}%{within} over {period}, {budgeting}"


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
