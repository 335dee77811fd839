"""Redaction of attribute values before anything is written.

A :class:`Redactor` is compiled once from the catalog's :class:`catalog.model.RedactionRule`
list. A rule's ``key`` is an exact attribute key or an ``fnmatch`` glob (``card.*``),
matched case-sensitively against the whole key. When several rules match a key the first in
file order decides. ``drop`` removes the attribute; ``hash`` replaces its value with
``"sha256:" + hex(sha256(utf-8 value))``, so equal values stay joinable without being readable.

The reserved tag keys ``flowscope.flow`` and ``flowscope.correlation_id`` are never redacted
(see :data:`UNREDACTED`): they are written by the collector itself, from already-redacted values.

Columnar callers first ask :meth:`Redactor.hits` for the distinct keys of a whole request —
one set lookup per distinct key, and nothing at all when the redactor is empty — and only
rewrite the flat key/value lists when something matched (:meth:`Redactor.apply_flat`).
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from catalog.model import RedactionAction, RedactionRule
from collector.attributes import raw_to_json

UNREDACTED = frozenset({"flowscope.flow", "flowscope.correlation_id"})
"""Keys no rule applies to: the collector's own tags."""

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
                pattern = re.compile(fnmatch.translate(rule.key))
                globs.append(_Glob(rule.key[: wildcard.start()], pattern.match, rule.action, order))
        return cls(exact=exact, globs=tuple(globs))

    @property
    def empty(self) -> bool:
        """True when no rule exists, so nothing is ever redacted."""
        return not self.exact and not self.globs

    def action(self, key: str) -> RedactionAction | None:
        """What happens to attribute ``key``: ``"drop"``, ``"hash"`` or ``None`` (kept as is)."""
        if key in UNREDACTED:
            return None
        found = self.exact.get(key)
        for glob in self.globs:
            if found is not None and found[0] < glob.order:
                break
            if key.startswith(glob.prefix) and glob.match(key):
                found = (glob.order, glob.action)
                break
        return None if found is None else found[1]

    def might_match(self, keys: Iterable[str]) -> bool:
        """Cheap precheck: could any of ``keys`` be redacted? (exact hit or glob prefix hit).

        May answer True for keys no rule matches (a glob such as ``*.token`` has an empty
        literal prefix); never answers False for a key that is redacted.
        """
        if self.empty:
            return False
        prefixes = tuple(g.prefix for g in self.globs)
        exact = self.exact
        return any(k in exact or (prefixes and k.startswith(prefixes)) for k in keys)

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

    def apply(self, attrs: Mapping[str, str]) -> dict[str, str]:
        """A copy of ``attrs`` with the rules applied."""
        out: dict[str, str] = {}
        for key, value in attrs.items():
            act = self.action(key)
            if act is None:
                out[key] = value
            elif act == "hash":
                out[key] = hash_value(value)
        return out

    def apply_pairs(self, pairs: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
        """Like :meth:`apply` for (key, value) pairs, keeping their order."""
        out: list[tuple[str, str]] = []
        for key, value in pairs:
            act = self.action(key)
            if act is None:
                out.append((key, value))
            elif act == "hash":
                out.append((key, hash_value(value)))
        return tuple(out)

    def apply_flat(
        self, keys: list[str], values: list[str], offsets: list[int]
    ) -> tuple[list[str], list[str], list[int]]:
        """Apply the rules to a flat map column: row ``i`` is ``keys[offsets[i]:offsets[i+1]]``.

        Returns the inputs themselves when nothing matched (the common case), else new lists.
        """
        hits = self.hits(set(keys))
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
        hits = self.hits(pc.unique(keys).to_pylist())
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

        A member's key is its dotted path from the top (``{"user": {"email": x}}`` has the
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
