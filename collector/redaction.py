"""Redaction of attribute values before anything is written.

A :class:`Redactor` is compiled once from the catalog's :class:`catalog.model.RedactionRule`
list. A rule's ``key`` is an exact key or an ``fnmatch`` glob (``card.*``), matched
case-sensitively against a whole **path**; globs are compiled to RE2
(:func:`catalog.patterns.compile_glob`), so matching takes time linear in the path's length.
When several rules match a path the first in file order decides. ``drop`` removes the value;
``hash`` replaces it with ``"sha256:" + hex(sha256(utf-8 value))``, so equal values stay
joinable without being readable (a value that is not a string is hashed as its compact JSON).

Paths. An attribute's path is its key (``user.email``). A value that holds structure — an
OTLP kvlist or array, stored as compact JSON, or JSON text — is redacted inside too: a member's
path is its parent's path, a dot and its name, and arrays are transparent, so ``user.email``
matches the attribute ``user.email``, the member ``email`` of an attribute ``user =
{email: ...}`` and of every element of ``user = [{email: ...}]``. W3C baggage copied into
attributes as ``baggage.<key>`` is matched as ``<key>`` as well (``baggage.user.email`` by
``user.email``). Event data and log bodies (decoded JSON) follow the same paths from their top.
A structured value that is rewritten is stored again as compact JSON with sorted keys (what
OTLP kvlists are stored as anyway).

The reserved tag keys ``flowscope.flow`` and ``flowscope.correlation_id`` are never redacted
(see :data:`UNREDACTED`): they are written by the collector itself, from already-redacted values.

Columnar callers first ask :meth:`Redactor.hits` and :meth:`Redactor.containers` about the
distinct keys of a whole request — nothing at all when the redactor is empty — and only
rewrite the flat key/value lists when something matched (:meth:`Redactor.apply_flat`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from catalog.model import RedactionAction, RedactionRule
from catalog.patterns import compile_glob
from collector.attributes import raw_to_json, raw_to_str

UNREDACTED = frozenset({"flowscope.flow", "flowscope.correlation_id"})
"""Keys no rule applies to: the collector's own tags."""

BAGGAGE = "baggage."
"""Prefix of W3C baggage entries copied into attributes; ``baggage.<key>`` is matched as
``<key>`` too."""

_WILDCARDS = re.compile(r"[*?\[]")


def hash_value(value: str) -> str:
    """``"sha256:"`` followed by the lowercase hex SHA-256 of ``value`` encoded as UTF-8."""
    return "sha256:" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class _Glob:
    prefix: str
    match: Callable[[str], object]
    action: RedactionAction
    order: int


