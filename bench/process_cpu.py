"""CPU and memory of a running process, read from ``/proc`` (Linux), split by thread group.

The embedded engine names its threads (``MergeMutate`` for background merges, ``ThreadPool``,
``BgSchPool``...); the interpreter's threads keep the process name (``python``), so
:func:`thread_cpu` tells the Python side (HTTP, decoding, spool, the writer's and the
evaluator's Python code) from the engine's own work without any help from the server.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")

GROUPS = (
    ("python", re.compile(r"^python")),
    ("merges", re.compile(r"^(MergeMutate|MergeTree|Fetch|Move|Common)")),
    ("engine", re.compile(r".")),
)
"""Thread groups, first match wins: Python threads, background merges, the engine's other
threads (query pipelines, inserts and materialized views, schedulers)."""


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds used so far by every thread of ``pid``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def thread_cpu(pid: int) -> dict[tuple[int, str], float]:
    """CPU seconds per live thread of ``pid``, keyed by (thread id, thread name)."""
    out: dict[tuple[int, str], float] = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            text = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
        except OSError:  # the thread ended meanwhile
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        out[(int(tid), name)] = (int(fields[11]) + int(fields[12])) / _TICKS
    return out


def group_delta(
    before: Mapping[tuple[int, str], float], after: Mapping[tuple[int, str], float]
) -> dict[str, float]:
    """CPU seconds per :data:`GROUPS` entry between two :func:`thread_cpu` snapshots (threads
    that ended in between are not counted; the process total from :func:`process_cpu_s` is)."""
    spent: Counter[str] = Counter()
    for key, cpu in after.items():
        group = next(g for g, pattern in GROUPS if pattern.match(key[1]))
        spent[group] += cpu - before.get(key, 0.0)
    return {g: round(spent[g], 3) for g, _ in GROUPS}


def peak_rss_mib(pid: int) -> float:
    """Peak resident set size of ``pid`` so far (``VmHWM``), MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")
