"""flowscope's benchmarks (``make bench``); results go to ``bench/results``."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results"
WORK = ROOT / "work"


def git_commit() -> str:
    """The checked-out commit (short hash, ``+dirty`` when the work tree has changes), or
    ``"unknown"`` outside a git checkout."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short=10", "HEAD"], cwd=ROOT, check=True,
                              capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=ROOT, check=True, capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty.strip() else "")


def run_meta(quick: bool) -> dict[str, Any]:
    """When and where a benchmark ran, on which commit, and whether at the quick sizes."""
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores,"
                   f" Python {platform.python_version()}",
        "quick": quick,
    }


def write_result(name: str, meta: dict[str, Any], result: dict[str, Any]) -> None:
    """``bench/results/<name>.json``: ``meta`` and ``result`` together."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps({**meta, **result}, indent=2) + "\n")


def append_history(name: str, meta: dict[str, Any], figures: dict[str, Any]) -> None:
    """Add one line (``meta`` and the headline ``figures``) to
    ``bench/results/<name>-history.jsonl``, oldest first, so a regression shows."""
    RESULTS.mkdir(exist_ok=True)
    with (RESULTS / f"{name}-history.jsonl").open("a") as history:
        history.write(json.dumps({**meta, **figures}) + "\n")
