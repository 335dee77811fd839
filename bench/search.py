"""Search benchmark: runs by a search key (``customer.id``) at 1M and 30M spans stored.

The lookup benchmark's generator (:mod:`bench.lookup`: ten spans per order across four services,
tagged as ingest tags them), with every span of an order carrying its customer (``customer.id``;
a customer has one order in 99,991, so about 30 runs at 30M spans), fills ``otel_traces`` after
the catalog's search keys are published
(:mod:`collector.search_rules`), so the views fill ``search_items`` as they would in
production. Measured, in one process:

1. **Ingest cost of the key**: the engine-side fill of the first size with the search key
   published, against the same fill of a second database without it (seconds per million
   spans, and the ratio: what the search views add to every insert);
2. **The lookup** (:func:`slo.search_query.matching_runs`, the point read behind
   ``GET /api/v1/search``): a fresh customer each time, the query condition cache off;
   p50 and p99 in ms (goal: p99 ≤ 20 ms);
3. **The whole search with run states** (:func:`slo.search_query.search_runs`, after the run
   ledger is built): p50 and p99 in ms; each read first catches the ledger up
   (:func:`slo.ledger.ensure_current`), as every read does.

Each size is a database of its own, filled from scratch, so its ledger is built once.

Results: ``bench/results/search.json``; ``python -m bench.search [--quick] [--sizes=1,10]``
(millions of spans; quick: 200k and 1M).
"""

from __future__ import annotations

import json
import random
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from bench import WORK, run_meta, write_result
from bench.lookup import _FILL, SPANS_PER_ORDER, fill

CUSTOMERS = 99_991
"""Distinct customers: an order's spans all carry its customer, ``'C-' || order % 99991``."""
PER_ORDER = "toString(intDiv(number, 10) % 99991)"
FILL = _FILL.replace("toString(number % 99991)", PER_ORDER)
assert FILL != _FILL, "the lookup generator changed: give each order one customer again"
CATALOG = """\
apiVersion: flowscope/v1
flows:
  - name: order-to-cash
    correlation_key: order.id
    search_keys: [customer.id]
    start: {service: storefront}
    success: {service: warehouse}
    steps:
      - {name: checkout, service: storefront}
      - {name: payment, service: payments}
      - {name: erp-sync, service: erp-sync}
      - {name: fulfilment, service: warehouse}
"""


def _percentiles(latencies: list[float]) -> dict[str, float]:
    latencies.sort()
    return {"p50_ms": round(statistics.median(latencies), 2),
            "p99_ms": round(latencies[max(0, int(len(latencies) * 0.99) - 1)], 2),
            "max_ms": round(latencies[-1], 2)}


def _customers(rnd: random.Random, used: set[int], count: int) -> list[str]:
    found = []
    while len(found) < count:
        n = rnd.randrange(CUSTOMERS)
        if n not in used:
            used.add(n)
            found.append(f"C-{n}")
    return found


def measure(wh: Any, flow: Any, lookups: int, rnd: random.Random, used: set[int],
            *, with_states: bool) -> dict[str, Any]:
    """Times of ``lookups`` fresh customers' searches (ms)."""
    from slo.search_query import matching_runs, search_runs

    latencies, runs = [], []
    for customer in _customers(rnd, used, lookups):
        started = time.perf_counter()
        if with_states:
            page = search_runs(wh, [flow], "customer.id", customer, 0, 2**62)
            runs.append(page.total)
            assert all(h.state is not None for h in page.hits), customer
        else:
            found = matching_runs(wh, [flow.name], "customer.id", customer, 0, 2**62)
            runs.append(found.total)
        latencies.append((time.perf_counter() - started) * 1000)
    return {"lookups": lookups, "runs_per_customer": round(statistics.mean(runs), 1),
            **_percentiles(latencies)}


