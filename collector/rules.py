"""The catalog compiled for ingest: its redactor and its tagger, built once per catalog.

Decoders take a :class:`catalog.model.Catalog` and call :func:`ingest_rules` to get the
compiled form; the result is memoised by catalog identity (a handful of entries), so a server
that keeps one catalog object pays the compilation once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

from catalog.model import Catalog, RedactionAction
from collector.redaction import Redactor, hash_value
from collector.tagging import BAGGAGE_PREFIX, Tagger


@dataclass(frozen=True)
class IngestRules:
    """Redactor and tagger of one catalog, plus what the hot loops need precomputed.

    ``extension_redactor`` applies the same rules to CloudEvents extension names, which are
    lowercase letters and digits only (``user.email`` matches ``useremail``, ``card.*`` matches
    ``card*``). ``lookup_keys`` are the attribute keys tagging reads (empty when the catalog has no
    flows); ``lookup_actions`` the redaction actions that apply to some of them;
    ``rare_key_bytes`` byte strings (``b"baggage."``, ``b"flowscope."``) that begin every
    lookup key other than the correlation keys themselves (explicit tags, baggage copies): a
    body that contains none of them can be tagged by the decoders' fast path.
    """

    redactor: Redactor
    extension_redactor: Redactor
    tagger: Tagger
    lookup_keys: frozenset[str]
    lookup_actions: Mapping[str, RedactionAction]
    rare_key_bytes: tuple[bytes, ...]

    @classmethod
    def compile(cls, catalog: Catalog) -> IngestRules:
        """Compile ``catalog``'s redaction rules and flows."""
        redactor = Redactor.from_rules(catalog.redaction)
        # CloudEvents extension names cannot hold dots: ``user.email`` travels as ``useremail``
        extension_rules = []
        for rule in catalog.redaction:
            extension_rules += [rule, replace(rule, key=_extension_pattern(rule.key))]
        tagger = Tagger(catalog)
        keys = tagger.lookup_keys if tagger.active else frozenset()
        actions = {k: a for k in keys if (a := redactor.action(k)) is not None}
        # every lookup key that is not a correlation key is a tag or a baggage copy
        rare = tuple(sorted({_rare_prefix(k) for k in keys - set(tagger.keys)}))
        return cls(
            redactor=redactor,
            extension_redactor=Redactor.from_rules(extension_rules),
            tagger=tagger,
            lookup_keys=keys,
            lookup_actions=actions,
            rare_key_bytes=rare,
        )

    def redact_found(self, found: Mapping[str, str]) -> dict[str, str]:
        """``found`` (lookup-key values) with redaction applied, as stored."""
        out: dict[str, str] = {}
        actions = self.lookup_actions
        for k, v in found.items():
            act = actions.get(k)
            if act is None:
                out[k] = v
            elif act == "hash":
                out[k] = hash_value(v)
        return out


def _rare_prefix(key: str) -> bytes:
    for prefix in (BAGGAGE_PREFIX, "flowscope."):
        if key.startswith(prefix):
            return prefix.encode()
    return key.encode()


_MEMO: list[tuple[Catalog, IngestRules]] = []
_MEMO_SIZE = 8


def ingest_rules(catalog: Catalog) -> IngestRules:
    """The compiled :class:`IngestRules` of ``catalog`` (memoised by identity)."""
    for known, rules in _MEMO:
        if known is catalog:
            return rules
    rules = IngestRules.compile(catalog)
    _MEMO.insert(0, (catalog, rules))
    del _MEMO[_MEMO_SIZE:]
    return rules


def _extension_pattern(key: str) -> str:
    """A redaction key or glob as a CloudEvents extension name: lowercase, only letters, digits
    and glob characters kept."""
    return re.sub(r"[^a-z0-9*?\[\]!]", "", key.lower())
