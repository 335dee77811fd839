"""Errors raised while loading a flow catalog.

Every error carries the :class:`Problem` list that explains it, so a caller (the
``flowscope check`` command, the server at start-up) prints them the same way::

    CatalogError                     base class; .problems is a tuple of Problem
     ├── CatalogFileError            the file cannot be read (missing, not UTF-8 text...)
     ├── CatalogSyntaxError          the text is not YAML (one problem, at the parser's position)
     └── CatalogValidationError      YAML, but not a valid catalog (every problem of the file)

Third-party errors (``yaml.YAMLError``, ``OSError``) are translated at the boundary in
:mod:`catalog.spec` with ``raise ... from exc``.

Apart from the catalog file, :mod:`catalog.parameters` checks what users type in requests and
:mod:`catalog.patterns` compiles the patterns they write::

    ParameterError (also a ValueError)  .name is the parameter, the message says what is wrong
    NotFound       (also a LookupError) what a request names does not exist: a flow, a silence,
                                        a correlation id; the message says which
    PatternError   (also a ValueError)  a regular expression or glob refused (too long, not RE2)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a catalog file.

    ``line`` and ``column`` are 1-based; 0 means the problem has no position (e.g. an unreadable
    file). ``field`` is the path of the offending field, e.g. ``flows[0].slos[1].objective``,
    or ``""`` for the document itself.
    """

    file: str
    line: int
    column: int
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line <= 0 else f"{self.file}:{self.line}:{self.column}"
        what = f"{self.field}: {self.message}" if self.field else self.message
        return f"{where}: {what}"


class CatalogError(Exception):
    """Base class: the catalog could not be loaded. ``problems`` says why, in file order."""

    def __init__(self, problems: tuple[Problem, ...]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


class CatalogFileError(CatalogError):
    """The catalog file could not be read (missing, unreadable, or not UTF-8 text)."""


class CatalogSyntaxError(CatalogError):
    """The catalog text is not parsable YAML; its single problem gives the parser's position."""


class CatalogValidationError(CatalogError):
    """The catalog is YAML but breaks the spec; every problem of the file is listed."""


class ParameterError(ValueError):
    """A request parameter that cannot be used; ``name`` is the parameter (``at``, ``from``,
    ``cursor``...), the message names it and says what is wrong."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


class NotFound(LookupError):
    """What a request names does not exist (a flow of the catalog, a silence, a correlation
    id); the message says which, quoting at most :data:`catalog.parameters.ECHO_CHARS`
    characters of what was sent."""


class PatternError(ValueError):
    """A user-written regular expression or glob that is refused: too long, or not something
    the linear-time engine (RE2) can match; the message says which and why."""
