"""Read benchmark: every figure at 3M and at 30M spans, through HTTP and in the browser.

A read must cost what its window holds, never the history before it. This benchmark fills the
dashboard benchmark's data (:mod:`bench.dashboard_data`: three flows, ten spans per run, 35
days ending about now) at two sizes with one generator, so 30M spans hold ten times as many runs
in every window as 3M, and times at each size:

1. **Rebuild** (in process, server stopped): :meth:`slo.ledger.RunLedger.rebuild` of every flow
   from its items, what migrating a database or changing a latency threshold costs, in seconds
   and seconds per 10M spans (goal: at most a minute per 10M spans).
2. **Storage**: bytes on disk of every table of the database, per stored span (goal: ≤ 80).
3. **One full alert evaluation** (in process, server stopped): the evaluator's rules over every
   flow, with the server's signals (median of 5 after a warm-up; goal ≤ 200 ms).
4. **HTTP reads** against a real ``flowscope serve`` (alert evaluation on, every 30 s; the
   scorecard cache off): ``GET /api/v1/flows``, ``/flows/order-to-cash/slos``, its latency
   and cost over 30 days, its health over 24 hours, ``/api/v1/roi`` over 30 days,
   ``/metrics``, and an order lookup with a fresh id each time; median of 5 after a warm-up
   (goal: p50 ≤ 150 ms at 30M spans, ``/metrics`` ≤ 200 ms, and at most 1.3x the 3M figure).
5. **Pages**: the executive and the on-call page rendered in headless Chromium, reading on
   every load (the watcher of :mod:`bench.dashboards`; median of 5 loads after a warm-up;
   goal ≤ 800 ms).

Results: ``bench/results/reads.json``; ``python -m bench.reads [--quick]`` (quick: 300k and 3M
spans, 3 samples).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from bench import WORK, run_meta, write_result
from bench.dashboard_data import FLOWS, Prepared, prepare

SIZES = (3_000_000, 30_000_000)
QUICK_SIZES = (300_000, 3_000_000)
READ_GOAL_MS = 150
METRICS_GOAL_MS = 200
EVALUATION_GOAL_MS = 200
PAGE_GOAL_MS = 800
GROWTH_GOAL = 1.3
REBUILD_GOAL_S_PER_10M = 60
STORAGE_GOAL_BYTES = 80

PAGES = {"executive": "/dashboards/executive", "oncall": "/dashboards/oncall"}


def _median_ms(action: Callable[[], Any], samples: int) -> float:
    action()  # warm-up: plans, caches, the ledger's catch-up
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 1)


def rebuild_and_store(prepared: Prepared, samples: int) -> dict[str, Any]:
    """Steps 1 to 3 (see the module docstring), in process on the stopped server's data."""
    from prometheus_client import CollectorRegistry

    from alerts.service import build_alerting
    from catalog.spec import load_catalog
    from flowscope.signals import AlertSignals
    from slo.ledger import RunLedger
    from slo.signals import WarehouseSignals
    from warehouse.migrations import apply_migrations
    from warehouse.port import Warehouse

    catalog = load_catalog(prepared.catalog)
    with Warehouse.connect(prepared.dsn) as wh:
        apply_migrations(wh)
        started = time.perf_counter()
        RunLedger(wh).rebuild(catalog.flows)
        rebuild_s = time.perf_counter() - started
        for table in ("run_ledger", "flow_rollup_minutes", "flow_rollup_hours", "run_index"):
            wh.command(f"OPTIMIZE TABLE {table} FINAL")
        tables = {str(t): int(b) for t, b in wh.query(
            "SELECT table, sum(bytes_on_disk) FROM system.parts WHERE active "
            "AND database = currentDatabase() GROUP BY table ORDER BY 2 DESC")}
        signals = AlertSignals(WarehouseSignals(catalog, lambda: wh))
        evaluator = build_alerting(catalog, registry=CollectorRegistry(),
                                   warehouse=lambda: wh, signals=lambda: signals,
                                   window_dirs=(prepared.catalog.parent,))
        evaluation = _median_ms(evaluator.evaluate, samples)
    total = sum(tables.values())
    return {
        "rebuild_seconds": round(rebuild_s, 1),
        "rebuild_seconds_per_10m_spans": round(rebuild_s * 10_000_000 / prepared.spans, 1),
        "bytes_per_span": round(total / prepared.spans, 1),
        "bytes_per_span_by_table": {t: round(b / prepared.spans, 2) for t, b in tables.items()},
        "alert_evaluation_ms": evaluation,
    }


@contextmanager
def _server(prepared: Prepared) -> Iterator[str]:
    from tests.flowscope.conftest import Server

    server = Server(prepared.data_dir, catalog=prepared.catalog,
                    env={"FLOWSCOPE_EVAL_INTERVAL": "30", "FLOWSCOPE_DASHBOARD_CACHE": "0"})
    server.start(wait=False)
    try:
        server.wait_ready(timeout=600)
        yield server.url
    finally:
        server.stop()


def _wait_current(base: str, timeout: float = 1800) -> float:
    """Seconds until ``/readyz`` says the rollups are current."""
    import httpx

    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        body = httpx.get(f"{base}/readyz", timeout=30).json()
        if body.get("rollups", {}).get("current"):
            return time.perf_counter() - started
        time.sleep(1)
    raise RuntimeError(f"the rollups were not current after {timeout} s")


