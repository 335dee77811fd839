"""Reads composed YAML nodes into typed values, collecting every problem with its position.

:class:`SpecReader` never stops at the first mistake: each read that fails records a
:class:`~catalog.errors.Problem` (file, 1-based line and column, field path, message) and returns
``None``, so the spec mapping carries on and the user sees every problem of the file at once.

Keys starting with ``x-`` are extensions: allowed in every mapping and never read. YAML merge
keys (``<<: *defaults``) are honoured, explicit keys winning over merged ones.

Pure: standard library and the YAML node classes only (no parsing or I/O happens here).
"""

from __future__ import annotations

import difflib
import re
import zoneinfo
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import TypeVar
from urllib.parse import urlsplit

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from catalog.durations import parse_duration
from catalog.errors import Problem

T = TypeVar("T")

STR = "tag:yaml.org,2002:str"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
BOOL = "tag:yaml.org,2002:bool"
NULL = "tag:yaml.org,2002:null"
TIMESTAMP = "tag:yaml.org,2002:timestamp"
MERGE = "tag:yaml.org,2002:merge"

EXTENSION_PREFIX = "x-"
IDENTIFIER = re.compile(r"[a-z0-9][a-z0-9_-]*")
_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MONEY_HINT = 'money must be a quoted decimal string, e.g. "0.30"'


def join(path: str, key: str) -> str:
    """The field path of ``key`` inside ``path`` (``flows[0]`` + ``name`` → ``flows[0].name``)."""
    return f"{path}.{key}" if path else key


def describe(node: Node) -> str:
    """How a node reads in a message: ``a mapping``, ``a list``, ``null``, ``0.3 (a number)``..."""
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    if node.tag == NULL:
        return "null"
    if node.tag in (INT, FLOAT):
        return f"{node.value} (a number)"
    if node.tag == BOOL:
        return f"{node.value} (a boolean)"
    if node.tag == TIMESTAMP:
        return f"{node.value} (a date)"
    return repr(node.value)


class Fields:
    """A YAML mapping already checked against its allowed and required keys."""

    def __init__(self, reader: SpecReader, node: MappingNode, path: str, values: dict[str, Node],
                 keys: dict[str, Node]) -> None:
        self.reader = reader
        self.mapping = node
        self.path = path
        self._values = values
        self._keys = keys

    def __contains__(self, key: str) -> bool:
        return key in self._values

    def node(self, key: str) -> Node | None:
        """The value node of ``key``, or ``None`` when absent."""
        return self._values.get(key)

    def key_node(self, key: str) -> Node:
        """The key node of ``key`` (for positions), or the mapping itself when absent."""
        return self._keys.get(key, self.mapping)

    def field(self, key: str) -> str:
        """The field path of ``key``."""
        return join(self.path, key)

    def read(self, key: str, parse: Callable[[Node, str], T | None]) -> T | None:
        """``parse(value node, field path)`` when ``key`` is present, else ``None``."""
        node = self._values.get(key)
        return None if node is None else parse(node, self.field(key))


