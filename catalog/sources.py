"""The catalog ``--catalog`` names: a YAML file, or a folder of them, mixing spec documents.

A folder contributes its ``*.yaml`` and ``*.yml`` files (not those of sub-folders) in name
order; hidden files are skipped. Every file may hold several documents (``---``), each either
a flowscope catalog (``apiVersion: flowscope/v1``: flows, redaction rules) or an OpenSLO v1
document (``apiVersion: openslo/...``: ``kind: SLO`` or ``SLI``, :mod:`catalog.openslo`);
alert window catalogs (``kind: AlertWindows``) may sit beside them and are left to the SLO
engine, which finds them by name in the catalog's folder (:func:`catalog_dir`). The
catalogs combine in file and document order (a flow or a redaction key defined twice is a
problem naming where it came first); the OpenSLO SLOs are then added to the flows their
metric sources name, after each flow's own SLOs, and served like them: evaluated, alerted on,
shown.

:func:`read_sources` never raises for a bad catalog: it returns every problem of every file,
those of the documents and those of the SLOs against the flows, in one pass.
:func:`load_catalog_sources` raises them as one :class:`~catalog.errors.CatalogError`.

Pure except for reading the files.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from catalog.errors import (
    CatalogError,
    CatalogFileError,
    CatalogSyntaxError,
    CatalogValidationError,
    Problem,
)
from catalog.model import Catalog, Flow, RedactionRule
from catalog.openslo import (
    ImportedSLO,
    SloReference,
    attach_slos,
    read_openslo_nodes,
    reference_problems,
)
from catalog.reader import NULL, STR, SpecReader, join
from catalog.spec import read_catalog_document
from catalog.yaml_source import compose_all, read_source

SUFFIXES = (".yaml", ".yml")
"""File names a catalog folder contributes."""


@dataclass(frozen=True)
class CatalogSources:
    """What a catalog file or folder holds.

    ``catalog`` is the combined catalog with the OpenSLO SLOs attached (``None`` when there are
    problems, or when only OpenSLO documents were found and no flows to check them against);
    ``imported`` the SLOs from OpenSLO documents, valid on their own; ``formats`` the spec
    versions found (``flowscope/v1``, ``openslo/v1``), in order of first appearance.
    """

    files: tuple[Path, ...]
    catalog: Catalog | None
    imported: tuple[ImportedSLO, ...] = ()
    problems: tuple[Problem, ...] = ()
    formats: tuple[str, ...] = field(default=())


def load_catalog_sources(path: Path) -> Catalog:
    """The catalog of the file or folder at ``path``, with its OpenSLO SLOs attached.

    Raises :class:`CatalogFileError` when nothing can be read, else
    :class:`CatalogValidationError` (or :class:`CatalogSyntaxError` for a single unparsable
    file) with every problem found.
    """
    sources = read_sources(path, require_flows=True)
    if sources.problems or sources.catalog is None:
        raise _error(sources.problems)
    return sources.catalog


def read_sources(path: Path, *, base: Catalog | None = None,
                 require_flows: bool = False) -> CatalogSources:
    """Read every document of the file or folder at ``path``.

    ``base`` (e.g. ``flowscope check --catalog``) contributes flows before those found.
    OpenSLO SLOs with no flows to attach to are a problem when ``require_flows``; otherwise
    they are only validated (``catalog`` stays ``None``).
    """
    files, problems = _files(path)
    catalogs: list[Catalog] = [base] if base is not None else []
    given = ("the catalog given", 0)
    written: dict[str, dict[str, tuple[str, int]]] = {
        "flows": {f.name: given for f in base.flows} if base else {},
        "redaction": {rule.key: given for rule in base.redaction} if base else {},
    }
    imported: list[ImportedSLO] = []
    references: list[SloReference] = []
    formats: list[str] = []
    for file in files:
        r = SpecReader(str(file))
        try:
            nodes = [n for n in compose_all(read_source(file, CatalogFileError), r.filename,
                                            CatalogSyntaxError)
                     if not (isinstance(n, ScalarNode) and n.tag == NULL)]
        except CatalogError as exc:
            problems += exc.problems
            continue
        openslo = [n for n in nodes if _is_openslo(n)]
        documents = [n for n in nodes if not _is_openslo(n) and not _is_windows(n)]
        if not nodes and len(files) == 1:
            read_catalog_document(r, None)  # the same problem as an empty catalog file
        for node in documents:
            for section, key in (("flows", "name"), ("redaction", "key")):
                _check_repeats(r, node, section, key, written[section])
            document = SpecReader(r.filename)  # a document is read on its own problems
            catalog = read_catalog_document(document, node)
            r.problems += document.problems
            if catalog is not None:
                catalogs.append(catalog)
        if documents:
            formats.append("flowscope/v1")
        if openslo:
            formats.append("openslo/v1")
            read = read_openslo_nodes(r, openslo)
            imported += read.imported
            references += read.references
        problems += r.sorted_problems()
    combined = _combine(catalogs) if catalogs else None
    if combined is not None:
        # flows written in a document that has problems are not unknown: they are broken
        broken = set(written["flows"]) - {f.name for f in combined.flows}
        problems += reference_problems([ref for ref in references if ref.flow not in broken],
                                       combined)
    elif references and require_flows and "flowscope/v1" not in formats:
        problems.append(Problem(str(path), 0, 0, "", "OpenSLO SLOs need the flows they "
                                "measure: add a flowscope/v1 catalog to the file or folder"))
    order = {str(f): i for i, f in enumerate(files)}
    problems.sort(key=lambda p: (order.get(p.file, -1), p.line, p.column))
    catalog = None
    if combined is not None and not problems:
        catalog = attach_slos(imported, combined, references=())
    return CatalogSources(tuple(files), catalog, tuple(imported), tuple(problems),
                          tuple(dict.fromkeys(formats)))


def _files(path: Path) -> tuple[list[Path], list[Problem]]:
    if not path.is_dir():
        return [path], []
    try:
        files = sorted(p for p in path.iterdir()
                       if p.suffix in SUFFIXES and not p.name.startswith(".") and p.is_file())
    except OSError as exc:
        return [], [Problem(str(path), 0, 0, "", f"cannot read: {exc.strerror or exc}")]
    if not files:
        return [], [Problem(str(path), 0, 0, "", "the folder holds no .yaml or .yml file")]
    return files, []


def catalog_dir(path: Path) -> Path:
    """The folder a catalog path names or lives in: where its window catalogs are looked up."""
    resolved = path.resolve()
    return resolved if resolved.is_dir() else resolved.parent


def _is_windows(node: Node) -> bool:
    kind = _scalar(node, "kind")
    return kind is not None and kind.value == "AlertWindows"


def _is_openslo(node: Node) -> bool:
    version = _scalar(node, "apiVersion")
    return version is not None and str(version.value).strip().startswith("openslo/")


def _scalar(node: Node, key: str) -> ScalarNode | None:
    if isinstance(node, MappingNode):
        for key_node, value in node.value:
            if key_node.tag == STR and key_node.value == key and isinstance(value, ScalarNode):
                return value
    return None


def _entries(node: Node, section: str, key: str) -> Iterator[tuple[str, ScalarNode]]:
    """``(path, value node)`` of ``key`` in every item of the ``section`` list of a document."""
    items = next((v for k, v in node.value if k.value == section), None) if isinstance(
        node, MappingNode) else None
    if isinstance(items, SequenceNode):
        for i, item in enumerate(items.value):
            value = _scalar(item, key)
            if value is not None:
                yield join(f"{section}[{i}]", key), value


def _check_repeats(r: SpecReader, node: Node, section: str, key: str,
                   seen: dict[str, tuple[str, int]]) -> None:
    """Report a flow name (or redaction key) an earlier document already defined; repeats
    inside one document are the spec's to report."""
    own: set[str] = set()
    what = "flow" if section == "flows" else "redaction rule for"
    for path, value_node in _entries(node, section, key):
        value = str(value_node.value).strip()
        if value in seen and value not in own:
            file, line = seen[value]
            where = file if not line else f"{file} line {line}"
            r.report(value_node, path, f"{what} {value!r} is already defined in {where}")
        elif value not in seen:
            seen[value] = (r.filename, value_node.start_mark.line + 1)
            own.add(value)


def _combine(catalogs: list[Catalog]) -> Catalog:
    flows: list[Flow] = []
    names: set[str] = set()
    redaction: list[RedactionRule] = []
    keys: set[str] = set()
    for catalog in catalogs:
        flows += [f for f in catalog.flows if f.name not in names]
        names |= {f.name for f in catalog.flows}
        redaction += [rule for rule in catalog.redaction if rule.key not in keys]
        keys |= {rule.key for rule in catalog.redaction}
    return replace(catalogs[0], flows=tuple(flows), redaction=tuple(redaction))


def _error(problems: tuple[Problem, ...]) -> CatalogError:
    if len(problems) == 1 and problems[0].message.startswith("cannot read"):
        return CatalogFileError(problems)
    if len(problems) == 1 and problems[0].message.startswith("invalid YAML"):
        return CatalogSyntaxError(problems)
    return CatalogValidationError(problems)
