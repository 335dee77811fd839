"""Patterns users write (silence matchers, redaction globs), compiled by a linear-time engine.

Python's :mod:`re` backtracks: ``(.*.*.*)*z`` against 12 characters holds the interpreter for
25 s, and a stored pattern would do it again after every restart. Patterns from users are
therefore compiled with RE2 (``google-re2``), whose matching time is linear in the input and
which refuses what it cannot match that way (back-references, look-around). They are also
bounded: at most :data:`MAX_PATTERN_CHARS` characters, and RE2's compiled program at most
:data:`MAX_PROGRAM_BYTES`.

- :func:`compile_regex` takes RE2 syntax (Go's, as Alertmanager and Prometheus use) and
  matches whole strings (:meth:`Pattern.fullmatch`);
- :func:`compile_glob` takes ``fnmatch`` syntax (``*``, ``?``, ``[seq]``, ``[!seq]``; ``*``
  crosses dots) and translates it to RE2.

Both raise :class:`catalog.errors.PatternError` saying what is wrong. No I/O; RE2's own error
logging is switched off.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Protocol

import re2

from catalog.errors import PatternError

MAX_PATTERN_CHARS = 1000
"""Longest pattern accepted, in characters."""
MAX_PROGRAM_BYTES = 1 << 20
"""Memory RE2 may use for one compiled pattern (1 MiB)."""


class Pattern(Protocol):
    """A compiled pattern."""

    def fullmatch(self, text: str) -> Any:
        """A match object when the whole of ``text`` matches, else None."""


def _options() -> Any:
    options = re2.Options()
    options.log_errors = False
    options.max_mem = MAX_PROGRAM_BYTES
    return options


@lru_cache(maxsize=1024)
def compile_regex(pattern: str, *, what: str = "the regular expression") -> Pattern:
    """``pattern`` (RE2 syntax) compiled; PatternError when it is too long or not valid RE2."""
    if len(pattern) > MAX_PATTERN_CHARS:
        raise PatternError(f"{what} is longer than {MAX_PATTERN_CHARS} characters")
    try:
        compiled: Pattern = re2.compile(pattern, _options())
    except re2.error as exc:
        reason = exc.args[0] if exc.args else "invalid"
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise PatternError(f"{what} {pattern[:80]!r} does not compile (RE2 syntax, no "
                           f"back-references or look-around): {reason}") from None
    return compiled


def glob_to_regex(glob: str) -> str:
    """An ``fnmatch`` glob as an RE2 pattern matching the same whole strings."""
    out: list[str] = ["(?s)"]
    i, n = 0, len(glob)
    while i < n:
        c = glob[i]
        i += 1
        if c == "*":
            if out[-1] != ".*":
                out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "[":
            end = i
            if end < n and glob[end] == "!":
                end += 1
            if end < n and glob[end] == "]":
                end += 1
            while end < n and glob[end] != "]":
                end += 1
            if end >= n:
                out.append(_literal("["))
                continue
            members = glob[i:end]
            i = end + 1
            negate = members.startswith("!")
            out.append(_char_class(members[1:] if negate else members, negate))
        else:
            out.append(_literal(c))
    return "".join(out)


def _literal(c: str) -> str:
    return c if c.isalnum() or c == "_" else f"\\x{{{ord(c):x}}}"


def _char_class(members: str, negate: bool) -> str:
    parts: list[str] = []
    i = 0
    while i < len(members):
        c = members[i]
        if i + 2 < len(members) and members[i + 1] == "-":
            parts.append(f"{_literal(c)}-{_literal(members[i + 2])}")
            i += 3
        else:
            parts.append(_literal(c))
            i += 1
    return ("[^" if negate else "[") + "".join(parts) + "]"


def compile_glob(glob: str, *, what: str = "the glob") -> Pattern:
    """``glob`` (``fnmatch`` syntax) compiled to RE2; PatternError when too long or invalid
    (e.g. a reversed range ``[z-a]``)."""
    if len(glob) > MAX_PATTERN_CHARS:
        raise PatternError(f"{what} is longer than {MAX_PATTERN_CHARS} characters")
    try:
        return compile_regex(glob_to_regex(glob), what=what)
    except PatternError:
        raise PatternError(f"{what} {glob[:80]!r} is not a valid glob (a character range "
                           f"backwards?)") from None
