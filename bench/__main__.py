"""``make bench``: run every benchmark and write ``bench/results/*.json`` and a summary.

Environment: ``BENCH_QUICK=1`` runs small sizes (for a smoke check; results are marked quick).
``python -m bench --summary`` only rewrites the summary from the stored results (after running
one benchmark alone, e.g. ``python -m bench.dashboards``).
"""

from __future__ import annotations

import json
import os
import sys
import time

from bench import (
    RESULTS,
    WORK,
    accuracy,
    append_history,
    dashboards,
    exporter_spans,
    ingest,
    ingest_grpc,
    lookup,
    reads,
    run_meta,
    search,
    slo,
    write_result,
)


def main() -> None:
    quick = os.environ.get("BENCH_QUICK") == "1"
    WORK.mkdir(exist_ok=True)
    meta = run_meta(quick)
    print("ingest benchmark ...", flush=True)
    ing = ingest.run(WORK, **ingest.sizes(quick))
    write_result("ingest", meta, ing)
    append_history("ingest", meta, ingest.headline(ing))
    print(json.dumps(ing, indent=2), flush=True)
    print("OTLP/gRPC next to OTLP/HTTP ...", flush=True)
    transports = ingest_grpc.run(WORK, requests=40 if quick else 300, rounds=1 if quick else 3)
    write_result("ingest_grpc", meta, transports)
    print(json.dumps(transports, indent=2), flush=True)
    print("exporter-written spans ...", flush=True)
    exported = exporter_spans.run(WORK, **({"batches": 10, "rows": 20_000} if quick else {}))
    write_result("exporter_spans", meta, exported)
    print(json.dumps(exported, indent=2), flush=True)
    print("lookup benchmark ...", flush=True)
    started = time.perf_counter()
    look = lookup.run(
        WORK, sizes=(200_000,) if quick else (1_000_000, 10_000_000), lookups=50 if quick else 300
    )
    write_result("lookup", meta, look)
    print(json.dumps(look, indent=2), f"({time.perf_counter() - started:.0f}s)", flush=True)
    print("search benchmark ...", flush=True)
    started = time.perf_counter()
    searched = search.run(WORK, **search.sizes(quick))
    write_result("search", meta, searched)
    print(json.dumps(searched, indent=2), f"({time.perf_counter() - started:.0f}s)", flush=True)
    print("slo benchmark ...", flush=True)
    started = time.perf_counter()
    slos = slo.run(WORK, events=500_000 if quick else 10_000_000, rounds=5 if quick else 20)
    write_result("slo", meta, slos)
    print(json.dumps(slos, indent=2), f"({time.perf_counter() - started:.0f}s)", flush=True)
    print("dashboards benchmark ...", flush=True)
    started = time.perf_counter()
    dash = dashboards.run(WORK, **dashboards.sizes(quick))
    write_result("dashboards", meta, dash)
    print(json.dumps(dash, indent=2), f"({time.perf_counter() - started:.0f}s)", flush=True)
    print("reads benchmark (two sizes) ...", flush=True)
    started = time.perf_counter()
    read = reads.run(reads.QUICK_SIZES if quick else reads.SIZES, samples=3 if quick else 5)
    write_result("reads", meta, read)
    print(json.dumps(read, indent=2), f"({time.perf_counter() - started:.0f}s)", flush=True)
    print("rollup accuracy against exact figures ...", flush=True)
    exact = accuracy.measure(reads.QUICK_SIZES[1] if quick else reads.SIZES[1])
    write_result("accuracy", meta, exact)
    print(json.dumps(exact, indent=2), flush=True)
    (RESULTS / "README.md").write_text(summary())
    print(summary())


def summary() -> str:
    """The results table, from the JSON files in ``bench/results`` (each benchmark's last run;
    the date line names the run of each file)."""
    found = {name: json.loads((RESULTS / f"{name}.json").read_text())
             for name in ("ingest", "lookup", "slo", "dashboards")}
    ing, look, slos, dash = (found[k] for k in ("ingest", "lookup", "slo", "dashboards"))
    runs = ", ".join(f"{name} {data['date']}{' (quick sizes)' if data.get('quick') else ''}"
                     for name, data in found.items())
    lines = [
        "# Benchmark results",
        "",
        f"On {ing['machine']}; runs: {runs}.",
        "",
        "| figure | value | goal |",
        "|---|---|---|",
        *ingest.readme_rows(ing),
    ]
    for row in look["results"]:
        lines.append(
            f"| order lookup p50 / p99 at {row['spans']:,} spans (ms) |"
            f" {row['p50_ms']} / {row['p99_ms']} | p99 ≤ 20 at 10M |"
        )
    lines.append(
        f"| SLO status, {slos['flows']} flows x 2 SLOs, all windows, {slos['events']:,} events:"
        f" p50 ms with {slos.get('rollup_parts_after_build', '?')} rollup parts as built /"
        f" merged |"
        f" {slos['as_merged']['full_p50_ms']} / {slos['after_optimize']['full_p50_ms']} | ≤ 100 |"
    )
    lines.extend(dashboards.readme_rows(dash))
    if (RESULTS / "reads.json").exists():
        lines.extend(reads.readme_rows(json.loads((RESULTS / "reads.json").read_text())))
    if (RESULTS / "accuracy.json").exists():
        lines.extend(accuracy.readme_rows(json.loads((RESULTS / "accuracy.json").read_text())))
    if (RESULTS / "search.json").exists():
        lines.extend(search.readme_rows(json.loads((RESULTS / "search.json").read_text())))
    lines.extend(_otel_rows())
    return "\n".join(lines) + "\n"


def _otel_rows() -> list[str]:
    """Rows of the OTLP/gRPC and exporter-written-span benchmarks, when they have run."""
    rows = []
    for name in ("ingest_grpc", "exporter_spans"):
        path = RESULTS / f"{name}.json"
        if not path.exists():
            continue
        data = json.loads(path.read_text())
        when = f" ({data['date'][:10]})"
        if name == "ingest_grpc":
            rows.append(f"| ingest, durable ack, OTLP/gRPC / OTLP/HTTP, median of"
                        f" {data['rounds']} alternating rounds{when} (spans/s) |"
                        f" {data['grpc_spans_per_s']:,} / {data['http_spans_per_s']:,}"
                        f" (ratio {data['grpc_over_http']}) | |")
        else:
            rows.append(f"| exporter-written order found after its INSERT of"
                        f" {data['spans_per_batch']:,} spans, p50 / p99{when} (ms) |"
                        f" {data['delay_p50_ms']} / {data['delay_p99_ms']} | ≤ 60,000 |")
            exported, tagged = data["exporter_rows_per_s"], data["collector_tagged_rows_per_s"]
            rows.append(f"| exporter-written spans indexed vs spans flowscope tagged{when}"
                        f" (rows/s) | {exported:,} vs {tagged:,}"
                        f" (ratio {data['exporter_over_tagged']}) | |")
    return rows


if __name__ == "__main__":
    if "--summary" in sys.argv[1:]:
        (RESULTS / "README.md").write_text(summary())
        print(summary())
    else:
        main()