def http_reads(base: str, prepared: Prepared, samples: int) -> dict[str, float]:
    """Step 4: median ms per read."""
    import httpx

    end = datetime.now(UTC).replace(microsecond=0)

    def rfc3339(moment: datetime) -> str:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    month = f"from={rfc3339(end - timedelta(days=30))}&to={rfc3339(end)}"
    day = f"from={rfc3339(end - timedelta(hours=24))}&to={rfc3339(end)}"
    days = f"from={(end - timedelta(days=30)).date()}&to={end.date()}"
    reads = {
        "slo status, all flows": "/api/v1/flows",
        "slos of order-to-cash": "/api/v1/flows/order-to-cash/slos",
        "latency, 30 days": f"/api/v1/flows/order-to-cash/latency?{month}",
        "health, 24 hours": f"/api/v1/flows/order-to-cash/health?{day}",
        "cost, 30 days": f"/api/v1/flows/order-to-cash/cost?{days}",
        "roi, 30 days": f"/api/v1/roi?{days}",
        "/metrics": "/metrics",
    }
    found: dict[str, float] = {}
    with httpx.Client(base_url=base, timeout=300) as client:
        for name, path in reads.items():
            def get(path: str = path) -> None:
                response = client.get(path)
                if response.status_code != 200:
                    raise RuntimeError(f"GET {path}: {response.status_code} {response.text}")
            found[name] = _median_ms(get, samples)
        runs = iter(range(7, prepared.runs, max(prepared.runs // (samples + 2), 1)))

        def lookup() -> None:
            run = next(runs)
            flow = FLOWS[0]
            response = client.get(f"/api/v1/correlations/{flow.prefix}{run}")
            if response.status_code not in (200, 404):
                raise RuntimeError(f"order lookup: {response.status_code}")
        found["order lookup (fresh ids)"] = _median_ms(lookup, samples)
    return found


def pages(base: str, samples: int) -> dict[str, float]:
    """Step 5: median ms until each page has drawn every figure."""
    from bench import dashboards

    found = {}
    with dashboards.browser() as driver:
        for name, path in PAGES.items():
            def load(path: str = path) -> None:
                dashboards.load_page(driver, base + path)
            found[name] = _median_ms(load, samples)
    return found


def measure(spans: int, samples: int) -> dict[str, Any]:
    """Every figure at one size."""
    prepared = prepare(WORK, spans)
    result: dict[str, Any] = {"spans": prepared.spans, "runs": prepared.runs,
                              "fill_seconds": prepared.fill_seconds,
                              "data_reused": prepared.reused}
    result.update(rebuild_and_store(prepared, samples))
    with _server(prepared) as base:
        result["seconds_until_rollups_current"] = round(_wait_current(base), 1)
        result["http_p50_ms"] = http_reads(base, prepared, samples)
        result["page_p50_ms"] = pages(base, samples)
    return result


def run(sizes: tuple[int, int] = SIZES, samples: int = 5) -> dict[str, Any]:
    """Both sizes, then the growth of each figure from the smaller to the larger."""
    small, large = (measure(s, samples) for s in sizes)
    growth = {name: round(large["http_p50_ms"][name] / max(small["http_p50_ms"][name], 0.1), 2)
              for name in small["http_p50_ms"]}
    growth.update({f"page {name}": round(large["page_p50_ms"][name]
                                         / max(small["page_p50_ms"][name], 0.1), 2)
                   for name in small["page_p50_ms"]})
    return {
        "goals": {"read_p50_ms": READ_GOAL_MS, "metrics_ms": METRICS_GOAL_MS,
                  "alert_evaluation_ms": EVALUATION_GOAL_MS, "page_ms": PAGE_GOAL_MS,
                  "growth": GROWTH_GOAL, "rebuild_s_per_10m": REBUILD_GOAL_S_PER_10M,
                  "bytes_per_span": STORAGE_GOAL_BYTES},
        "small": small, "large": large, "growth_large_over_small": growth,
    }


def readme_rows(result: dict[str, Any]) -> list[str]:
    """The summary table's rows: every figure at both sizes."""
    small, large = result["small"], result["large"]
    label = f"{small['spans'] / 1e6:g}M / {large['spans'] / 1e6:g}M spans"
    rows = []
    for name in small["http_p50_ms"]:
        goal = METRICS_GOAL_MS if name == "/metrics" else READ_GOAL_MS
        rows.append(f"| {name}, HTTP p50 ms, {label} | {small['http_p50_ms'][name]} / "
                    f"{large['http_p50_ms'][name]} "
                    f"({result['growth_large_over_small'][name]}x) | ≤ {goal}, ≤ {GROWTH_GOAL}x |")
    for name in small["page_p50_ms"]:
        rows.append(f"| {name} page rendered, p50 ms, {label} | {small['page_p50_ms'][name]} / "
                    f"{large['page_p50_ms'][name]} | ≤ {PAGE_GOAL_MS} |")
    rows.append(f"| one alert evaluation, ms, {label} | {small['alert_evaluation_ms']} / "
                f"{large['alert_evaluation_ms']} | ≤ {EVALUATION_GOAL_MS} |")
    rows.append(f"| rollup rebuild, s per 10M spans, {label} | "
                f"{small['rebuild_seconds_per_10m_spans']} / "
                f"{large['rebuild_seconds_per_10m_spans']} | ≤ {REBUILD_GOAL_S_PER_10M} |")
    rows.append(f"| storage, bytes per span (all tables), {label} | {small['bytes_per_span']} / "
                f"{large['bytes_per_span']} | ≤ {STORAGE_GOAL_BYTES} |")
    return rows


def main() -> None:
    """``python -m bench.reads [--quick]``: this benchmark alone."""
    quick = "--quick" in sys.argv[1:] or os.environ.get("BENCH_QUICK") == "1"
    WORK.mkdir(exist_ok=True)
    meta = run_meta(quick)
    result = run(QUICK_SIZES if quick else SIZES, samples=3 if quick else 5)
    write_result("reads", meta, result)
    print(json.dumps(result, indent=2))
    print("\n".join(readme_rows(result)))


if __name__ == "__main__":
    main()
