"""Ingest benchmark: end-to-end throughput against the engine's own ceiling, in the same run.

Load (repeated ``repeats`` times, medians reported; each repetition on a fresh server and data
directory, with the example catalog, so every span is tagged and feeds every view):

1. a sender process pre-encodes ``requests`` unique OTLP protobuf requests of 1,000 spans
   (ten attributes each, an order id among them) and posts them over loopback on
   ``concurrency`` keep-alive connections; per request it records the time to the 200
   (acknowledged = fsynced in the spool): p50 / p99 ack latency;
2. acknowledged spans/s = spans / (first send → last ack); **end to end** spans/s = spans /
   (first send → spool empty), the moment the last span is queryable (an entry leaves the
   spool only once its insert has returned). The spool's SQLite file is read by the bench
   itself, so watching it costs the server nothing;
3. the server's CPU over the same span, in core-µs per span, split by thread group
   (:mod:`bench.process_cpu`), its peak RSS (``VmHWM``), and the sender's CPU;
4. the **engine ceiling**, in a separate process on the same data directory once the server
   stopped: every table emptied, then the same rows copied back with ``INSERT INTO otel_traces
   SELECT`` (every materialized view firing, as for ingest, with the writer's insert
   settings), median of three, rows/s.

The goal is the ratio end to end / ceiling: at least 0.5, never below 0.25.

Light load (:mod:`bench.ingest_light`): the server's CPU at 10 spans/s over a minute with alert
evaluation on and off, and the time from ack to queryable.

Results: ``bench/results/ingest.json`` (this run) and one line per run appended to
``bench/results/ingest-history.jsonl`` (date, commit, headline figures).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import shutil
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from bench.dashboards import percentile
from bench.ingest_light import pending_before, served
from bench.process_cpu import group_delta, peak_rss_mib, process_cpu_s, thread_cpu

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "examples" / "catalog.yaml"
SPANS_PER_REQUEST = 1000
GOAL_RATIO = 0.5
FLOOR_RATIO = 0.25
GOAL_ACK_P99_MS = 250.0
GOAL_LIGHT_CPU = 0.05
GOAL_FRESH_S = 1.0


def _sender(url: str, requests: int, concurrency: int, start: Any, queue: Any) -> None:
    from bench.otlp_payloads import make_request

    payloads = [make_request(i) for i in range(requests)]
    headers = {"content-type": "application/x-protobuf"}
    clients = [httpx.Client(base_url=url, timeout=120) for _ in range(concurrency)]
    latencies = [0.0] * requests

    def send(i: int) -> int:
        client = clients[i % concurrency]
        for _ in range(100):
            began = time.perf_counter()
            resp = client.post("/v1/traces", content=payloads[i], headers=headers)
            if resp.status_code == 200:
                latencies[i] = time.perf_counter() - began
                return SPANS_PER_REQUEST
            time.sleep(float(resp.headers.get("retry-after", "1")))
        raise RuntimeError(f"request {i} never acknowledged: {resp.status_code}")

    queue.put("ready")
    start.wait()
    cpu0 = time.process_time()
    first_send = time.time()
    with ThreadPoolExecutor(concurrency) as pool:
        spans = sum(pool.map(send, range(requests)))
    last_ack = time.time()
    for c in clients:
        c.close()
    queue.put({"spans": spans, "first_send": first_send, "last_ack": last_ack,
               "latencies": latencies, "cpu_s": time.process_time() - cpu0})


def truncate_all(wh: Any, keep: tuple[str, ...]) -> None:
    """Empty every MergeTree table of the database except ``keep``."""
    for (name,) in wh.query(
        "SELECT name FROM system.tables WHERE database = currentDatabase()"
        " AND engine LIKE '%MergeTree' AND name NOT IN {keep:Array(String)}",
        {"keep": list(keep)},
    ):
        wh.command(f"TRUNCATE TABLE `{name}`")


def _ceiling(data_dir: str, queue: Any) -> None:
    from warehouse.port import INSERT_SETTINGS, Warehouse

    with Warehouse.connect(f"chdb://{Path(data_dir) / 'clickhouse'}") as wh:
        wh.command("DROP TABLE IF EXISTS bench_copy")
        wh.command("CREATE TABLE bench_copy AS otel_traces")
        wh.command("INSERT INTO bench_copy SELECT * FROM otel_traces")
        rows = int(wh.query("SELECT count() FROM bench_copy")[0][0])
        timings, cpu = [], []
        for _ in range(3):
            truncate_all(wh, keep=("bench_copy", "flowscope_migrations"))
            started, cpu0 = time.perf_counter(), process_cpu_s(os.getpid())
            wh.command("INSERT INTO otel_traces SELECT * FROM bench_copy",
                       settings=dict(INSERT_SETTINGS))
            timings.append(time.perf_counter() - started)
            cpu.append(process_cpu_s(os.getpid()) - cpu0)
        wh.command("DROP TABLE bench_copy")
    median = statistics.median(timings)
    queue.put({"rows": rows, "seconds_median": median, "rows_per_s": rows / median,
               "cpu_us_per_row": statistics.median(cpu) * 1e6 / rows})


def load_once(work: Path, *, requests: int, concurrency: int) -> dict[str, Any]:
    """One repetition: a fresh server under load, then the ceiling on its data."""
    data_dir = work / "ingest-server"
    shutil.rmtree(data_dir, ignore_errors=True)
    ctx = mp.get_context("spawn")
    with served(data_dir, CATALOG) as (server, pid, spool):
        queue, start = ctx.Queue(), ctx.Event()
        sender = ctx.Process(target=_sender,
                             args=(server.url, requests, concurrency, start, queue))
        sender.start()
        queue.get(timeout=600)  # payloads encoded
        threads0, cpu0 = thread_cpu(pid), process_cpu_s(pid)
        start.set()
        sent = queue.get(timeout=1800)
        sender.join()
        while pending_before(spool, time.time()):
            time.sleep(0.005)
        drained = time.time()
        threads1, cpu1 = thread_cpu(pid), process_cpu_s(pid)
        rss = peak_rss_mib(pid)
    queue = ctx.Queue()
    ceiling = ctx.Process(target=_ceiling, args=(str(data_dir), queue))
    ceiling.start()
    ceil = queue.get(timeout=1800)
    ceiling.join()
    spans = sent["spans"]
    per_span = 1e6 / spans
    ack_rate = spans / (sent["last_ack"] - sent["first_send"])
    e2e_rate = spans / (drained - sent["first_send"])
    lat = sent["latencies"]
    return {
        "acked_spans_per_s": round(ack_rate),
        "end_to_end_spans_per_s": round(e2e_rate),
        "queryable_after_last_ack_s": round(drained - sent["last_ack"], 3),
        "engine_ceiling_rows_per_s": round(ceil["rows_per_s"]),
        "ratio_end_to_end": round(e2e_rate / ceil["rows_per_s"], 3),
        "ratio_acked": round(ack_rate / ceil["rows_per_s"], 3),
        "ack_p50_ms": round(statistics.median(lat) * 1000, 1),
        "ack_p99_ms": round(percentile(lat, 0.99) * 1000, 1),
        "server_peak_rss_mib": round(rss, 1),
        "server_cpu_us_per_span": round((cpu1 - cpu0) * per_span, 1),
        "server_cpu_us_per_span_by_thread_group": {
            g: round(v * per_span, 1) for g, v in group_delta(threads0, threads1).items()},
        "sender_cpu_us_per_span": round(sent["cpu_s"] * per_span, 1),
        "engine_ceiling_cpu_us_per_row": round(ceil["cpu_us_per_row"], 1),
    }


def _median_of(runs: list[dict[str, Any]], key: str) -> float:
    return round(statistics.median(r[key] for r in runs), 3)


def run(work: Path, *, requests: int = 300, concurrency: int = 4, repeats: int = 3,
        light_seconds: float = 60.0, history_spans: int = 1_000_000) -> dict[str, Any]:
    """The whole ingest benchmark in ``work``; figures as in the module docstring."""
    from bench import ingest_light

    runs = [load_once(work, requests=requests, concurrency=concurrency) for _ in range(repeats)]
    keys = ("acked_spans_per_s", "end_to_end_spans_per_s", "queryable_after_last_ack_s",
            "engine_ceiling_rows_per_s", "ratio_end_to_end", "ratio_acked", "ack_p50_ms",
            "ack_p99_ms", "server_peak_rss_mib", "server_cpu_us_per_span",
            "sender_cpu_us_per_span")
    medians = {k: _median_of(runs, k) for k in keys}
    medians["server_peak_rss_mib"] = max(r["server_peak_rss_mib"] for r in runs)
    light = (ingest_light.run(work, seconds=light_seconds, history_spans=history_spans)
             if light_seconds > 0 else None)
    return {
        "requests": requests,
        "spans_per_request": SPANS_PER_REQUEST,
        "concurrency": concurrency,
        "repeats": repeats,
        "goals": {"ratio_end_to_end": GOAL_RATIO, "ratio_floor": FLOOR_RATIO,
                  "server_peak_rss_mib": 1024, "ack_p99_ms": GOAL_ACK_P99_MS,
                  "light_cpu_core_fraction": GOAL_LIGHT_CPU, "queryable_after_ack_s": GOAL_FRESH_S},
        "load": {"median": medians, "runs": runs},
        "light": light,
    }


def sizes(quick: bool) -> dict[str, Any]:
    """:func:`run`'s sizes: full 300 requests x 3 repetitions, light windows of 60 s on 1M
    spans of history; quick 40 requests once, 20 s windows on an empty database."""
    if quick:
        return {"requests": 40, "repeats": 1, "light_seconds": 20.0, "history_spans": 0}
    return {"requests": 300, "repeats": 3, "light_seconds": 60.0, "history_spans": 1_000_000}


def headline(result: dict[str, Any]) -> dict[str, Any]:
    """The figures kept in the history file (medians of the load, the light-load CPU)."""
    med = result["load"]["median"]
    out = {k: med[k] for k in ("end_to_end_spans_per_s", "engine_ceiling_rows_per_s",
                               "ratio_end_to_end", "acked_spans_per_s", "ack_p99_ms",
                               "server_peak_rss_mib", "server_cpu_us_per_span")}
    light = result.get("light") or {}
    for shape in ("sdk", "single"):
        if shape in light:
            on, off = light[shape]["evaluation_on"], light[shape]["evaluation_off"]
            out[f"light_{shape}_cpu_eval_on"] = on["server_cpu_core_fraction"]
            out[f"light_{shape}_cpu_eval_off"] = off["server_cpu_core_fraction"]
            out[f"light_{shape}_queryable_p99_s"] = on["queryable_after_ack_p99_s"]
    return out


def readme_rows(result: dict[str, Any]) -> list[str]:
    """The summary table's rows for this benchmark."""
    med = result["load"]["median"]
    rows = [
        f"| ingest end to end (until queryable), {result['requests']:,} x 1,000-span OTLP"
        f" requests, median of {result['repeats']} (spans/s) | {med['end_to_end_spans_per_s']:,.0f}"
        " | |",
        f"| engine ceiling, INSERT ... SELECT, same run (rows/s) |"
        f" {med['engine_ceiling_rows_per_s']:,.0f} | |",
        f"| ratio end to end / ceiling | {med['ratio_end_to_end']} | ≥ {GOAL_RATIO}"
        f" (≥ {FLOOR_RATIO} minimum) |",
        f"| acknowledged (spans/s); ack latency p50 / p99 (ms) | {med['acked_spans_per_s']:,.0f};"
        f" {med['ack_p50_ms']} / {med['ack_p99_ms']} | p99 ≤ {GOAL_ACK_P99_MS:.0f} |",
        f"| server peak RSS under ingest (MiB) | {med['server_peak_rss_mib']} | ≤ 1024 |",
    ]
    light = result.get("light") or {}
    names = {"sdk": "OTel SDK exporters, 6 services", "single": "one request a second"}
    for shape, label in names.items():
        if shape not in light:
            continue
        on, off = light[shape]["evaluation_on"], light[shape]["evaluation_off"]
        rows += [
            f"| server CPU at 10 spans/s ({label}), evaluation on / off (share of a core) |"
            f" {on['server_cpu_core_fraction']:.1%} / {off['server_cpu_core_fraction']:.1%} |"
            f" ≤ {GOAL_LIGHT_CPU:.0%} |",
            f"| queryable after the ack at 10 spans/s ({label}), p50 / p99 (s) |"
            f" {on['queryable_after_ack_p50_s']} / {on['queryable_after_ack_p99_s']} |"
            f" ≤ {GOAL_FRESH_S:.0f} |",
        ]
    return rows


