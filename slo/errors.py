"""Errors raised by the SLO room.

Pure math raises only for arguments outside their domain; no data ever raises (an empty window
gives ``None``, never an exception). Window catalog files are refused with every problem, each
a :class:`catalog.errors.Problem` (file, line, column, field path, message), printed the same way
as catalog problems::

    SLOError                              base class of every error raised by slo
     ├── SLOValueError                    an argument outside its domain (also a ValueError)
     │    ├── ObjectiveError              an objective or slice threshold out of range
     │    ├── CountsError                 negative counts, or more good than valid events
     │    ├── PeriodError                 a naive instant, unknown calendar unit or time zone,
     │    │                               or a non-positive period
     │    └── MaintenanceError            a maintenance rule that cannot be expanded
     ├── RollupsNotReady                  a flow's rollups are still being built (also a
     │                                    warehouse.errors.WarehouseUnavailable: answer 503)
     └── WindowCatalogError               a window catalog cannot be used; .problems says why
          ├── WindowCatalogNotFoundError  no file of that name in the search directories
          ├── WindowCatalogFileError      the file cannot be read (missing, not UTF-8 text)
          ├── WindowCatalogSyntaxError    the text is not YAML (one problem, at the parser's mark)
          └── WindowCatalogValidationError YAML, but not a valid window catalog (every problem)

Third-party errors (``yaml.YAMLError``, ``OSError``, ``zoneinfo`` lookups) are translated at the
boundary with ``raise ... from exc``.
"""

from __future__ import annotations

from catalog.errors import Problem
from warehouse.errors import WarehouseUnavailable


class SLOError(Exception):
    """Base class of every error raised by the ``slo`` room."""


class SLOValueError(SLOError, ValueError):
    """An argument is outside its domain."""


class ObjectiveError(SLOValueError):
    """An objective is not a fraction strictly between 0 and 1 (or a percentage strictly between
    0 and 100), or a slice threshold is not a fraction in [0, 1]."""


class CountsError(SLOValueError):
    """Event counts are negative, or a bucket has more good than valid events."""


class PeriodError(SLOValueError):
    """An instant is naive, a calendar unit or time zone is unknown, or a period is not
    positive."""


class MaintenanceError(SLOValueError):
    """A maintenance window's recurrence rule cannot be expanded (or expands to too many
    occurrences)."""


class RollupsNotReady(SLOError, WarehouseUnavailable):
    """The rollups of a flow asked for are not built yet (a first start, a catalog change):
    its figures would be incomplete. The message says how far the build is (flow names and
    counts only, so a client may be shown it)."""

    public = True


class WindowCatalogError(SLOError):
    """A window catalog could not be loaded. ``problems`` says why, in file order."""

    def __init__(self, problems: tuple[Problem, ...]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


class WindowCatalogNotFoundError(WindowCatalogError):
    """No window catalog of that name exists in the search directories."""


class WindowCatalogFileError(WindowCatalogError):
    """The window catalog file could not be read (missing, unreadable, or not UTF-8 text)."""


class WindowCatalogSyntaxError(WindowCatalogError):
    """The window catalog text is not parsable YAML."""


class WindowCatalogValidationError(WindowCatalogError):
    """The window catalog is YAML but breaks the format; every problem of the file is listed."""
