"""The demo's history: weeks of planned runs sent through the real ingest API in large batches.

Sending a month through the OpenTelemetry SDK at the real pace would take a month; instead the
runs of each hour (:func:`flowscope.demo.plan.plan_hour`) are encoded into OTLP/HTTP protobuf
bodies and CloudEvents batches with their historic timestamps (:mod:`flowscope.demo.wire`) and
POSTed over loopback by an ordinary HTTP client, two requests in flight, so the server decodes,
tags, spools and writes them exactly as live data. A 503 (spool full) is retried after its
``Retry-After``.

A marker file (``<data-dir>/demo-history.json``, :func:`read_marker` / :func:`write_marker`)
records how far the history reaches, so a second ``flowscope demo`` only fills the gap, and the
day of the demo's release (:func:`read_release`), so every run of the same data directory
simulates and declares the same release.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx

from flowscope.demo.flows import plan_hour
from flowscope.demo.plan import NS, Run, Volume
from flowscope.demo.wire import batches, events_body, otlp_body

MARKER = "demo-history.json"
"""File in the data directory recording the backfilled history."""

HOUR_NS = 3600 * NS


class BackfillError(Exception):
    """The server refused a backfill request (not a transient 503)."""


@dataclass(frozen=True)
class BackfillReport:
    """What a backfill sent: counts, and wall-clock seconds it took."""

    hours: int
    runs: int
    spans: int
    events: int
    requests: int
    seconds: float
    sample: str = ""
    """An order id worth tracing: the latest order replayed after a dead letter, else the
    latest successful one (every item before the end of the history); "" when none."""


Progress = Callable[[int, int, int, int], None]
"""Called after each hour with (hours done, runs, spans, events so far)."""


def _marker(data_dir: Path) -> dict[str, object]:
    """The marker's fields; empty when there is none or it cannot be read."""
    try:
        value = json.loads((data_dir / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def read_marker(data_dir: Path) -> int | None:
    """Unix ns up to which the history was backfilled, or None (no marker or unreadable)."""
    value = _marker(data_dir).get("until_ns")
    return value if isinstance(value, int) else None


def read_release(data_dir: Path) -> date | None:
    """The day of the demo's release the marker records, or None (no marker, unreadable, or
    one written before releases existed)."""
    value = _marker(data_dir).get("release")
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def write_marker(data_dir: Path, until_ns: int, report: BackfillReport) -> None:
    """Record that the history reaches ``until_ns`` (atomically replaces the marker, keeping
    the release day it records)."""
    fields: dict[str, object] = {"until_ns": until_ns, "runs": report.runs}
    release = read_release(data_dir)
    if release is not None:
        fields["release"] = release.isoformat()
    _replace_marker(data_dir, fields)


def record_release(data_dir: Path, day: date) -> None:
    """Record ``day`` as the demo's release (keeping how far the history reaches)."""
    _replace_marker(data_dir, {**_marker(data_dir), "release": day.isoformat()})


def _replace_marker(data_dir: Path, fields: dict[str, object]) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    tmp = data_dir / (MARKER + ".tmp")
    tmp.write_text(json.dumps(fields), encoding="utf-8")
    tmp.replace(data_dir / MARKER)


def plan_history(
    start_ns: int,
    end_ns: int,
    volume: Volume,
    outages: Sequence[tuple[int, int]] = (),
    seed: int = 7,
    release_ns: int | None = None,
) -> Iterator[list[Run]]:
    """The runs starting in ``[start_ns, end_ns)``, one list per hour (same seed, same runs);
    those starting before ``release_ns`` behave as before the release."""
    rnd = random.Random(seed)
    for hour_start in range(start_ns, end_ns, HOUR_NS):
        planned = plan_hour(rnd, hour_start, volume, outages, release_ns)
        yield [r for r in planned if r.start_ns < end_ns]


def backfill(
    base_url: str,
    *,
    start_ns: int,
    end_ns: int,
    volume: Volume,
    outages: Sequence[tuple[int, int]] = (),
    seed: int = 7,
    release_ns: int | None = None,
    headers: dict[str, str] | None = None,
    progress: Progress | None = None,
) -> BackfillReport:
    """Send every run starting in ``[start_ns, end_ns)`` to the server at ``base_url``.

    Runs keep their own timestamps: items of a run started just before ``end_ns`` may lie a
    little after it (they become visible to SLIs as that time comes). Runs starting before
    ``release_ns`` behave as before the release (:func:`flowscope.demo.plan.behaviour_at`).
    Raises :class:`BackfillError` when a request is refused for good.
    """
    began = time.monotonic()
    hours = 0
    runs = spans = events = requests = 0
    replayed = succeeded = ""
    pending: list[Future[None]] = []
    with (
        httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=120) as http,
        ThreadPoolExecutor(max_workers=2, thread_name_prefix="flowscope-backfill") as pool,
    ):
        for planned in plan_history(start_ns, end_ns, volume, outages, seed, release_ns):
            hours += 1
            runs += len(planned)
            for run in planned:
                if run.flow == "order-to-cash" and max(e.time_ns for e in run.events) < end_ns:
                    if run.outcome == "replayed":
                        replayed = run.correlation_id
                    elif run.outcome == "success":
                        succeeded = run.correlation_id
            for batch_spans, batch_events in batches(planned):
                spans += len(batch_spans)
                events += len(batch_events)
                if batch_spans:
                    body = otlp_body(batch_spans)
                    pending.append(
                        pool.submit(_post, http, "/v1/traces", body, "application/x-protobuf")
                    )
                    requests += 1
                if batch_events:
                    body = events_body(batch_events)
                    pending.append(
                        pool.submit(
                            _post,
                            http,
                            "/api/v1/events",
                            body,
                            "application/cloudevents-batch+json",
                        )
                    )
                    requests += 1
                while len(pending) > 4:
                    pending.pop(0).result()
            if progress is not None:
                progress(hours, runs, spans, events)
        for future in pending:
            future.result()
    seconds = time.monotonic() - began
    return BackfillReport(hours, runs, spans, events, requests, seconds, replayed or succeeded)


def _post(http: httpx.Client, path: str, body: bytes, content_type: str) -> None:
    for attempt in range(30):
        try:
            resp = http.post(path, content=body, headers={"content-type": content_type})
        except httpx.TransportError as exc:
            if attempt == 29:
                raise BackfillError(f"cannot reach the server: {exc}") from exc
            time.sleep(1.0)
            continue
        if resp.status_code in (200, 202):
            return
        if resp.status_code in (429, 503):
            time.sleep(min(10.0, float(resp.headers.get("retry-after", "1") or 1)))
            continue
        raise BackfillError(f"{path} answered {resp.status_code}: {resp.text[:300]}")
    raise BackfillError(f"{path} kept answering 503: the spool stays full")
