"""What ``flowscope check PATH`` reports: OK with a summary of the catalog, or its problems.

``PATH`` is what ``--catalog`` takes (:mod:`catalog.sources`): a file or a folder, mixing
flowscope catalogs and OpenSLO documents. SLOs imported from OpenSLO are listed with their
objective, window and budgeting; with no flowscope catalog among them (nor one given with
``--catalog``) their flows are not checked.

:func:`check_file` never raises for a bad catalog: every :class:`~catalog.errors.CatalogError`
becomes the report's ``problems``. :meth:`CheckReport.render` gives the text to print and
:meth:`CheckReport.to_dict` the ``--json`` form; the caller picks the exit status from ``ok``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from catalog.durations import format_duration
from catalog.errors import Problem
from catalog.model import Catalog, SLOSpec
from catalog.openslo import OPENSLO_V1, ImportedSLO
from catalog.sources import read_sources
from catalog.spec import V1


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
    format: str = V1
    """``flowscope/v1``, ``openslo/v1``, or ``mixed`` when both kinds of document were found."""
    files: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the catalog (or OpenSLO file) loaded with no problem."""
        return (self.catalog is not None or self.imported is not None) and not self.problems

    @property
    def flows(self) -> int:
        """Number of flows (0 when the catalog is invalid); for OpenSLO alone, of flows named."""
        if self.catalog is None and self.imported is not None:
            return len(self._imported_flows())
        return len(self.catalog.flows) if self.catalog else 0

    @property
    def slos(self) -> int:
        """Number of SLOs over all flows, imported ones included."""
        if self.catalog is None and self.imported is not None:
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
        if self.ok and self.catalog is None and self.imported is not None:
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
            searched = (f", search keys {', '.join(flow.search_keys)}" if flow.search_keys
                        else "")
            operated = "".join(f", {name} via ${target.secret_env}" for name, target in (
                ("replay", flow.replay), ("pause", flow.pause)) if target is not None)
            lines.append(f"  {flow.name}: key {flow.correlation_key}, "
                         f"{_count(len(flow.steps), 'step')}, "
                         f"{_count(len(flow.slos), 'SLO')}{costed}{searched}{operated}")
        if self.imported:
            lines.append(f"  imported from OpenSLO: {_count(len(self.imported), 'SLO')}")
            lines += [f"    {i.flow}/{i.slo.name}: {_describe(i.slo)}" for i in self.imported]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, object]:
        """Machine-readable form for ``--json``."""
        flow_names = ([f.name for f in self.catalog.flows] if self.catalog
                      else self._imported_flows())
        return {
            "path": self.path,
            "format": self.format,
            "files": list(self.files),
            "ok": self.ok,
            "flows": self.flows,
            "slos": self.slos,
            "steps": self.steps,
            "redaction_rules": self.redaction_rules,
            "flow_names": flow_names,
            "imported": [_imported_dict(i) for i in self.imported or ()],
            "problems": [
                {"file": p.file, "line": p.line, "column": p.column, "field": p.field,
                 "message": p.message}
                for p in self.problems
            ],
        }


def check_file(path: Path, catalog: Catalog | None = None) -> CheckReport:
    """Load the catalog file or folder at ``path`` and report on it; never raises for a bad
    catalog. ``catalog`` (``--catalog``) adds flows to check OpenSLO SLOs against."""
    sources = read_sources(path, base=catalog)
    fmt = "mixed" if len(sources.formats) > 1 else (sources.formats or (V1,))[0]
    report = CheckReport(path=str(path), catalog=None, format=fmt,
                         files=tuple(str(f) for f in sources.files))
    if sources.problems:
        return replace(report, problems=sources.problems)
    if sources.formats == (OPENSLO_V1,):
        return replace(report, imported=sources.imported, flows_checked=catalog is not None)
    return replace(report, catalog=sources.catalog, imported=sources.imported or None,
                   flows_checked=True)


def _imported_dict(item: ImportedSLO) -> dict[str, object]:
    """An imported SLO for ``--json``: durations as ``30d``-style strings, numbers as text."""
    slo = item.slo
    return {
        "flow": item.flow,
        "name": slo.name,
        "file": item.file,
        "objective": str(slo.objective),
        "period": format_duration(slo.period) if slo.period is not None else None,
        "calendar": slo.calendar,
        "timezone": slo.timezone,
        "latency_threshold": (format_duration(slo.latency.threshold)
                              if slo.latency is not None else None),
        "budgeting": slo.budgeting,
        "timeslice": format_duration(slo.timeslice) if slo.timeslice is not None else None,
        "timeslice_target": str(slo.timeslice_target) if slo.timeslice_target else None,
    }


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
