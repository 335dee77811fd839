"""The window catalog format (``kind: AlertWindows``) and its validation.

A window catalog is a YAML file listing the alerting tiers designed for one SLO period::

    apiVersion: flowscope/v1
    kind: AlertWindows
    description: Google SRE workbook tiers for a 30-day SLO   # optional
    period: 30d
    tiers:
      - {severity: page,   budget_percent: 2,  long_window: 1h, short_window: 5m}
      - {severity: ticket, budget_percent: 10, long_window: 3d, short_window: 6h}

``severity`` is ``page`` or ``ticket``; ``budget_percent`` the share of the period's error
budget the tier allows to be spent within ``long_window``, a number in (0, 100]; windows and
``period`` are catalog durations (``5m``, ``6h``, ``3d``, see :mod:`catalog.durations`). The
short window must be shorter than the long window, the long window no longer than the period,
and two tiers may not share the same pair of windows. Keys starting with ``x-`` are free-form
extensions. Every problem of the file is reported at once, with its line, column and field path.

Pure: composes YAML text held in memory; reading files is :mod:`slo.window_loader`'s job.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from yaml.nodes import MappingNode, Node

from catalog.errors import Problem
from catalog.reader import SpecReader
from catalog.yaml_source import compose
from slo.burn import SEVERITIES, Severity, WindowCatalog, WindowTier
from slo.errors import WindowCatalogSyntaxError, WindowCatalogValidationError

API_VERSION = "flowscope/v1"
KIND = "AlertWindows"
ROOT_KEYS = ("apiVersion", "kind", "description", "period", "tiers")
TIER_KEYS = ("severity", "budget_percent", "long_window", "short_window")
HUNDRED = Decimal(100)


def parse_window_catalog(text: str, *, name: str, filename: str = "<string>") -> WindowCatalog:
    """Validate window catalog YAML ``text`` into a :class:`~slo.burn.WindowCatalog` called
    ``name``; ``filename`` names the text in problems and becomes the catalog's ``source``.

    Raises :class:`~slo.errors.WindowCatalogSyntaxError` (not YAML) or
    :class:`~slo.errors.WindowCatalogValidationError` (every problem of the file).
    """
    root = compose(text, filename, WindowCatalogSyntaxError)
    reader = SpecReader(filename)
    catalog = _read(reader, root, name)
    if reader.problems or catalog is None:
        raise WindowCatalogValidationError(reader.sorted_problems())
    return catalog


def _read(r: SpecReader, root: Node | None, name: str) -> WindowCatalog | None:
    if root is None:
        r.problems.append(Problem(r.filename, 1, 1, "", f"the window catalog is empty; it must "
                                  f"be a mapping with 'apiVersion: {API_VERSION}' and "
                                  f"'kind: {KIND}'"))
        return None
    f = r.mapping(root, "", allowed=ROOT_KEYS, required=("apiVersion", "kind", "period", "tiers"))
    if f is None:
        return None
    version = f.read("apiVersion", r.text)
    version_node = f.node("apiVersion")
    if version is not None and version_node is not None and version != API_VERSION:
        r.report(version_node, "apiVersion",
                 f"unsupported version {version!r}; supported versions: {API_VERSION}")
    kind = f.read("kind", r.text)
    kind_node = f.node("kind")
    if kind is not None and kind_node is not None and kind != KIND:
        r.report(kind_node, "kind", f"must be {KIND}, got {kind!r}")
    description = f.read("description", r.text)
    period = f.read("period", r.duration)
    tiers_node = f.node("tiers")
    limit = None if period is None else (period, _field_text(root, "period"))
    tiers = None if tiers_node is None else _tiers(r, tiers_node, limit)
    if period is None or tiers is None or r.problems:
        return None
    return WindowCatalog(name=name, period=period, tiers=tiers, description=description or "",
                         source=r.filename)


def _tiers(r: SpecReader, node: Node, period: tuple[timedelta, str] | None
           ) -> tuple[WindowTier, ...] | None:
    entries = r.sequence(node, "tiers")
    if entries is None:
        return None
    if not entries:
        r.report(node, "tiers", "must list at least one tier")
        return None
    tiers: list[WindowTier | None] = []
    first: dict[tuple[timedelta, timedelta], int] = {}
    for item, path in entries:
        tier = _tier(r, item, path, period)
        tiers.append(tier)
        if tier is None:
            continue
        pair = (tier.long_window, tier.short_window)
        if pair in first:
            r.report(item, path, f"tier repeats the windows of tiers[{first[pair]}] (long "
                     f"{_field_text(item, 'long_window')}, short "
                     f"{_field_text(item, 'short_window')})")
        else:
            first[pair] = len(tiers) - 1
    complete = [t for t in tiers if t is not None]
    return tuple(complete) if len(complete) == len(tiers) else None


def _tier(r: SpecReader, node: Node, path: str, period: tuple[timedelta, str] | None
          ) -> WindowTier | None:
    """One tier; ``period`` is the catalog's period and its text, when it is valid."""
    f = r.mapping(node, path, allowed=TIER_KEYS, required=TIER_KEYS)
    if f is None:
        return None
    severity = f.read("severity", lambda n, p: r.choice(n, p, SEVERITIES))
    percent = f.read("budget_percent", r.number)
    percent_node = f.node("budget_percent")
    if percent is not None and percent_node is not None and not 0 < percent <= HUNDRED:
        r.report(percent_node, f.field("budget_percent"),
                 f"must be a percentage above 0 and at most 100, got {percent}")
        percent = None
    long_window = f.read("long_window", r.duration)
    short_window = f.read("short_window", r.duration)
    short_node = f.node("short_window")
    if (long_window is not None and short_window is not None and short_node is not None
            and short_window >= long_window):
        r.report(short_node, f.field("short_window"),
                 f"must be shorter than the long window "
                 f"{_field_text(node, 'long_window')}, got {_field_text(node, 'short_window')}")
        short_window = None
    long_node = f.node("long_window")
    if (long_window is not None and long_node is not None and period is not None
            and long_window > period[0]):
        r.report(long_node, f.field("long_window"),
                 f"must not be longer than the period {period[1]}, "
                 f"got {_field_text(node, 'long_window')}")
        long_window = None
    if severity is None or percent is None or long_window is None or short_window is None:
        return None
    chosen: Severity = "page" if severity == "page" else "ticket"
    return WindowTier(severity=chosen, long_window=long_window, short_window=short_window,
                      budget_share=percent / HUNDRED)


def _field_text(node: Node, key: str) -> str:
    if isinstance(node, MappingNode):
        for key_node, value in node.value:
            if key_node.value == key:
                return str(value.value).strip()
    return "?"
