"""The import graph of flowscope's rooms, read from the source (an AST walk, nothing imported).

Every ``import`` and ``from ... import`` of every module counts, at module level, inside
functions and under ``if TYPE_CHECKING:`` alike: a lazy import is still an arrow between rooms.
A module's room is the longest name in :data:`ROOMS` it starts with (``flowscope.cli.slo`` is
in ``flowscope.cli``; ``flowscope.app`` in ``flowscope``), except the entry points of
:data:`MODULE_ROOMS`.

Run it to print the graph, the module cycles and the line count of every room::

    .venv/bin/python -m tests.architecture.import_graph
"""

from __future__ import annotations

import ast
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
"""The repository."""

SUB_ROOMS = ("flowscope.cli", "flowscope.demo", "flowscope.access")
"""The sub-rooms of ``flowscope`` (counted as rooms once they are packages)."""
ROOMS = (
    "flowscope", *(r for r in SUB_ROOMS if (ROOT / r.replace(".", "/")).is_dir()),
    "catalog", "collector", "warehouse", "slo", "cost", "alerts", "dashboards", "bench",
)
"""Rooms (top-level packages) and the sub-rooms of ``flowscope`` that are packages."""
MODULE_ROOMS = {"flowscope.__main__": "flowscope.cli"}
"""Modules in another room than their folder's: ``python -m flowscope`` runs the command line."""


@dataclass(frozen=True)
class Import:
    """One imported name: ``source`` imports ``target`` (both module names) at ``line``."""

    source: str
    target: str
    line: int


def module_name(path: Path) -> str:
    """``flowscope/cli/common.py`` → ``flowscope.cli.common``; a package's ``__init__`` is the
    package."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    """Every module of the top-level rooms, by name."""
    found: dict[str, Path] = {}
    for room in sorted({r.split(".")[0] for r in ROOMS}):
        for path in sorted((ROOT / room).rglob("*.py")):
            found[module_name(path)] = path
    return found


def room_of(module: str) -> str | None:
    """The room of ``module`` (the longest matching name of :data:`ROOMS`), or None when it is
    not ours (the standard library, a dependency)."""
    if module in MODULE_ROOMS and MODULE_ROOMS[module] in ROOMS:
        return MODULE_ROOMS[module]
    matches = [r for r in ROOMS if module == r or module.startswith(r + ".")]
    return max(matches, key=len) if matches else None


def _resolve(name: str, known: Mapping[str, Path]) -> str:
    """The deepest known module ``name`` names (``pkg.module.Class`` → ``pkg.module``)."""
    while name and name not in known and "." in name:
        name = name.rsplit(".", 1)[0]
    return name


def imports_of(module: str, path: Path, known: Mapping[str, Path]) -> Iterator[Import]:
    """The imports of one module, each resolved to the module it reaches."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, _resolve(alias.name, known), node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                yield Import(module, _resolve(f"{base}.{alias.name}", known), node.lineno)


def all_imports() -> list[Import]:
    """Every import of every module of ours that reaches another module of ours."""
    known = modules()
    return [i for name, path in known.items() for i in imports_of(name, path, known)
            if room_of(i.target) is not None and i.target != i.source]


def room_graph(found: Iterable[Import]) -> dict[str, Counter[str]]:
    """Room → rooms it imports, with how many import statements do (within a room: left out)."""
    graph: dict[str, Counter[str]] = defaultdict(Counter)
    for i in found:
        source, target = room_of(i.source), room_of(i.target)
        if source is not None and target is not None and source != target:
            graph[source][target] += 1
    return graph


def cycles(found: Iterable[Import]) -> list[list[str]]:
    """Modules importing each other, directly or around a loop (Tarjan's strongly connected
    components of more than one module), each sorted, in name order."""
    edges: dict[str, set[str]] = defaultdict(set)
    for i in found:
        edges[i.source].add(i.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10_000))
    try:
        for node in sorted(set(edges) | {t for ts in edges.values() for t in ts}):
            if node not in index:
                visit(node)
    finally:
        sys.setrecursionlimit(limit)
    return sorted(components)


def line_counts() -> dict[str, tuple[int, int]]:
    """Room → (modules, lines) of its Python files (a sub-room's files counted in it only)."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for name, path in modules().items():
        room = room_of(name)
        assert room is not None
        with path.open("rb") as handle:
            counts[room][0] += 1
            counts[room][1] += sum(1 for _ in handle)
    return {room: (n, lines) for room, (n, lines) in counts.items()}


def main() -> None:
    """Print the room graph, the module cycles and the line counts."""
    found = all_imports()
    print("room -> rooms it imports (import statements)")
    graph = room_graph(found)
    for room in ROOMS:
        if room in graph or room in line_counts():
            arrows = ", ".join(f"{t} ({n})" for t, n in sorted(graph.get(room, Counter()).items()))
            print(f"  {room:18} -> {arrows or '-'}")
    print("module cycles")
    for component in cycles(found) or [["none"]]:
        print("  " + " <-> ".join(component))
    print("lines per room (modules, lines)")
    for room, (n, lines) in sorted(line_counts().items()):
        print(f"  {room:18} {n:3} modules {lines:6,} lines")


if __name__ == "__main__":
    main()