def run(work: Path, *, sizes: tuple[int, ...] = (1_000_000, 30_000_000), lookups: int = 300,
        state_lookups: int = 100) -> dict[str, Any]:
    """Fill a fresh embedded engine in ``work`` to each size and measure (module docstring)."""
    from catalog.spec import parse_catalog
    from collector.search_rules import publish_search_rules
    from slo.ledger import RunLedger
    from warehouse.migrations import apply_migrations
    from warehouse.port import Warehouse

    catalog = parse_catalog(CATALOG)
    flow = catalog.flows[0]
    path = work / "search-engine"
    shutil.rmtree(path, ignore_errors=True)
    results: list[dict[str, Any]] = []
    rnd = random.Random(11)
    used: set[int] = set()
    settings = {"use_query_condition_cache": 0}
    with Warehouse.connect(f"chdb://{path}", database="bench_plain",
                           settings=settings) as plain:
        apply_migrations(plain)
        plain_seconds = fill(plain, sizes[0], 0, sql=FILL)
    for size in sizes:  # a database per size: each is filled, then its ledger built once
        with Warehouse.connect(f"chdb://{path}", database=f"bench_search_{size}",
                               settings=settings) as wh:
            apply_migrations(wh)
            publish_search_rules(wh, catalog, clock_ns=time.time_ns)
            seconds = fill(wh, size, 0, sql=FILL)
            wh.command("OPTIMIZE TABLE search_items FINAL")
            row: dict[str, Any] = {"spans": size, "orders": size // SPANS_PER_ORDER,
                                   "fill_seconds": round(seconds, 1)}
            if size == sizes[0]:
                row["fill_without_search_keys_seconds"] = round(plain_seconds, 1)
                row["fill_ratio_with_keys"] = round(seconds / plain_seconds, 2)
            row["lookup"] = measure(wh, flow, lookups, rnd, used, with_states=False)
            started = time.perf_counter()
            RunLedger.of(wh).rebuild([flow])  # the instance every read's catch-up then uses
            row["ledger_rebuild_seconds"] = round(time.perf_counter() - started, 1)
            row["search_with_states"] = measure(wh, flow, state_lookups, rnd, used,
                                                with_states=True)
            wh.command(f"DROP DATABASE {wh.database}")
        print(json.dumps(row), flush=True)
        results.append(row)
    shutil.rmtree(path, ignore_errors=True)
    return {"results": results}


def sizes(quick: bool) -> dict[str, Any]:
    """The arguments of :func:`run` for a full or a quick run."""
    if quick:
        return {"sizes": (200_000, 1_000_000), "lookups": 50, "state_lookups": 20}
    return {"sizes": (1_000_000, 30_000_000), "lookups": 300, "state_lookups": 100}


def readme_rows(data: dict[str, Any]) -> list[str]:
    """The rows of the results table."""
    when = f" ({data['date'][:10]})"
    rows = []
    for row in data["results"]:
        look, whole = row["lookup"], row["search_with_states"]
        rows.append(f"| search by customer, the index lookup p50 / p99 at {row['spans']:,} spans"
                    f"{when} (ms) | {look['p50_ms']} / {look['p99_ms']} | p99 ≤ 20 |")
        rows.append(f"| the same with the runs' states from the ledger, p50 / p99 (ms) |"
                    f" {whole['p50_ms']} / {whole['p99_ms']} | |")
        if "fill_ratio_with_keys" in row:
            rows.append(f"| engine-side insert with a search key / without, {row['spans']:,} "
                        f"spans | {row['fill_ratio_with_keys']} | |")
    return rows


def main() -> None:
    quick = "--quick" in sys.argv
    chosen = sizes(quick)
    for arg in sys.argv[1:]:
        if arg.startswith("--sizes="):
            chosen["sizes"] = tuple(int(float(x) * 1_000_000)
                                    for x in arg.split("=", 1)[1].split(","))
    WORK.mkdir(exist_ok=True)
    found = run(WORK, **chosen)
    write_result("search", run_meta(quick), found)
    print(json.dumps(found, indent=2))


if __name__ == "__main__":
    main()