class SpecReader:
    """Typed reads of the nodes of one file; failed reads are recorded in ``problems``."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.problems: list[Problem] = []

    def report(self, node: Node, field: str, message: str) -> None:
        """Record a problem at ``node``'s start position."""
        mark = node.start_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
        self.problems.append(Problem(self.filename, line, column, field, message))

    def sorted_problems(self) -> tuple[Problem, ...]:
        """Every recorded problem, in file order (stable for problems at the same place)."""
        unique = dict.fromkeys(self.problems)  # a merged anchor may repeat one problem
        return tuple(sorted(unique, key=lambda p: (p.line, p.column)))

    # -- collections ------------------------------------------------------------------------

    def mapping(self, node: Node, path: str, *, allowed: Sequence[str],
                required: Sequence[str] = ()) -> Fields | None:
        """Check ``node`` is a mapping with string keys, no duplicates, only ``allowed`` keys
        (plus ``x-`` extensions) and every ``required`` key."""
        if not isinstance(node, MappingNode):
            self.report(node, path, f"must be a mapping, got {describe(node)}")
            return None
        values: dict[str, Node] = {}
        keys: dict[str, Node] = {}
        for key_node, value in node.value:
            if key_node.tag == MERGE:
                continue
            if not isinstance(key_node, ScalarNode) or key_node.tag != STR:
                self.report(key_node, path, f"keys must be strings, got {describe(key_node)}")
                continue
            key = str(key_node.value)
            if key in keys:
                self.report(key_node, join(path, key), "duplicate key")
                continue
            keys[key] = key_node
            if key.startswith(EXTENSION_PREFIX):
                continue
            if key not in allowed:
                self.report(key_node, join(path, key), _unknown_key(key, allowed))
                continue
            values[key] = value
        for key_node, value in self._merged(node, path):
            key = str(key_node.value)
            if key in keys or key in values or key.startswith(EXTENSION_PREFIX):
                continue
            if key in allowed:
                values[key] = value
            else:
                self.report(key_node, join(path, key), _unknown_key(key, allowed))
        for key in required:
            if key not in values:
                self.report(node, join(path, key), "is required")
        return Fields(self, node, path, values, keys)

    def _merged(self, node: MappingNode, path: str) -> list[tuple[Node, Node]]:
        """Entries brought in by ``<<`` merge keys, earlier sources first."""
        entries: list[tuple[Node, Node]] = []
        for key_node, value in node.value:
            if key_node.tag != MERGE:
                continue
            sources = value.value if isinstance(value, SequenceNode) else [value]
            for source in sources:
                if not isinstance(source, MappingNode):
                    self.report(source, path, "a merge (<<) must name a mapping")
                    continue
                own = [(k, v) for k, v in source.value if k.tag == STR]
                entries += own + self._merged(source, path)
        return entries

    def sequence(self, node: Node, path: str) -> list[tuple[Node, str]] | None:
        """The items of a list with their field paths (``path[0]``, ``path[1]``...)."""
        if not isinstance(node, SequenceNode):
            self.report(node, path, f"must be a list, got {describe(node)}")
            return None
        return [(item, f"{path}[{i}]") for i, item in enumerate(node.value)]

    def items(self, node: Node, path: str, parse: Callable[[Node, str], T | None]
              ) -> tuple[T, ...] | None:
        """``parse`` applied to every item of a list; ``None`` when the list or any item fails."""
        entries = self.sequence(node, path)
        if entries is None:
            return None
        parsed = [parse(item, item_path) for item, item_path in entries]
        values = [value for value in parsed if value is not None]
        return tuple(values) if len(values) == len(parsed) else None

    def unique_items(self, node: Node, path: str, parse: Callable[[Node, str], T | None], *,
                     field: str, what: str) -> tuple[T, ...] | None:
        """Like :meth:`items`, and refuses two items whose ``field`` holds the same text
        (reported at the later one as ``path[i].field``, even when the items are broken)."""
        entries = self.sequence(node, path)
        if entries is None:
            return None
        first_line: dict[str, int] = {}
        duplicated = False
        for item, item_path in entries:
            name_node = _scalar_entry(item, field)
            if name_node is None:
                continue
            name = str(name_node.value).strip()
            if name in first_line:
                self.report(name_node, join(item_path, field), f"duplicate {what} {name!r} "
                            f"(first defined on line {first_line[name]})")
                duplicated = True
            else:
                first_line[name] = _line(name_node)
        values = self.items(node, path, parse)
        return None if duplicated else values

    # -- scalars ----------------------------------------------------------------------------

    def text(self, node: Node, path: str) -> str | None:
        """A non-empty string."""
        if not isinstance(node, ScalarNode) or node.tag != STR:
            self.report(node, path, f"must be a string, got {describe(node)}")
            return None
        value = str(node.value).strip()
        if not value:
            self.report(node, path, "must not be empty")
            return None
        return value

    def texts(self, node: Node, path: str) -> tuple[str, ...] | None:
        """A non-empty list of non-empty strings."""
        values = self.items(node, path, self.text)
        if values == ():
            self.report(node, path, "must not be empty")
            return None
        return values

    def identifier(self, node: Node, path: str) -> str | None:
        """A name of lowercase letters, digits, ``-`` and ``_``, starting with a letter or digit."""
        value = self.text(node, path)
        if value is not None and IDENTIFIER.fullmatch(value) is None:
            self.report(node, path, "must be lowercase letters, digits, '-' or '_', starting "
                        f"with a letter or digit (like 'order-to-cash'), got {value!r}")
            return None
        return value

    def choice(self, node: Node, path: str, choices: Sequence[str]) -> str | None:
        """One of ``choices``."""
        value = self.text(node, path)
        if value is not None and value not in choices:
            self.report(node, path, f"must be one of {', '.join(choices)}, got {value!r}")
            return None
        return value

    def boolean(self, node: Node, path: str) -> bool | None:
        """``true`` or ``false`` (unquoted)."""
        if not isinstance(node, ScalarNode) or node.tag != BOOL:
            self.report(node, path, f"must be true or false, got {describe(node)}")
            return None
        return str(node.value).lower() in ("true", "yes", "on", "y")

    def number(self, node: Node, path: str) -> Decimal | None:
        """A non-negative decimal number (``12``, ``7.5``), read exactly from its source text."""
        ok = isinstance(node, ScalarNode) and node.tag in (INT, FLOAT, STR)
        value = str(node.value).strip() if ok else ""
        if not ok or _DECIMAL.fullmatch(value) is None:
            self.report(node, path, f"must be a number like 12 or 7.5, got {describe(node)}")
            return None
        if value.startswith("-"):
            self.report(node, path, f"must not be negative, got {value}")
            return None
        return Decimal(value)

    def money(self, node: Node, path: str) -> Decimal | None:
        """A non-negative amount written as a quoted decimal string (``"0.30"``).

        Unquoted numbers are refused: YAML reads ``0.30`` as a binary float, which is not exact.
        """
        if isinstance(node, ScalarNode) and node.tag in (INT, FLOAT):
            self.report(node, path, f"{MONEY_HINT}, got {node.value} unquoted")
            return None
        if not isinstance(node, ScalarNode) or node.tag != STR:
            self.report(node, path, f"{MONEY_HINT}, got {describe(node)}")
            return None
        value = str(node.value).strip()
        if _DECIMAL.fullmatch(value) is None:
            self.report(node, path, f"{MONEY_HINT}, got {value!r}")
            return None
        if value.startswith("-"):
            self.report(node, path, f"must not be negative, got {value!r}")
            return None
        return Decimal(value)

    def duration(self, node: Node, path: str) -> timedelta | None:
        """A duration like ``30d`` or ``2m`` (see :mod:`catalog.durations`)."""
        if not isinstance(node, ScalarNode) or node.tag != STR:
            self.report(node, path, f'must be a duration like "30d" or "2m", got {describe(node)}')
            return None
        try:
            return parse_duration(str(node.value))
        except ValueError as exc:
            self.report(node, path, str(exc))
            return None

    def day(self, node: Node, path: str) -> date | None:
        """A calendar date ``YYYY-MM-DD`` (quoted or not)."""
        ok = isinstance(node, ScalarNode) and node.tag in (STR, TIMESTAMP)
        value = str(node.value).strip() if ok else ""
        try:
            if _DATE.fullmatch(value):
                return date.fromisoformat(value)
        except ValueError:
            pass
        self.report(node, path, f"must be a date like 2026-01-01, got {describe(node)}")
        return None

    def url(self, node: Node, path: str) -> str | None:
        """An absolute ``http`` or ``https`` URL."""
        value = self.text(node, path)
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            self.report(node, path, f"must be an http(s) URL, got {value!r}")
            return None
        return value

    def timezone(self, node: Node, path: str) -> str | None:
        """An IANA time zone name known to :mod:`zoneinfo` (``Europe/Berlin``, ``UTC``)."""
        value = self.text(node, path)
        if value is None:
            return None
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            close = difflib.get_close_matches(value, sorted(zoneinfo.available_timezones()), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            self.report(node, path, f"unknown time zone {value!r} (an IANA name like "
                        f"'Europe/Berlin' is expected){hint}")
            return None
        return value


def _scalar_entry(node: Node, key: str) -> ScalarNode | None:
    """The scalar value of ``key`` written directly in mapping ``node``, if any."""
    if isinstance(node, MappingNode):
        for key_node, value in node.value:
            if key_node.tag == STR and key_node.value == key and isinstance(value, ScalarNode):
                return value
    return None


def _line(node: Node) -> int:
    return node.start_mark.line + 1 if node.start_mark is not None else 0


def _unknown_key(key: str, allowed: Sequence[str]) -> str:
    close = difflib.get_close_matches(key, list(allowed), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return (f"unknown key {key!r}{hint}; allowed keys: {', '.join(allowed)} "
            f"(and {EXTENSION_PREFIX}* extensions)")
