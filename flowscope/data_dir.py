"""The data directory is private: created 0700, its files 0600, tightened when found looser.

It holds the spool (undelivered spans and events), the keys file (key hashes), the audit files
and, with the embedded engine, chDB's own directory: nothing another local user should read.
:func:`secure_data_dir` creates it with mode 0700, or, when it exists, walks it (without
following symbolic links) and takes group and other permissions off every directory and file
that has them, logging how many it changed; :data:`PRIVATE_UMASK` then makes everything the
server creates later private too (the server process sets it before opening anything).
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger("flowscope")

PRIVATE_UMASK = 0o077
"""The server's umask: new files 0600, new directories 0700."""


def secure_data_dir(path: Path) -> list[Path]:
    """Create ``path`` (0700) or tighten it and everything under it; returns what changed."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    changed: list[Path] = []
    _tighten(path, changed)
    for root, dirs, files in os.walk(path, followlinks=False):
        for name in (*dirs, *files):
            _tighten(Path(root) / name, changed)
    if changed:
        log.warning("tightened the permissions of %d paths in %s (group and others could read "
                    "them): directories are now 0700, files 0600", len(changed), path)
    return changed


def secure_file(path: Path) -> bool:
    """Take group and other permissions off ``path`` (a file kept outside the data directory,
    such as ``FLOWSCOPE_KEYS_FILE``); True when it changed."""
    changed: list[Path] = []
    _tighten(path, changed)
    if changed:
        log.warning("tightened the permissions of %s to 0600", path)
    return bool(changed)


def _tighten(path: Path, changed: list[Path]) -> None:
    try:
        st = path.lstat()
    except FileNotFoundError:
        return
    if stat.S_ISLNK(st.st_mode) or not st.st_mode & 0o077:
        return
    try:
        path.chmod(stat.S_IMODE(st.st_mode) & 0o700)
    except OSError as exc:
        log.error("cannot tighten the permissions of %s: %s", path, exc.strerror)
        return
    changed.append(path)


def private_umask() -> int:
    """Set :data:`PRIVATE_UMASK` for this process; returns the previous umask."""
    return os.umask(PRIVATE_UMASK)
