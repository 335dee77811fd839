"""``flowscope demo``: the server on the embedded engine, a month of history, then live traffic.

1. Starts ``flowscope serve`` (a child process, so server and traffic use both cores) on the
   data directory with ``<data-dir>/demo-catalog.yaml`` (``examples/catalog.yaml`` plus a
   release of order-to-cash and of lead-to-demo about ten days before the end of the first
   backfill, :mod:`flowscope.demo.releases`; the day is kept in the marker file) unless given a
   catalog; its log goes to ``<data-dir>/server.log``.
2. Backfills ``days`` (30) of history through the real ingest API in large OTLP/CloudEvents
   batches (:mod:`flowscope.demo.backfill`) with a progress bar. A second run finds the marker
   file and only fills the gap since the last one.
3. Keeps live traffic going through the OpenTelemetry SDK and CloudEvents
   (:mod:`flowscope.demo.traffic`): all three flows, lognormal hop latencies, retries, dead
   letters with manual replays, and a Stripe outage from 30 minutes before the start to 20
   minutes after it (plus an older one 12 days back), so the order-to-cash page fires. Runs
   before the release behave worse (:data:`flowscope.demo.plan.BEFORE_RELEASE`), so the
   executive page's before/after comparison has something to show.
4. Prints where to look and one order id to trace. Ctrl-C stops everything cleanly.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from flowscope.demo.backfill import (
    BackfillReport,
    backfill,
    read_marker,
    read_release,
    record_release,
    write_marker,
)
from flowscope.demo.plan import NS, Run, Volume
from flowscope.demo.releases import demo_releases, release_day, release_instant_ns, with_releases
from flowscope.demo.traffic import LiveTraffic
from flowscope.settings import Settings

EXAMPLE_CATALOG = Path(__file__).resolve().parents[2] / "examples" / "catalog.yaml"
DEMO_CATALOG = "demo-catalog.yaml"
"""The catalog the demo serves when given none: a file in the data directory."""
MINUTE_NS = 60 * NS
DAY_NS = 86400 * NS


@dataclass(frozen=True)
class DemoOptions:
    """``days`` of history (0: none), ``rate`` live runs per second, ``scale`` times the
    history's default volume (2000 orders, 400 leads, 120 refunds per weekday), ``seed`` for
    the plans (the live traffic adds its start time, so every run brings new ids)."""

    days: int = 30
    rate: float = 1.0
    scale: float = 1.0
    seed: int = 7


def outages_around(now_ns: int) -> tuple[tuple[int, int], ...]:
    """Stripe incidents: 45 minutes twelve days ago, and 30 minutes before to 20 after now."""
    old = now_ns - 12 * DAY_NS + 3 * 3600 * NS
    return (old, old + 45 * MINUTE_NS), (now_ns - 30 * MINUTE_NS, now_ns + 20 * MINUTE_NS)


def demo_release(data_dir: Path, now_ns: int, days: int) -> date:
    """The day of the demo's release: the one the data directory's marker records, else
    :func:`~flowscope.demo.releases.release_day` of a history of ``days`` ending at ``now_ns``,
    recorded at once (a marker written before releases existed gains one)."""
    day = read_release(data_dir)
    if day is None:
        day = release_day(now_ns, days)
        record_release(data_dir, day)
    return day


def write_demo_catalog(data_dir: Path, day: date, source: Path = EXAMPLE_CATALOG) -> Path:
    """Write ``source`` with the demo's releases on ``day`` to ``<data_dir>/demo-catalog.yaml``
    (replaced on every run); returns its path."""
    header = f"# Written by flowscope demo from {source}, with releases on {day.isoformat()}.\n"
    text = with_releases(source.read_text(encoding="utf-8"), demo_releases(day))
    path = data_dir / DEMO_CATALOG
    tmp = data_dir / (DEMO_CATALOG + ".tmp")
    tmp.write_text(header + text, encoding="utf-8")
    tmp.replace(path)
    return path


def wait_ready(
    base_url: str, timeout_s: float = 120.0, proc: subprocess.Popen[bytes] | None = None
) -> bool:
    """Poll ``/readyz`` until it answers 200, ``timeout_s`` passes or ``proc`` exits."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            if httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    return False


def api_headers() -> dict[str, str]:
    """``Authorization`` from ``FLOWSCOPE_API_KEY`` when set (a data dir with keys needs it)."""
    key = os.environ.get("FLOWSCOPE_API_KEY")
    return {"authorization": f"Bearer {key}"} if key else {}