def main() -> None:
    """``python -m bench.ingest``: this benchmark alone (``--quick`` or ``BENCH_QUICK=1``:
    small sizes), written to ``bench/results/ingest.json`` and appended to its history."""
    import argparse
    import json

    from bench import WORK, append_history, run_meta, write_result

    parser = argparse.ArgumentParser(description="flowscope ingest benchmark")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--light-seconds", type=float, default=60.0,
                        help="light-load window per evaluation setting; 0 skips it")
    parser.add_argument("--history-spans", type=int, default=1_000_000,
                        help="spans of history under the light load (0: empty database)")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-record", action="store_true",
                        help="print only; leave bench/results alone")
    args = parser.parse_args()
    quick = args.quick or os.environ.get("BENCH_QUICK") == "1"
    WORK.mkdir(parents=True, exist_ok=True)
    meta = run_meta(quick)
    chosen = sizes(quick) if quick else dict(
        requests=args.requests, repeats=args.repeats, light_seconds=args.light_seconds,
        history_spans=args.history_spans)
    result = run(WORK, concurrency=args.concurrency, **chosen)
    print(json.dumps(result, indent=2))
    print("\n".join(readme_rows(result)))
    if not args.no_record:
        write_result("ingest", meta, result)
        append_history("ingest", meta, headline(result))


if __name__ == "__main__":
    main()
