"""Finds and reads window catalog files (the only module of the room that reads files).

A window catalog is named by its file name without extension: ``google-30d`` is
``google-30d.yaml`` (or ``.yml``). :func:`load_window_catalog` looks for a name in the caller's
``search_dirs``, in order, then among the catalogs shipped in :data:`BUILTIN_DIR`
(``google-30d``, ``google-28d``), so users may add their own files or shadow a built-in one.
A path (anything with a directory part or a ``.yaml``/``.yml`` suffix) is read directly.

Nothing is cached or kept between calls; the caller passes the directories every time.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from catalog.errors import Problem
from catalog.yaml_source import read_source
from slo.burn import WindowCatalog
from slo.errors import WindowCatalogFileError, WindowCatalogNotFoundError
from slo.window_spec import parse_window_catalog

BUILTIN_DIR = Path(__file__).resolve().parent / "windows"
"""The directory of the window catalogs shipped with flowscope."""

SUFFIXES = (".yaml", ".yml")


def _search_path(search_dirs: Sequence[Path], include_builtin: bool) -> list[Path]:
    dirs = [Path(d) for d in search_dirs]
    return [*dirs, BUILTIN_DIR] if include_builtin else dirs


def _is_path(name_or_path: str | Path) -> bool:
    if isinstance(name_or_path, Path):
        return True
    text = str(name_or_path)
    return "/" in text or "\\" in text or text.endswith(SUFFIXES)


def find_window_catalog(name: str, *, search_dirs: Sequence[Path] = (),
                        include_builtin: bool = True) -> Path:
    """The file of window catalog ``name``: the first ``<dir>/<name>.yaml`` (or ``.yml``) in
    ``search_dirs`` and then the built-in directory.

    Raises :class:`~slo.errors.WindowCatalogNotFoundError` listing the available names.
    """
    dirs = _search_path(search_dirs, include_builtin)
    for directory in dirs:
        for suffix in SUFFIXES:
            candidate = directory / f"{name}{suffix}"
            if candidate.is_file():
                return candidate
    known = ", ".join(available_window_catalogs(search_dirs=search_dirs,
                                                include_builtin=include_builtin)) or "none"
    where = ", ".join(str(d) for d in dirs) or "no directory"
    problem = Problem(name, 0, 0, "", f"no window catalog named {name!r} in {where}; "
                      f"available: {known}")
    raise WindowCatalogNotFoundError((problem,))


def available_window_catalogs(*, search_dirs: Sequence[Path] = (),
                              include_builtin: bool = True) -> tuple[str, ...]:
    """Names of every window catalog found in ``search_dirs`` and the built-in directory,
    sorted (a name present in several directories is listed once)."""
    names: set[str] = set()
    for directory in _search_path(search_dirs, include_builtin):
        if directory.is_dir():
            names.update(p.stem for p in directory.iterdir()
                         if p.suffix in SUFFIXES and p.is_file())
    return tuple(sorted(names))


def load_window_catalog(name_or_path: str | Path, *, search_dirs: Sequence[Path] = (),
                        include_builtin: bool = True) -> WindowCatalog:
    """Read and validate a window catalog, by name (``google-30d``) or by path.

    The catalog's ``name`` is the file name without extension; its ``source`` the file path.
    Raises :class:`~slo.errors.WindowCatalogNotFoundError`,
    :class:`~slo.errors.WindowCatalogFileError` (unreadable),
    :class:`~slo.errors.WindowCatalogSyntaxError` (not YAML) or
    :class:`~slo.errors.WindowCatalogValidationError` (every problem of the file).
    """
    if _is_path(name_or_path):
        path = Path(name_or_path)
    else:
        path = find_window_catalog(str(name_or_path), search_dirs=search_dirs,
                                   include_builtin=include_builtin)
    text = read_source(path, WindowCatalogFileError)
    return parse_window_catalog(text, name=path.stem, filename=str(path))
