"""OpenSLO v1 import: ``kind: SLO`` documents measured by flowscope, attached to catalog flows.

An OpenSLO file (one YAML stream, documents separated by ``---``) is read into
:class:`ImportedSLO` values by :func:`parse_openslo`, then attached to the named flows of an
existing :class:`~catalog.model.Catalog` by :func:`attach_slos`; :func:`import_openslo` (text)
and :func:`load_openslo` (file) do both and return a new catalog. Every problem of the file is
reported at once (:class:`~catalog.errors.CatalogValidationError`), each with its line and
column in the file and its field path inside its document; unparsable YAML raises
:class:`~catalog.errors.CatalogSyntaxError`.

Mapping (OpenSLO v1 → :class:`~catalog.model.SLOSpec`)::

    metadata.name                   → name (lowercase letters, digits, '-', '_')
    spec.indicator                  → the SLI, inline: {metadata: {name}, spec: {...}}
    spec.indicatorRef: NAME         → the SLI of the `kind: SLI` document NAME of the same file
    ratioMetric (success rate)      → latency None. good/total or bad/total, every metricSource
                                      {type: flowscope, spec: {flow: FLOW, runs: R}} naming
                                      one flow, with R = success (good), failure (bad) or
                                      all (total: every determinate run); `counter: true` or
                                      no counter
    thresholdMetric (latency)       → latency = LatencySpec(objective `value`), from
                                      metricSource {type: flowscope,
                                      spec: {flow: FLOW, metric: flow_time[, unit: U]}} and the
                                      objective's `op: lte` and `value`: a duration (500ms,
                                      2m), or a number in the declared unit U (ms, s, m, h);
                                      > 0, whole milliseconds. A run is good when
                                      success - start <= value. A bare number without a
                                      declared unit is refused (:mod:`catalog.openslo_threshold`)
    timeWindow [{duration: 30d, isRolling: true}]
                                    → period 30d (units m, h, d, w)
    timeWindow [{duration: 1M, calendar: {startTime: 2026-01-01 00:00:00,
                 timeZone: Europe/Berlin}}]
                                    → calendar week/month/quarter/year for 1w/1M/1Q/1Y, the
                                      timezone; startTime must begin such a period (local
                                      midnight, on a Monday for 1w, on the 1st of January,
                                      April, July or October for 1Q...), as flowscope periods
                                      follow the calendar
    budgetingMethod                 → budgeting: Occurrences → occurrences, Timeslices →
                                      timeslices, RatioTimeslices → ratio_timeslices
    objectives[0].target (0.999) or .targetPercent (99.9)
                                    → objective 99.9 (a percentage, exact)
    objectives[0].timeSliceWindow   → timeslice (`5m`, or a number of minutes); it must cut
                                      the rolling period (or, for calendar periods, a day)
                                      into whole slices
    objectives[0].timeSliceTarget   → timeslice_target (a fraction in (0, 1]; Timeslices only)

Read but not kept, as they change no number: ``metadata.displayName``, ``metadata.labels``,
``metadata.annotations``, ``spec.description``, ``spec.service`` (flowscope SLOs belong to the
flow the metric source names), an objective's ``displayName``, an empty ``alertPolicies``
(``[]`` or no value, as the specification's examples write it) and ``x-`` extension keys.
Empty documents are skipped.

Problems against the catalog (an unknown flow, a name the flow already uses) are found for
every SLO whose indicator can be read, even one with other problems, so one pass lists them all
(:func:`reference_problems`). Folders and files mixing flowscope catalogs and OpenSLO documents
are read by :mod:`catalog.sources`.

Refused, each with a message naming the field: an ``apiVersion`` other than ``openslo/v1``;
kinds other than SLO and SLI; metric sources other than ``type: flowscope``, and
``metricSourceRef``; ``raw``/``rawType`` ratios; ``counter: false``; a second objective;
composite objectives (``indicator``, ``indicatorRef``, ``compositeWeight`` in an objective);
``op``/``value`` with a ratioMetric and any ``op`` but ``lte``; ``alertPolicies`` entries;
rolling windows in M, Q or Y and calendar windows other than 1w, 1M, 1Q, 1Y; timeslice fields
the budgeting method does not use; an SLO for a flow absent from the catalog or without start
and success matchers, or with a name its flow already uses.

Pure except :func:`load_openslo` and :func:`load_openslo_slos`, which read a file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from yaml.nodes import MappingNode, Node, ScalarNode

from catalog.errors import (
    CatalogFileError,
    CatalogSyntaxError,
    CatalogValidationError,
    Problem,
)
from catalog.model import Catalog, Flow, SLOSpec
from catalog.openslo_spec import (
    BUDGETING,
    Indicator,
    Place,
    read_metadata,
    read_objective,
    read_sli_spec,
    report_at,
)
from catalog.openslo_windows import read_time_window
from catalog.reader import NULL, SpecReader
from catalog.yaml_source import compose_all, read_source

OPENSLO_V1 = "openslo/v1"
DOCUMENT_KEYS = ("apiVersion", "kind", "metadata", "spec")
SLO_SPEC_KEYS = (
    "description", "service", "indicator", "indicatorRef", "timeWindow", "budgetingMethod",
    "objectives", "alertPolicies",
)
INLINE_SLI_KEYS = ("metadata", "spec")
_ALERTING = ("flowscope alerts on multi-window burn rates from the flow's window catalog "
             "(alerting: {windows: ...} in the flowscope catalog)")
REFUSED_KINDS = {
    "DataSource": "a flowscope metric source needs no DataSource",
    "Service": "flowscope SLOs belong to the flow their metric source names",
    "AlertPolicy": _ALERTING,
    "AlertCondition": _ALERTING,
    "AlertNotificationTarget": _ALERTING,
}
KINDS = ("SLO", "SLI", *REFUSED_KINDS)
_OPENSLO_DOCUMENT = re.compile(r"^apiVersion:[ \t]*[\"']?openslo/", re.MULTILINE)


@dataclass(frozen=True)
class ImportedSLO:
    """One SLO of an OpenSLO file: the flow it is for and its model, with where the flow and
    the SLO name were written (in ``file``; for problems found when attaching it to a
    catalog)."""

    flow: str
    slo: SLOSpec
    flow_at: Place
    name_at: Place
    file: str = ""


@dataclass(frozen=True)
class SloReference:
    """Where an SLO names its flow, and its own name when readable, in ``file``: checked
    against the catalog even when the SLO has other problems, so one pass reports them all."""

    flow: str
    flow_at: Place
    name: str | None
    name_at: Place | None
    file: str


@dataclass(frozen=True)
class OpenSloRead:
    """What the OpenSLO documents of one file hold: the valid SLOs, and the flow references of
    every SLO whose indicator could be read (problems are in the reader)."""

    imported: tuple[ImportedSLO, ...]
    references: tuple[SloReference, ...]


def is_openslo(text: str) -> bool:
    """True when ``text`` has a document starting ``apiVersion: openslo/...`` (any version)."""
    return _OPENSLO_DOCUMENT.search(text) is not None


def load_openslo_slos(path: Path) -> tuple[ImportedSLO, ...]:
    """Read and validate the OpenSLO file at ``path`` (flows are not checked).

    Raises :class:`CatalogFileError`, :class:`CatalogSyntaxError` or
    :class:`CatalogValidationError`.
    """
    return parse_openslo(read_source(path, CatalogFileError), filename=str(path))


def load_openslo(path: Path, catalog: Catalog) -> Catalog:
    """``catalog`` with the SLOs of the OpenSLO file at ``path`` added to their flows."""
    return import_openslo(read_source(path, CatalogFileError), filename=str(path),
                          catalog=catalog)


def import_openslo(text: str, *, filename: str = "<string>", catalog: Catalog) -> Catalog:
    """``catalog`` with the SLOs of OpenSLO ``text`` added to their flows (after the flows'
    own SLOs, in file order); ``filename`` only names the text in problems.

    Raises :class:`CatalogSyntaxError` or :class:`CatalogValidationError` with every problem,
    those of the documents and those against the catalog's flows alike.
    """
    r, read = _read_text(text, filename)
    r.problems += reference_problems(read.references, catalog, filename=filename)
    if r.problems:
        raise CatalogValidationError(r.sorted_problems())
    return attach_slos(read.imported, catalog, filename=filename)


def parse_openslo(text: str, *, filename: str = "<string>") -> tuple[ImportedSLO, ...]:
    """The SLOs of OpenSLO ``text``, in file order, validated but not checked against flows.

    Raises :class:`CatalogSyntaxError` or :class:`CatalogValidationError` (every problem).
    """
    r, read = _read_text(text, filename)
    if r.problems:
        raise CatalogValidationError(r.sorted_problems())
    return read.imported


def _read_text(text: str, filename: str) -> tuple[SpecReader, OpenSloRead]:
    r = SpecReader(filename)
    nodes = _compose_all(text, filename)
    read = read_openslo_nodes(r, nodes)
    if not nodes:
        r.problems.append(Problem(filename, 1, 1, "", f"no OpenSLO document; expected "
                                  f"'apiVersion: {OPENSLO_V1}' documents of kind SLO"))
    return r, read


def read_openslo_nodes(r: SpecReader, nodes: Sequence[Node]) -> OpenSloRead:
    """Read the OpenSLO documents ``nodes`` of one file (``r.filename``); problems go to ``r``.

    ``indicatorRef`` names a ``kind: SLI`` document among ``nodes``.
    """
    documents = []
    for node in nodes:
        document = _document(r, node)
        if document is not None:
            documents.append(document)
    slis: dict[str, Indicator | None] = {}
    first_line: dict[str, int] = {}
    for kind, doc in documents:
        if kind == "SLI":
            named = _metadata(r, doc)
            spec = doc.get("spec")
            indicator = None if spec is None else read_sli_spec(r, spec, "spec")
            if named is None:
                continue
            name, place = named
            if name in first_line:
                report_at(r, place, f"duplicate SLI name {name!r} (first defined on line "
                                     f"{first_line[name]})")
                slis[name] = None
            else:
                first_line[name] = place.line
                slis[name] = indicator
    imported: list[ImportedSLO] = []
    references: list[SloReference] = []
    for kind, doc in documents:
        if kind == "SLO":
            item = _slo(r, doc, slis, references)
            if item is not None:
                imported.append(item)
    return OpenSloRead(tuple(imported), tuple(references))


def attach_slos(imported: Iterable[ImportedSLO], catalog: Catalog, *,
                filename: str = "<string>",
                references: Iterable[SloReference] | None = None) -> Catalog:
    """A new ``catalog`` whose flows also hold the ``imported`` SLOs.

    Raises :class:`CatalogValidationError` listing every SLO whose flow is unknown or cannot
    count runs (no start or success matcher), or whose name its flow already uses. The
    ``references`` checked default to those of ``imported``; an SLO's problems name its own
    file, else ``filename``.
    """
    imported = tuple(imported)
    if references is None:
        references = [SloReference(i.flow, i.flow_at, i.slo.name, i.name_at, i.file)
                      for i in imported]
    problems = reference_problems(references, catalog, filename=filename)
    if problems:
        raise CatalogValidationError(tuple(problems))
    added: dict[str, list[SLOSpec]] = {}
    for item in imported:
        added.setdefault(item.flow, []).append(item.slo)
    flows = tuple(replace(f, slos=(*f.slos, *added.get(f.name, ()))) for f in catalog.flows)
    return replace(catalog, flows=flows)


def reference_problems(references: Iterable[SloReference], catalog: Catalog, *,
                       filename: str = "<string>") -> list[Problem]:
    """The problems of SLOs written for ``catalog``'s flows: an unknown flow, a flow that
    cannot count runs, a name the flow already uses (in reference order)."""
    problems: list[Problem] = []
    names: dict[str, set[str]] = {f.name: {s.name for s in f.slos} for f in catalog.flows}

    def report(place: Place, file: str, message: str) -> None:
        problems.append(Problem(file or filename, place.line, place.column, place.field,
                                message))

    for ref in references:
        flow = catalog.flow(ref.flow)
        if flow is None:
            known = ", ".join(f.name for f in catalog.flows) or "none"
            report(ref.flow_at, ref.file, f"unknown flow {ref.flow!r}; flows in the catalog: "
                                          f"{known}")
        elif not _counts_runs(flow):
            report(ref.flow_at, ref.file, f"flow {flow.name!r} needs both start and success "
                                          "in the catalog to count its runs")
        elif ref.name is not None and ref.name_at is not None:
            if ref.name in names[flow.name]:
                report(ref.name_at, ref.file, f"flow {flow.name!r} already has an SLO named "
                                              f"{ref.name!r}")
            names[flow.name].add(ref.name)
    return problems


def _counts_runs(flow: Flow) -> bool:
    return all(m.events or m.service or m.span for m in (flow.start, flow.success))


def _compose_all(text: str, filename: str) -> list[Node]:
    """The non-empty documents of the stream; YAML errors become :class:`CatalogSyntaxError`."""
    nodes = compose_all(text, filename, CatalogSyntaxError)
    return [n for n in nodes if not (isinstance(n, ScalarNode) and n.tag == NULL)]


def _document(r: SpecReader, node: Node) -> tuple[str, dict[str, Node]] | None:
    """``(kind, top-level values)`` of an ``openslo/v1`` SLO or SLI document; else problems."""
    f = r.mapping(node, "", allowed=DOCUMENT_KEYS)
    if f is None:
        return None
    version = f.read("apiVersion", r.text)
    if "apiVersion" not in f:
        r.report(node, "apiVersion", f"is required: apiVersion: {OPENSLO_V1}")
    elif version is not None and version != OPENSLO_V1:
        r.report(f.node("apiVersion") or node, "apiVersion",
                 f"unsupported version {version!r}; supported versions: {OPENSLO_V1}")
        return None
    kind = f.read("kind", lambda n, p: r.choice(n, p, KINDS))
    if "kind" not in f:
        r.report(node, "kind", "is required: kind: SLO (or SLI)")
    elif kind in REFUSED_KINDS:
        r.report(f.node("kind") or node, "kind", f"kind {kind} is not imported: "
                 f"{REFUSED_KINDS[kind]}; only SLO and SLI documents are")
        return None
    for key in ("metadata", "spec"):
        if key not in f:
            r.report(node, key, "is required")
    if version is None or kind is None:
        return None
    return kind, {key: value for key in DOCUMENT_KEYS if (value := f.node(key)) is not None}


def _metadata(r: SpecReader, doc: dict[str, Node]) -> tuple[str, Place] | None:
    node = doc.get("metadata")
    return None if node is None else read_metadata(r, node, "metadata")


def _slo(r: SpecReader, doc: dict[str, Node], slis: dict[str, Indicator | None],
         references: list[SloReference]) -> ImportedSLO | None:
    before = len(r.problems)
    named = _metadata(r, doc)
    spec = doc.get("spec")
    f = None if spec is None else r.mapping(
        spec, "spec", allowed=SLO_SPEC_KEYS, required=("budgetingMethod", "objectives"))
    if f is None:
        return None
    f.read("description", r.text)
    f.read("service", r.text)
    indicator = _indicator(r, f.node("indicator"), f.node("indicatorRef"), f.mapping, slis)
    if indicator is not None:
        references.append(SloReference(
            indicator.flow, indicator.flow_at, named[0] if named else None,
            named[1] if named else None, r.filename))
    window = read_time_window(r, f.node("timeWindow"), f.mapping)
    method = f.read("budgetingMethod", lambda n, p: r.choice(n, p, tuple(BUDGETING)))
    budgeting = None if method is None else BUDGETING[method]
    objective = f.read("objectives", lambda n, p: read_objective(
        r, n, p, indicator, budgeting, window))
    policies = f.node("alertPolicies")
    if policies is not None and not (isinstance(policies, ScalarNode) and policies.tag == NULL):
        entries = r.sequence(policies, "spec.alertPolicies")
        if entries:
            r.report(policies, "spec.alertPolicies", f"alert policies are not imported: "
                     f"{_ALERTING}; leave alertPolicies out or empty")
    if (len(r.problems) > before or named is None or indicator is None or window is None
            or budgeting is None or objective is None):
        return None
    name, name_at = named
    slo = SLOSpec(
        name=name, objective=objective.objective, period=window.period,
        calendar=window.calendar, timezone=window.timezone, latency=objective.latency,
        budgeting=budgeting, timeslice=objective.timeslice,
        timeslice_target=objective.timeslice_target,
    )
    return ImportedSLO(flow=indicator.flow, slo=slo, flow_at=indicator.flow_at, name_at=name_at,
                       file=r.filename)


def _indicator(r: SpecReader, inline: Node | None, ref: Node | None, spec: MappingNode,
               slis: dict[str, Indicator | None]) -> Indicator | None:
    """The SLI of an SLO: ``spec.indicator`` inline or ``spec.indicatorRef`` by name."""
    if inline is not None and ref is not None:
        r.report(ref, "spec.indicatorRef", "give indicator or indicatorRef, not both")
        return None
    if inline is not None:
        f = r.mapping(inline, "spec.indicator", allowed=INLINE_SLI_KEYS, required=("spec",))
        if f is None:
            return None
        f.read("metadata", lambda n, p: read_metadata(r, n, p))
        return f.read("spec", lambda n, p: read_sli_spec(r, n, p))
    if ref is not None:
        name = r.text(ref, "spec.indicatorRef")
        if name is not None and name not in slis:
            known = f"SLIs here: {', '.join(sorted(slis))}" if slis else "it has none"
            r.report(ref, "spec.indicatorRef", f"no kind: SLI document named {name!r} in this "
                     f"file ({known})")
        return None if name is None else slis.get(name)
    r.report(spec, "spec.indicator", "is required: give indicator (an inline SLI) or "
             "indicatorRef (the name of a kind: SLI document in this file)")
    return None
