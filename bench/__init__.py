"""flowscope's benchmarks (``make bench``); results go to ``bench/results``."""

from __future__ import annotations

import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results"
WORK = ROOT / "work"


def run_meta(quick: bool) -> dict[str, Any]:
    """When and where a benchmark ran, and whether at the quick sizes."""
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores,"
                   f" Python {platform.python_version()}",
        "quick": quick,
    }


def write_result(name: str, meta: dict[str, Any], result: dict[str, Any]) -> None:
    """``bench/results/<name>.json``: ``meta`` and ``result`` together."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps({**meta, **result}, indent=2) + "\n")
