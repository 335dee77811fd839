"""Ingest benchmark: durable-ack throughput over loopback vs. the engine's own INSERT ... SELECT.

Steps, in one run:
1. a sender process pre-encodes ``requests`` OTLP protobuf requests of 1,000 spans (ten
   attributes each, an order id among them), then posts them over loopback on ``concurrency``
   keep-alive connections to a fresh ``flowscope serve``; spans/s = spans acknowledged (HTTP 200,
   i.e. fsynced in the spool) / wall time from first send to last ack;
2. time until queryable = from the last ack until the spool is drained into ClickHouse;
3. the server's peak RSS (VmHWM) under that load;
4. the engine ceiling, in a separate process on the same data directory once the server stopped:
   the same rows copied to a side table, then ``INSERT INTO otel_traces SELECT * FROM`` it
   (materialized views included, as for ingest), rows/s.
The ratio ingest / ceiling is the figure the foundation issue sets a goal for (≥ 0.5; < 0.25 fails).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "examples" / "catalog.yaml"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _sender(url: str, requests: int, concurrency: int, queue: Any) -> None:
    from bench.otlp_payloads import make_request

    payloads = [make_request(i) for i in range(requests)]
    headers = {"content-type": "application/x-protobuf"}
    clients = [httpx.Client(base_url=url, timeout=60) for _ in range(concurrency)]

    def send(i: int) -> int:
        client = clients[i % concurrency]
        for _ in range(100):
            resp = client.post("/v1/traces", content=payloads[i], headers=headers)
            if resp.status_code == 200:
                return 1000
            time.sleep(float(resp.headers.get("retry-after", "1")))
        raise RuntimeError(f"request {i} never acknowledged: {resp.status_code}")

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        spans = sum(pool.map(send, range(requests)))
    elapsed = time.perf_counter() - started
    for c in clients:
        c.close()
    queue.put({"spans": spans, "seconds": elapsed, "last_ack_wall": time.time()})


def _spool_entries(url: str) -> float:
    for line in httpx.get(f"{url}/metrics", timeout=10).text.splitlines():
        if line.startswith("flowscope_spool_entries "):
            return float(line.split()[1])
    return -1.0


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _ceiling(data_dir: str, queue: Any) -> None:
    from warehouse.port import Warehouse

    with Warehouse.connect(f"chdb://{Path(data_dir) / 'clickhouse'}") as wh:
        wh.command("DROP TABLE IF EXISTS bench_copy")
        wh.command("CREATE TABLE bench_copy AS otel_traces")
        wh.command("INSERT INTO bench_copy SELECT * FROM otel_traces")
        rows = int(wh.query("SELECT count() FROM bench_copy")[0][0])
        timings = []
        for _ in range(3):
            wh.command("TRUNCATE TABLE otel_traces")
            started = time.perf_counter()
            wh.command("INSERT INTO otel_traces SELECT * FROM bench_copy")
            timings.append(time.perf_counter() - started)
        wh.command("DROP TABLE bench_copy")
    best = sorted(timings)[len(timings) // 2]
    queue.put({"rows": rows, "seconds_median": best, "rows_per_s": rows / best})


def run(work: Path, *, requests: int = 300, concurrency: int = 4) -> dict[str, Any]:
    """Run the ingest benchmark in ``work`` and return its figures."""
    data_dir = work / "ingest-server"
    subprocess.run(["rm", "-rf", str(data_dir)], check=True)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = (work / "ingest-server.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "flowscope",
            "serve",
            "--port",
            str(port),
            "--data-dir",
            str(data_dir),
            "--catalog",
            str(CATALOG),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ},
    )
    ctx = mp.get_context("spawn")
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("server did not become ready")
            time.sleep(0.2)
        queue = ctx.Queue()
        sender = ctx.Process(target=_sender, args=(url, requests, concurrency, queue))
        sender.start()
        sent = queue.get(timeout=1800)
        sender.join()
        while _spool_entries(url) != 0:
            time.sleep(0.02)
        queryable_s = time.time() - sent["last_ack_wall"]
        rss = _peak_rss_mib(proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=120)
        log.close()
    queue = ctx.Queue()
    ceiling = ctx.Process(target=_ceiling, args=(str(data_dir), queue))
    ceiling.start()
    ceil = queue.get(timeout=1800)
    ceiling.join()
    spans_per_s = sent["spans"] / sent["seconds"]
    return {
        "requests": requests,
        "spans_per_request": 1000,
        "concurrency": concurrency,
        "spans": sent["spans"],
        "ingest_seconds": round(sent["seconds"], 3),
        "ingest_spans_per_s": round(spans_per_s),
        "queryable_after_last_ack_s": round(queryable_s, 3),
        "server_peak_rss_mib": round(rss, 1),
        "engine_ceiling_rows": ceil["rows"],
        "engine_ceiling_rows_per_s": round(ceil["rows_per_s"]),
        "ratio_to_ceiling": round(spans_per_s / ceil["rows_per_s"], 3),
    }


if __name__ == "__main__":
    import argparse
    import json

    parser = argparse.ArgumentParser(description="flowscope ingest benchmark only")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    (ROOT / "bench" / "work").mkdir(parents=True, exist_ok=True)
    print(json.dumps(run(ROOT / "bench" / "work", requests=args.requests,
                         concurrency=args.concurrency), indent=2))