def run_backfill(
    console: Console,
    base: str,
    data_dir: Path,
    options: DemoOptions,
    now_ns: int,
    release_ns: int | None = None,
) -> BackfillReport | None:
    """Fill the history up to ``now_ns`` (from the marker, else ``days`` back) with a bar;
    runs before ``release_ns`` behave as before the demo's release."""
    oldest = now_ns - options.days * DAY_NS
    start = max(read_marker(data_dir) or oldest, oldest)
    if options.days <= 0 or now_ns - start < MINUTE_NS:
        return None
    if start > oldest:
        gap_min = (now_ns - start) / MINUTE_NS
        gap = f"{gap_min:.0f} minutes" if gap_min < 120 else f"{gap_min / 60:.1f} hours"
        console.print(f"history found in {data_dir}: adding the {gap} since the last run")
    hours = -(-(now_ns - start) // (3600 * NS))
    columns = (
        TextColumn("[bold]backfilling history"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("hours  {task.fields[stats]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("backfill", total=hours, stats="")

        def progress(done: int, runs: int, spans: int, events: int) -> None:
            bar.update(
                task, completed=done, stats=f"{runs:,} runs · {spans:,} spans · {events:,} events"
            )
            if done % 24 == 0:
                write_marker(data_dir, min(now_ns, start + done * 3600 * NS), _partial(runs))

        report = backfill(
            base,
            start_ns=start,
            end_ns=now_ns,
            volume=Volume().scaled(options.scale),
            outages=outages_around(now_ns),
            seed=options.seed + start // DAY_NS,
            release_ns=release_ns,
            headers=api_headers(),
            progress=progress,
        )
    write_marker(data_dir, now_ns, report)
    console.print(
        f"backfilled {report.runs:,} runs ({report.spans:,} spans, "
        f"{report.events:,} events) in {report.seconds:.0f} s"
    )
    return report


def _partial(runs: int) -> BackfillReport:
    return BackfillReport(0, runs, 0, 0, 0, 0.0)


def banner(base: str, order_id: str | None, grpc: str | None = None) -> str:
    """Where to look, where to send spans (``grpc``: the OTLP/gRPC host:port, if served), and
    an order to trace."""
    lines = [
        f"\nflowscope demo running at {base}  (server log: <data-dir>/server.log; Ctrl-C stops)",
        f"  executive:        {base}/dashboards/executive",
        f"  on-call:          {base}/dashboards/oncall",
        f"  trace explorer:   {base}/dashboards/trace",
        f"  API docs:         {base}/docs",
        f"  flows and SLOs:   {base}/api/v1/flows",
        f"  order-to-cash:    {base}/api/v1/flows/order-to-cash/slos",
        f"  alerts:           {base}/api/v1/alerts",
        f"  metrics:          {base}/metrics",
        f"  send spans:       OTLP/HTTP {base}/v1/traces"
        + (f", OTLP/gRPC {grpc}" if grpc else ""),
    ]
    if order_id:
        lines += [
            f"  trace an order:   {base}/dashboards/trace?id={order_id}",
            f"                    flowscope trace {order_id} --url {base}",
            f"                    {base}/api/v1/correlations/{order_id}",
        ]
    return "\n".join(lines) + "\n"


def run_demo(settings: Settings, options: DemoOptions = DemoOptions()) -> int:
    """Run the demo until Ctrl-C (or the server exits); returns a process exit code."""
    console = Console(stderr=True)
    logging.getLogger("opentelemetry").setLevel(logging.CRITICAL)  # exporter retries at shutdown
    data_dir = settings.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    release = demo_release(data_dir, time.time_ns(), options.days)
    release_ns = release_instant_ns(release)
    catalog = settings.catalog or write_demo_catalog(data_dir, release)
    base = f"http://{settings.host}:{settings.port}"
    command = [
        sys.executable,
        "-m",
        "flowscope",
        "serve",
        "--host",
        settings.host,
        "--port",
        str(settings.port),
        "--grpc-port",
        str(settings.grpc_port),
        "--data-dir",
        str(data_dir),
        "--catalog",
        str(catalog),
    ]
    log_path = data_dir / "server.log"
    with log_path.open("ab") as log:
        # Its own session: the terminal's Ctrl-C reaches only us, and we stop it with SIGTERM
        # once the traffic has flushed.
        server = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
    previous = signal.signal(signal.SIGTERM, _interrupt)
    traffic: LiveTraffic | None = None
    try:
        console.print(f"starting flowscope on {base} with {catalog} (data in {data_dir})")
        if not wait_ready(base, proc=server):
            tail = log_path.read_text(encoding="utf-8", errors="replace")[-2000:]
            console.print(
                f"[bold red]the server did not start[/]; end of {log_path}:\n{tail}",
                highlight=False,
                markup=True,
            )
            return 1
        now = time.time_ns()
        report = run_backfill(console, base, data_dir, options, now, release_ns)
        traffic = LiveTraffic(
            base,
            rate=options.rate,
            volume=Volume(),
            outages=outages_around(now),
            release_ns=release_ns,
            seed=options.seed + now,  # new ids on every run
            headers=api_headers(),
        )
        shown = threading.Event()

        def announce(run: Run) -> None:
            if not shown.is_set() and run.flow == "order-to-cash":
                shown.set()
                sample = (report and report.sample) or run.correlation_id
                grpc = f"{settings.host}:{settings.grpc_port}" if settings.grpc_port else None
                sys.stdout.write(banner(base, sample, grpc))
                sys.stdout.flush()

        threading.Thread(
            target=traffic.run,
            kwargs={"on_run": announce},
            name="flowscope-demo-traffic",
            daemon=True,
        ).start()
        server.wait()
        console.print("[bold red]the server stopped[/]; see " + str(log_path))
        return 1
    except KeyboardInterrupt:
        console.print("\nstopping…")
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        if traffic is not None:
            traffic.stop()
            write_marker(data_dir, time.time_ns(), _partial(traffic.runs_started))
        _stop(server)


def _die_with_parent() -> None:
    """In the child: get SIGTERM when the demo process dies, even by SIGKILL (Linux)."""
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