@dataclass(frozen=True)
class Redactor:
    """Compiled redaction rules; build with :meth:`from_rules`. An empty one changes nothing."""

    exact: Mapping[str, tuple[int, RedactionAction]]
    globs: tuple[_Glob, ...]

    @classmethod
    def from_rules(cls, rules: Iterable[RedactionRule]) -> Redactor:
        """Compile ``rules`` (in file order; the first matching rule wins)."""
        exact: dict[str, tuple[int, RedactionAction]] = {}
        globs: list[_Glob] = []
        for order, rule in enumerate(rules):
            wildcard = _WILDCARDS.search(rule.key)
            if wildcard is None:
                exact.setdefault(rule.key, (order, rule.action))
            else:
                pattern = compile_glob(rule.key, what="the redaction key")
                globs.append(
                    _Glob(rule.key[: wildcard.start()], pattern.fullmatch, rule.action, order))
        return cls(exact=exact, globs=tuple(globs))

    @property
    def empty(self) -> bool:
        """True when no rule exists, so nothing is ever redacted."""
        return not self.exact and not self.globs

    def action(self, key: str) -> RedactionAction | None:
        """What happens to the value at path ``key``: ``"drop"``, ``"hash"`` or ``None``
        (kept, though members inside it may still be redacted: see :meth:`nests`)."""
        if key in UNREDACTED:
            return None
        found = self._rule(key)
        if found is None and key.startswith(BAGGAGE) and key[len(BAGGAGE):] not in UNREDACTED:
            found = self._rule(key[len(BAGGAGE):])
        return None if found is None else found[1]

    def _rule(self, path: str) -> tuple[int, RedactionAction] | None:
        found = self.exact.get(path)
        for glob in self.globs:
            if found is not None and found[0] < glob.order:
                break
            if path.startswith(glob.prefix) and glob.match(path):
                return glob.order, glob.action
        return found

    def nests(self, key: str) -> bool:
        """Could a rule match a path below ``key`` (``key.<member>...``)? Cheap, and never
        False for a key holding a member that is redacted (may be True when none is)."""
        if self.empty:
            return False
        paths = [key + "."]
        if key.startswith(BAGGAGE):
            paths.append(key[len(BAGGAGE):] + ".")
        for below in paths:
            if any(rule.startswith(below) for rule in self.exact):
                return True
            if any(g.prefix.startswith(below) or below.startswith(g.prefix) for g in self.globs):
                return True
        return False

    def might_match(self, keys: Iterable[str]) -> bool:
        """Cheap precheck: could any of ``keys`` be redacted, whole or inside?

        May answer True for keys no rule matches (a glob such as ``*.token`` has an empty
        literal prefix); never answers False for a key that is redacted.
        """
        if self.empty:
            return False
        return any(self.action(k) is not None or self.nests(k) for k in keys)

    def hits(self, keys: Collection[str]) -> dict[str, RedactionAction]:
        """The redacted keys among ``keys`` (pass a set of distinct keys) and their actions."""
        if self.empty:
            return {}
        out: dict[str, RedactionAction] = {}
        for key in keys:
            act = self.action(key)
            if act is not None:
                out[key] = act
        return out

    def containers(self, keys: Collection[str]) -> frozenset[str]:
        """The keys among ``keys`` (distinct) not redacted whole whose values may hold
        redacted members (see :meth:`nests`)."""
        if self.empty:
            return frozenset()
        return frozenset(k for k in keys if self.action(k) is None and self.nests(k))

    def value(self, key: str, value: str) -> str | None:
        """The stored form of attribute ``key`` = ``value``: None when dropped, its hash, the
        value with its members redacted, or ``value`` itself."""
        act = self.action(key)
        if act == "drop":
            return None
        if act == "hash":
            return hash_value(value)
        return self.inside(key, value) if self.nests(key) else value

    def inside(self, key: str, value: str) -> str:
        """``value`` of attribute ``key`` with the rules applied to its members, when it holds
        a JSON object or array (a kvlist, an array, JSON text); else ``value`` unchanged."""
        if not value or value[0] not in "[{":
            return value
        try:
            data = json.loads(value)
        except (ValueError, RecursionError):
            return value
        if not isinstance(data, dict | list):
            return value
        redacted = self._json(data, key)
        return value if redacted == data else raw_to_str(redacted)

    def apply(self, attrs: Mapping[str, str]) -> dict[str, str]:
        """A copy of ``attrs`` with the rules applied."""
        out: dict[str, str] = {}
        for key, value in attrs.items():
            stored = self.value(key, value)
            if stored is not None:
                out[key] = stored
        return out

    def apply_pairs(self, pairs: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
        """Like :meth:`apply` for (key, value) pairs, keeping their order."""
        out: list[tuple[str, str]] = []
        for key, value in pairs:
            stored = self.value(key, value)
            if stored is not None:
                out.append((key, stored))
        return tuple(out)

    def apply_flat(
        self, keys: list[str], values: list[str], offsets: list[int]
    ) -> tuple[list[str], list[str], list[int]]:
        """Apply the rules to a flat map column: row ``i`` is ``keys[offsets[i]:offsets[i+1]]``.

        Returns the inputs themselves when nothing matched (the common case), else new lists.
        """
        distinct = set(keys)
        hits = self.hits(distinct)
        nested = self.containers(distinct)
        if not hits and not nested:
            return keys, values, offsets
        if nested:
            values = [self.inside(k, v) if k in nested else v
                      for k, v in zip(keys, values, strict=True)]
        if not hits:
            return keys, values, offsets
        if all(a == "hash" for a in hits.values()):
            new_values = [
                hash_value(v) if k in hits else v for k, v in zip(keys, values, strict=True)
            ]
            return keys, new_values, offsets
        new_keys: list[str] = []
        new_vals: list[str] = []
        new_offsets = [0]
        start = 0
        for end in offsets[1:]:
            for i in range(start, end):
                k = keys[i]
                act = hits.get(k)
                if act is None:
                    new_keys.append(k)
                    new_vals.append(values[i])
                elif act == "hash":
                    new_keys.append(k)
                    new_vals.append(hash_value(values[i]))
            new_offsets.append(len(new_keys))
            start = end
        return new_keys, new_vals, new_offsets

    def apply_arrow(
        self, keys: pa.Array, values: pa.Array, offsets: pa.Array
    ) -> tuple[pa.Array, pa.Array, pa.Array]:
        """Apply the rules to a map column given as Arrow keys, values and int32 offsets.

        Returns the inputs themselves when no key matches (one hash lookup per distinct key).
        """
        if self.empty or len(keys) == 0:
            return keys, values, offsets
        distinct = pc.unique(keys).to_pylist()
        hits = self.hits(distinct)
        nested = self.containers(distinct)
        if nested:
            structured = pc.or_(pc.starts_with(values, "{"), pc.starts_with(values, "["))
            mask = pc.and_(pc.is_in(keys, value_set=pa.array(sorted(nested), pa.string())),
                           structured)
            if pc.any(mask).as_py():
                pairs = zip(pc.filter(keys, mask).to_pylist(),
                            pc.filter(values, mask).to_pylist(), strict=True)
                inside = pa.array([self.inside(k, v) for k, v in pairs], pa.string())
                values = pc.replace_with_mask(values, mask, inside)
        if not hits:
            return keys, values, offsets
        hashed = [k for k, act in hits.items() if act == "hash"]
        if hashed:
            mask = pc.is_in(keys, value_set=pa.array(hashed, pa.string()))
            digests = [hash_value(v) for v in pc.filter(values, mask).to_pylist()]
            values = pc.replace_with_mask(values, mask, pa.array(digests, pa.string()))
        dropped = [k for k, act in hits.items() if act == "drop"]
        if dropped:
            keep = pc.invert(pc.is_in(keys, value_set=pa.array(dropped, pa.string())))
            kept_before = pa.concat_arrays(
                [pa.array([0], pa.int64()), pc.cumulative_sum(pc.cast(keep, pa.int64()))]
            )
            offsets = pc.cast(pc.take(kept_before, offsets), pa.int32())
            keys = pc.filter(keys, keep)
            values = pc.filter(values, keep)
        return keys, values, offsets

    def apply_json(self, data: Any, path: str = "") -> Any:
        """A copy of decoded JSON ``data`` with the rules applied to object members.

        A member's key is its dotted path from ``path`` (``{"user": {"email": x}}`` has the
        key ``user.email``); arrays are transparent. Hashing a non-string value hashes its
        compact JSON text.
        """
        if self.empty:
            return data
        return self._json(data, path)

    def _json(self, data: Any, path: str) -> Any:
        if isinstance(data, dict):
            out: dict[str, Any] = {}
            for key, value in data.items():
                full = f"{path}.{key}" if path else str(key)
                act = self.action(full)
                if act is None:
                    out[key] = self._json(value, full)
                elif act == "hash":
                    text = value if isinstance(value, str) else raw_to_json(value)
                    out[key] = hash_value(text)
            return out
        if isinstance(data, list):
            return [self._json(item, path) for item in data]
        return data
