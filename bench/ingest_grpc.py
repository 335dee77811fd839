"""OTLP/gRPC ingest next to OTLP/HTTP, measured in one run against the same servers.

Each round starts a fresh ``flowscope serve`` (embedded engine, example catalog) with both
ports, then sends ``requests`` pre-encoded OTLP protobuf requests of 1,000 spans
(:mod:`bench.otlp_payloads`) over HTTP with the ingest benchmark's own sender
(:func:`bench.ingest._sender`) and as many over gRPC (other spans, so nothing is a duplicate),
each on ``concurrency`` connections from a separate process; the order of the two alternates
from round to round. spans/s = spans acknowledged (fsynced in the spool) / wall time from
first send to last ack; queryable = last ack until the spool is drained. Reports each
transport's median over the rounds and the gRPC/HTTP ratio.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from bench.ingest import CATALOG, _sender
from bench.ingest_light import pending_before
from tests.ports import free_port

TRACES = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"


def _grpc_sender(target: str, requests: int, concurrency: int, first_seed: int,
                 queue: Any) -> None:
    import grpc

    from bench.otlp_payloads import make_request

    payloads = [make_request(first_seed + i) for i in range(requests)]
    channels = [grpc.insecure_channel(target) for _ in range(concurrency)]
    stubs = [c.unary_unary(TRACES) for c in channels]

    def send(i: int) -> int:
        for _ in range(100):
            try:
                stubs[i % concurrency](payloads[i], timeout=60)
                return 1000
            except grpc.RpcError as exc:
                if exc.code() not in (grpc.StatusCode.RESOURCE_EXHAUSTED,
                                      grpc.StatusCode.UNAVAILABLE):
                    raise
                time.sleep(1)
        raise RuntimeError(f"request {i} never acknowledged")

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        spans = sum(pool.map(send, range(requests)))
    elapsed = time.perf_counter() - started
    for c in channels:
        c.close()
    queue.put({"spans": spans, "seconds": elapsed, "last_ack_wall": time.time()})


def _send(transport: str, url: str, grpc_port: int, requests: int, concurrency: int,
          ctx: Any, spool: Path) -> dict[str, float]:
    queue = ctx.Queue()
    if transport == "http":
        start = ctx.Event()
        sender = ctx.Process(target=_sender, args=(url, requests, concurrency, start, queue))
        sender.start()
        queue.get(timeout=600)  # the payloads are built: start the clock
        start.set()
        found = queue.get(timeout=1800)
        sent = {"spans": found["spans"], "seconds": found["last_ack"] - found["first_send"],
                "last_ack_wall": found["last_ack"]}
    else:
        args = (f"127.0.0.1:{grpc_port}", requests, concurrency, 1_000_000, queue)
        sender = ctx.Process(target=_grpc_sender, args=args)
        sender.start()
        sent = queue.get(timeout=1800)
    sender.join()
    while pending_before(spool, time.time()):
        time.sleep(0.02)
    return {"spans_per_s": sent["spans"] / sent["seconds"],
            "queryable_s": time.time() - sent["last_ack_wall"]}


def _round(work: Path, order: tuple[str, str], requests: int, concurrency: int,
           ctx: Any) -> dict[str, dict[str, float]]:
    data_dir = work / "ingest-grpc-server"
    subprocess.run(["rm", "-rf", str(data_dir)], check=True)
    port, grpc_port = free_port(), free_port()
    url = f"http://127.0.0.1:{port}"
    with (work / "ingest-grpc-server.log").open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "flowscope", "serve", "--port", str(port), "--grpc-port",
             str(grpc_port), "--data-dir", str(data_dir), "--catalog", str(CATALOG)],
            stdout=log, stderr=subprocess.STDOUT, env={**os.environ})
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
            spool = data_dir / "spool" / "spool.sqlite"
            return {t: _send(t, url, grpc_port, requests, concurrency, ctx, spool)
                    for t in order}
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=120)


def run(work: Path, *, requests: int = 300, concurrency: int = 4,
        rounds: int = 3) -> dict[str, Any]:
    """Run ``rounds`` rounds in ``work``; return per-transport medians and the ratio."""
    ctx = mp.get_context("spawn")
    results: dict[str, list[dict[str, float]]] = {"http": [], "grpc": []}
    for i in range(rounds):
        order = ("http", "grpc") if i % 2 == 0 else ("grpc", "http")
        for transport, figures in _round(work, order, requests, concurrency, ctx).items():
            results[transport].append(figures)

    def median(transport: str, key: str) -> float:
        return statistics.median(r[key] for r in results[transport])

    http, grpc = median("http", "spans_per_s"), median("grpc", "spans_per_s")
    return {
        "requests": requests,
        "spans_per_request": 1000,
        "concurrency": concurrency,
        "rounds": rounds,
        "http_spans_per_s": round(http),
        "grpc_spans_per_s": round(grpc),
        "grpc_over_http": round(grpc / http, 3),
        "http_queryable_after_last_ack_s": round(median("http", "queryable_s"), 3),
        "grpc_queryable_after_last_ack_s": round(median("grpc", "queryable_s"), 3),
        "per_round": {t: [round(r["spans_per_s"]) for r in rs] for t, rs in results.items()},
    }


if __name__ == "__main__":
    import argparse
    import json

    from bench import RESULTS, WORK, run_meta, write_result

    parser = argparse.ArgumentParser(description="OTLP/gRPC vs OTLP/HTTP ingest benchmark")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    result = run(WORK, requests=args.requests, rounds=args.rounds)
    write_result("ingest_grpc", run_meta(args.requests < 300), result)
    print(json.dumps(result, indent=2), f"(written to {RESULTS / 'ingest_grpc.json'})")
