"""Files that even root cannot write, for the tests of a spool that cannot persist."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def _run(*args: str) -> bool:
    return subprocess.run(args, capture_output=True, timeout=30, check=False).returncode == 0


@contextmanager
def immutable(*paths: Path) -> Iterator[None]:
    """``chattr +i`` (even root cannot write) on ``paths``; fails when that is not possible."""
    done: list[Path] = []
    try:
        for path in paths:
            if shutil.which("chattr") is None or not _run("chattr", "+i", str(path)):
                pytest.fail("chattr +i is not available here (needs root on ext4 or similar)")
            done.append(path)
        yield
    finally:
        for path in done:
            _run("chattr", "-i", str(path))
