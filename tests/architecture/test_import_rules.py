"""Which room may import which, held against the source: an AST walk, nothing is imported.

:data:`MAY_IMPORT` copies the table of the design (``/work/shared/design.md``, section
*Rooms*, column "may import"), as data: change the design first, then this table, when a new
arrow is needed. ``bench/`` and ``tests/`` may import everything and are not checked.

The design's ``flowscope/`` row ("composition root: settings, ``create_app()``, the entry
point; sub-rooms ``cli/``, ``demo/``, ``access/``; nothing imports it") is made exact for its
sub-rooms: the composition root may import every room and ``access/``; ``access/`` (keys,
sessions, audit) imports no other part of ``flowscope/``; ``demo/`` talks to the server over
HTTP and reads only the settings; the command line may import everything. ``python -m
flowscope`` (``flowscope/__main__.py``) belongs to the command line.

Lazy imports inside functions and ``TYPE_CHECKING`` imports count: an arrow is an arrow.
"""

from __future__ import annotations

import pytest

from tests.architecture.import_graph import ROOMS, Import, all_imports, cycles, room_of

ROOMS_OF_OURS = ("catalog", "collector", "warehouse", "slo", "cost", "alerts", "dashboards")

MAY_IMPORT: dict[str, frozenset[str]] = {
    # the design's table
    "catalog": frozenset(),
    "collector": frozenset({"warehouse", "catalog"}),
    "warehouse": frozenset(),
    "slo": frozenset({"warehouse", "catalog"}),
    "cost": frozenset({"slo", "warehouse", "catalog"}),
    "alerts": frozenset({"slo", "cost", "catalog", "warehouse"}),
    "dashboards": frozenset({"alerts", "slo", "cost", "catalog", "warehouse"}),
    # flowscope/ and its sub-rooms
    "flowscope": frozenset({*ROOMS_OF_OURS, "flowscope.access"}),
    "flowscope.access": frozenset({"catalog", "warehouse"}),
    "flowscope.demo": frozenset({"catalog", "flowscope"}),
    "flowscope.cli": frozenset({*ROOMS_OF_OURS, "flowscope", "flowscope.access",
                                "flowscope.demo"}),
}
"""Room → the rooms it may import (its own always)."""

IMPORTS = all_imports()


def test_every_room_is_in_the_table() -> None:
    assert set(ROOMS) - {"bench"} == set(MAY_IMPORT)


@pytest.mark.parametrize("room", sorted(MAY_IMPORT))
def test_a_room_imports_only_what_the_design_allows(room: str) -> None:
    allowed = MAY_IMPORT[room] | {room}
    refused = [f"{i.source}:{i.line} imports {i.target}" for i in IMPORTS
               if room_of(i.source) == room and room_of(i.target) not in allowed]
    assert refused == []


def test_nothing_outside_flowscope_imports_it() -> None:
    def outside(i: Import) -> bool:
        source = room_of(i.source) or ""
        return source.split(".")[0] not in ("flowscope", "bench")

    assert [f"{i.source}:{i.line} imports {i.target}" for i in IMPORTS
            if outside(i) and (room_of(i.target) or "").startswith("flowscope")] == []


def test_no_modules_import_each_other() -> None:
    assert cycles(IMPORTS) == []


def test_the_walk_sees_the_arrows_the_design_draws() -> None:
    """The walk finds what is there: the composition root imports every room, and the
    dashboards read the alerts (an arrow the design allows)."""
    arrows = {(room_of(i.source), room_of(i.target)) for i in IMPORTS}
    assert {("flowscope", room) for room in ROOMS_OF_OURS} <= arrows
    assert ("dashboards", "alerts") in arrows and ("cost", "slo") in arrows
