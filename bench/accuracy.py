"""Accuracy of the rollups on the bench data: percentiles and latency SLO counts against exact
figures computed from the items themselves.

On a prepared data directory (:mod:`bench.dashboard_data`; by default the 30M-span one the
reads benchmark fills), for each flow over the last 30 days:

- **flow-time percentiles**: p50 / p95 / p99 from :func:`slo.latency_query.flow_latency` (the
  rollups' log buckets) against ``quantilesExactInclusive`` over every succeeded run's exact
  flow time, recomputed here from ``correlation_items`` with the catalog's start and success
  spans and its dead-letter rule (goal: within 1 % relative);
- **latency SLO counts**: the good and valid runs of each latency SLO from
  :func:`slo.evaluation.evaluate_flows` against the same exact recomputation (goal: equal).

Results: ``bench/results/accuracy.json``; ``python -m bench.accuracy [SPANS]``.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from bench import WORK, run_meta, write_result
from bench.dashboard_data import prepare

NEVER = 1 << 62
_EXACT = """
SELECT quantilesExactInclusive(0.5, 0.95, 0.99)(g - s), count()
FROM ({runs})
WHERE s < {never} AND g < f AND g >= {{t0:Int64}} AND g < {{t1:Int64}}
"""
_RUNS = """
SELECT CorrelationId,
    minIf(at, ServiceName = {{start_service:String}} AND Name = {{start_span:String}}
              AND Kind = 'span') AS s0,
    minIf(at, ServiceName = {{success_service:String}} AND Name = {{success_span:String}}
              AND Kind = 'span') AS g0,
    minIf(at, match(Name, {{pattern:String}})) AS f0,
    if(s0 = 0, {never}, s0) AS s, if(g0 = 0, {never}, g0) AS g, if(f0 = 0, {never}, f0) AS f
FROM (SELECT *, toUnixTimestamp64Nano(Timestamp) AS at FROM correlation_items FINAL
      WHERE Flow = {{flow:String}})
GROUP BY CorrelationId
"""
_LATENCY_SLO = """
SELECT countIf(good), count() FROM (
    SELECT least(g, f) AS t, g < f AND g - s <= {{lat:Int64}} AS good,
           if(s = {never}, t, least(t, s + {{lat:Int64}})) AS det
    FROM ({runs})
    WHERE NOT (s = {never} AND g < f) AND least(g, f, s + {{lat:Int64}}) < {never}
)
WHERE det >= {{t0:Int64}} AND det < {{t1:Int64}}
"""


def measure(spans: int) -> dict[str, Any]:
    """Every flow's percentiles and latency SLO counts, rollups against exact."""
    from catalog.spec import load_catalog
    from slo.evaluation import WindowCatalogs, evaluate_flows
    from slo.latency_query import flow_latency
    from slo.rings import duration_ns, to_ns
    from slo.runs import DEAD_LETTER_PATTERN
    from warehouse.port import Warehouse

    prepared = prepare(WORK, spans)
    catalog = load_catalog(prepared.catalog)
    at = datetime.now(UTC).replace(microsecond=0)
    start = at - timedelta(days=30)
    found: dict[str, Any] = {}
    with Warehouse.connect(prepared.dsn) as wh:
        statuses = {s.flow: s for s in evaluate_flows(
            wh, catalog.flows, at, catalogs=WindowCatalogs(search_dirs=(prepared.catalog.parent,)))}
        for flow in catalog.flows:
            params: dict[str, Any] = {
                "flow": flow.name, "t0": to_ns(start), "t1": to_ns(at),
                "start_service": flow.start.service or "", "start_span": flow.start.span or "",
                "success_service": flow.success.service or "",
                "success_span": flow.success.span or "", "pattern": DEAD_LETTER_PATTERN}
            runs = _RUNS.format(never=NEVER)
            ((exact, count),) = wh.query(_EXACT.format(runs=runs, never=NEVER), params)
            latency = flow_latency(wh, flow, start, at).flow_time
            read = (latency.p50_ms, latency.p95_ms, latency.p99_ms)
            exact_ms = [float(q) / 1e6 for q in exact]
            errors = [abs((r or 0) - e) / e for r, e in zip(read, exact_ms, strict=True)]
            slos = []
            for spec in flow.slos:
                if spec.latency is None:
                    continue
                params["lat"] = duration_ns(spec.latency.threshold)
                ((good, valid),) = wh.query(_LATENCY_SLO.format(runs=runs, never=NEVER), params)
                status = next(s for s in statuses[flow.name].slos if s.name == spec.name)
                slos.append({"slo": spec.name, "exact_good_valid": [int(good), int(valid)],
                             "rollups_good_valid": [status.counts.good, status.counts.valid],
                             "equal": (int(good), int(valid)) == (status.counts.good,
                                                                 status.counts.valid)})
            found[flow.name] = {
                "runs_with_flow_time": int(count),
                "rollups_count": latency.count,
                "p50_p95_p99_ms_rollups": [round(r or 0, 1) for r in read],
                "p50_p95_p99_ms_exact": [round(e, 1) for e in exact_ms],
                "relative_error": [round(e, 5) for e in errors],
                "latency_slos": slos,
            }
    return {"spans": spans, "window_days": 30, "flows": found,
            "max_relative_error": max(e for f in found.values() for e in f["relative_error"]),
            "latency_slo_counts_equal": all(s["equal"] for f in found.values()
                                            for s in f["latency_slos"])}


def readme_rows(result: dict[str, Any]) -> list[str]:
    """The summary table's rows."""
    return [f"| flow-time p50/p95/p99 from the rollups vs exact, {result['spans']:,} spans,"
            f" 30 days: largest relative error | {result['max_relative_error'] * 100:.2f} % |"
            f" ≤ 1 % |",
            f"| latency SLO good/valid counts from the rollups equal the exact ones |"
            f" {'yes' if result['latency_slo_counts_equal'] else 'NO'} | equal |"]


def main() -> None:
    """``python -m bench.accuracy [SPANS]`` (default 30,000,000)."""
    spans = int(sys.argv[1]) if len(sys.argv) > 1 else 30_000_000
    result = measure(spans)
    write_result("accuracy", run_meta(spans < 30_000_000), result)
    print(json.dumps(result, indent=2))
    print("\n".join(readme_rows(result)))


if __name__ == "__main__":
    main()
