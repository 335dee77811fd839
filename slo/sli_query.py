"""SLI counts from ``flow_runs``: good and valid runs per window ring, for many flows at once.

One query evaluates every SLO of every flow asked for. It reads the merged per-run states
(``FINAL`` on one node; ``GROUP BY`` run on a cluster, where a run's partial states may live on
several shards), applies the catalog's rules in SQL exactly as :mod:`slo.runs` states them, and
groups determinate runs by flow, **mode** and ring (:mod:`slo.rings`):

- mode 0: no latency threshold (success-rate SLOs); determinate at the first terminal item.
- mode ``k >= 1``: the flow's ``k``-th distinct latency threshold (see :class:`FlowRules`).

Runs that became determinate inside one of the flow's maintenance intervals are left out.
Every value is a bound parameter; the SQL text varies only with the number of modes, rings and
the features in use (span matchers, maintenance), never with user strings. Times travel as
integer nanoseconds since the epoch; "never" is 2**62 ns (year 2116).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from catalog.model import Flow
from slo.maintenance import Interval
from slo.rings import RingCount, Rings, duration_ns, to_ns
from slo.run_source import merged_runs
from slo.runs import SEPARATOR, OperationMatch, operation_key, span_match
from slo.sli import Counts
from warehouse.port import Warehouse

NEVER_NS = 1 << 62
"""Stands for "no such instant" in the SQL (2**62 ns after the epoch, in 2116)."""


@dataclass(frozen=True)
class FlowRules:
    """What the SLI query needs to know about one flow.

    ``thresholds`` are the distinct latency thresholds of the flow's SLOs, ascending; mode
    ``k`` (1-based) evaluates the ``k``-th. ``maintenance`` lists the intervals whose
    determinate runs are left out (see :mod:`slo.maintenance`).
    """

    name: str
    start_spans: OperationMatch | None = None
    success_spans: OperationMatch | None = None
    dead_letter_fails: bool = False
    thresholds: tuple[timedelta, ...] = ()
    maintenance: tuple[Interval, ...] = ()

    @classmethod
    def of(cls, flow: Flow, maintenance: tuple[Interval, ...] = ()) -> FlowRules:
        """The rules of a catalog flow."""
        thresholds = sorted({s.latency.threshold for s in flow.slos if s.latency is not None})
        return cls(name=flow.name, start_spans=span_match(flow.start),
                   success_spans=span_match(flow.success),
                   dead_letter_fails=flow.failure.dead_letter, thresholds=tuple(thresholds),
                   maintenance=maintenance)

    def mode(self, threshold: timedelta | None) -> int:
        """The mode of an SLO with latency ``threshold`` (0 for none). Raises
        :class:`ValueError` for a threshold not in :attr:`thresholds`."""
        return 0 if threshold is None else self.thresholds.index(threshold) + 1


STEP_SELECTS = ("(p != '' OR n != '') AND (p = '' OR startsWith(k, p)) "
                "AND (n = '' OR position(k, n) > 0)")
"""SQL: operation key ``k`` is one of a catalog step's, given the step's ``p`` and ``n`` from
:func:`step_key_parts` (bound, or lambda arguments); as :meth:`OperationMatch.matches`."""


def step_key_parts(match: OperationMatch) -> tuple[str, str]:
    """What :data:`STEP_SELECTS` needs of a step's match: the key prefix of its service
    (``"<service>\\x1f"``: the key's first field) and the infix of its span name
    (``"\\x1f<name>\\x1f"``: the only field between two separators), each ``""`` for any. A
    match with neither selects nothing."""
    return (f"{match.service}{SEPARATOR}" if match.service else "",
            f"{SEPARATOR}{match.name}{SEPARATOR}" if match.name else "")


ModeKey = tuple[str, int]
"""``(flow name, mode)``."""


def _runs_source(wh: Warehouse, *, operations: bool, extra: Sequence[str]) -> str:
    columns = ["StartAt", "SuccessAt", "FailureAt", "DeadLetterAt"]
    if operations:
        columns.append("OpFirst")
    columns += [c for c in extra if c not in columns and c != "CorrelationId"]
    return merged_runs(wh.database, wh.cluster, columns)


def _span_first(prefix: str, exact: bool) -> str:
    """Earliest span of the flow's ``prefix`` matcher (start or success), or never.

    ``exact`` when every flow's matcher names both service and span: then the operation key is
    known (bound as ``<prefix>_key``, empty without a matcher) and one map lookup replaces
    filtering every key of ``OpFirst`` (at 1M runs about 90 instead of 250 ms per matcher).
    """
    if exact:
        key = f"{{{prefix}_key:Array(String)}}[fi]"
        return (f"if(mapContains(OpFirst, {key}), toUnixTimestamp64Nano(OpFirst[{key}]), "
                f"toInt64({NEVER_NS}))")
    service = f"{{{prefix}_service:Array(String)}}[fi]"
    name = f"{{{prefix}_name:Array(String)}}[fi]"
    matches = (f"(k, v) -> splitByChar(char(31), k)[3] = 'span'"
               f" AND ({service} = '' OR splitByChar(char(31), k)[1] = {service})"
               f" AND ({name} = '' OR splitByChar(char(31), k)[2] = {name})")
    return (f"if({{{prefix}_on:Array(UInt8)}}[fi] = 0, {NEVER_NS}, arrayMin(arrayConcat("
            f"[toInt64({NEVER_NS})], arrayMap(v -> toUnixTimestamp64Nano(v), "
            f"mapValues(mapFilter({matches}, OpFirst))))))")


def _excluded(column: str, maintenance: bool) -> str:
    if not maintenance:
        return "0"
    starts = "{maintenance_starts:Array(Array(Int64))}[fi]"
    ends = "{maintenance_ends:Array(Array(Int64))}[fi]"
    return (f"(notEmpty({starts}) AND arrayExists((a, b) -> {column} >= a AND {column} < b, "
            f"{starts}, {ends}))")


def determinations_sql(wh: Warehouse, *, modes: int, start_spans: bool, success_spans: bool,
                       maintenance: bool, extra: Sequence[str] = (), start_exact: bool = False,
                       success_exact: bool = False) -> str:
    """A SELECT giving per run: ``flow``, ``s``/``g``/``f``/``t`` (start, success, failure,
    first terminal, in ns; never when absent), ``succeeded``, and per mode ``m`` in
    ``0..modes-1`` ``det_m`` (ns; never when not determinate or inside maintenance) and
    ``good_m``; plus the ``flow_runs`` columns named in ``extra``, merged.

    Parameters: ``flows`` and the per-flow arrays aligned with it (``dead_letter``,
    ``lat_1``... and, when used, ``start_*``/``success_*`` and ``maintenance_*``).
    ``start_exact``/``success_exact``: every flow's start/success span matcher names both
    service and span (see :func:`_span_first`).
    """
    never = NEVER_NS
    start = f"ifNull(toUnixTimestamp64Nano(StartAt), {never})"
    if start_spans:
        start = f"least({start}, {_span_first('start', start_exact)})"
    success = f"ifNull(toUnixTimestamp64Nano(SuccessAt), {never})"
    if success_spans:
        success = f"least({success}, {_span_first('success', success_exact)})"
    # Layered subqueries: each layer names what the next reads, so no expression tree is
    # expanded into another (planning a flat version took longer than running it).
    times = ", ".join([
        "Flow AS flow",
        *[c for c in extra if c != "Flow"],
        "transform(Flow, {flows:Array(String)}, {positions:Array(UInt32)}, toUInt32(0)) AS fi",
        f"toInt64({start}) AS s",
        f"toInt64({success}) AS g",
        f"toInt64(least(ifNull(toUnixTimestamp64Nano(FailureAt), {never}), "
        f"if({{dead_letter:Array(UInt8)}}[fi] = 1, "
        f"ifNull(toUnixTimestamp64Nano(DeadLetterAt), {never}), {never}))) AS f",
    ])
    source = _runs_source(wh, operations=start_spans or success_spans, extra=extra)
    layer = f"SELECT {times}\nFROM ({source})"
    layer = f"SELECT *, least(g, f) AS t, g < f AS succeeded\nFROM ({layer})"
    modes_sql = ["t AS raw_0", "succeeded AS good_0"]
    for m in range(1, modes):
        modes_sql += [
            f"{{lat_{m}:Array(Int64)}}[fi] AS lat_{m}",
            f"if(lat_{m} = 0 OR (s = {never} AND succeeded), {never}, "
            f"if(s = {never}, t, least(t, s + lat_{m}))) AS raw_{m}",
            f"succeeded AND s != {never} AND g - s <= lat_{m} AS good_{m}",
        ]
    layer = f"SELECT *, {', '.join(modes_sql)}\nFROM ({layer})"
    dets = ", ".join(f"if(raw_{m} >= {never} OR {_excluded(f'raw_{m}', maintenance)}, "
                     f"{never}, raw_{m}) AS det_{m}" for m in range(modes))
    return f"SELECT *, {dets}\nFROM ({layer})"


def rules_parameters(flows: Sequence[FlowRules], modes: int) -> dict[str, Any]:
    """The bound parameters of :func:`determinations_sql` for ``flows`` (in that order)."""
    params: dict[str, Any] = {
        "flows": [f.name for f in flows],
        "positions": list(range(1, len(flows) + 1)),
        "dead_letter": [int(f.dead_letter_fails) for f in flows],
    }
    for m in range(1, modes):
        params[f"lat_{m}"] = [duration_ns(f.thresholds[m - 1]) if len(f.thresholds) >= m else 0
                              for f in flows]
    for prefix in ("start", "success"):
        matches = [f.start_spans if prefix == "start" else f.success_spans for f in flows]
        if any(match is not None for match in matches):
            params[f"{prefix}_on"] = [int(m is not None) for m in matches]
            params[f"{prefix}_service"] = [(m.service or "") if m else "" for m in matches]
            params[f"{prefix}_name"] = [(m.name or "") if m else "" for m in matches]
            params[f"{prefix}_key"] = [operation_key(m.service, m.name, "span")
                                       if m and m.service and m.name else "" for m in matches]
    if any(f.maintenance for f in flows):
        params["maintenance_starts"] = [[to_ns(i.start) for i in f.maintenance] for f in flows]
        params["maintenance_ends"] = [[to_ns(i.end) for i in f.maintenance] for f in flows]
    return params


def rules_sql(wh: Warehouse, flows: Sequence[FlowRules], modes: int,
              extra: Sequence[str] = ()) -> str:
    """:func:`determinations_sql` with the features ``flows`` use."""
    return determinations_sql(
        wh, modes=modes, extra=extra,
        start_spans=any(f.start_spans is not None for f in flows),
        success_spans=any(f.success_spans is not None for f in flows),
        maintenance=any(f.maintenance for f in flows),
        start_exact=all(_exact(f.start_spans) for f in flows),
        success_exact=all(_exact(f.success_spans) for f in flows))


def _exact(match: OperationMatch | None) -> bool:
    """True when ``match`` is absent or names both service and span."""
    return match is None or bool(match.service and match.name)


def count_rings(wh: Warehouse, flows: Sequence[FlowRules], rings: Rings
                ) -> dict[ModeKey, tuple[RingCount, ...]]:
    """Determinate runs per ``(flow, mode)`` and ring, good or not, at ``rings.at``.

    Every flow and mode asked for has an entry (empty when no run counts). Raises
    :class:`~warehouse.errors.WarehouseError` when the query fails.
    """
    flows = _distinct(flows)
    if not flows:
        return {}
    modes = 1 + max(len(f.thresholds) for f in flows)
    starts = rings.starts_ns

    def ring_column(m: int) -> str:
        inside = " + ".join(f"(det_{m} >= {{b_{i}:Int64}})" for i in range(len(starts)))
        return f"if(det_{m} >= {{at:Int64}}, 0, {inside or '0'}) AS ring_{m}"

    # One packed UInt64 key per group (flow position, then ring * 2 + good per mode in base
    # 2 * (rings + 1)): grouping on one integer is cheaper than on 2 * modes + 1 columns.
    base = 2 * (len(starts) + 1)
    codes = " + ".join(f"(ring_{m} * 2 + good_{m}) * {base ** m}" for m in range(modes))
    # No WHERE on the rings: the engine would push it down and re-plan every expression
    # below it; groups with no ring are dropped here instead.
    sql = (f"SELECT toUInt64(fi) * {base ** modes} + {codes} AS code, count() AS runs\n"
           f"FROM (\nSELECT fi, {', '.join(f'good_{m}' for m in range(modes))},\n    "
           + ",\n    ".join(ring_column(m) for m in range(modes))
           + f"\nFROM ({rules_sql(wh, flows, modes)})\n)\nGROUP BY code")
    params = rules_parameters(flows, modes)
    params["at"] = to_ns(rings.at)
    params.update({f"b_{i}": start for i, start in enumerate(starts)})
    grouped: dict[ModeKey, dict[tuple[int, bool], int]] = defaultdict(lambda: defaultdict(int))
    for code, count in wh.query(sql, params):
        position, rest = divmod(int(code), base ** modes)
        flow = flows[position - 1].name
        for m in range(modes):
            rest, cell = divmod(rest, base) if m < modes - 1 else (0, rest)
            ring, good = divmod(cell, 2)
            if ring > 0:
                grouped[(flow, m)][(ring, bool(good))] += int(count)
    result: dict[ModeKey, tuple[RingCount, ...]] = {}
    for f in flows:
        for m in range(1 + len(f.thresholds)):
            cells = grouped.get((f.name, m), {})
            result[(f.name, m)] = tuple(RingCount(r, g, n) for (r, g), n in sorted(cells.items()))
    return result


def count_slices(wh: Warehouse, flow: FlowRules, mode: int, start: datetime, end: datetime,
                 slice_length: timedelta) -> tuple[Counts, ...]:
    """Good and valid runs per time slice of ``slice_length`` from ``start`` (aware), for the
    slices that end by ``end``: ``[start + i * slice, start + (i + 1) * slice)``, one entry per
    slice in order (``Counts(0, 0)`` for a slice without determinate runs)."""
    whole = (end - start) // slice_length if end > start else 0
    if whole <= 0:
        return ()
    modes = 1 + len(flow.thresholds)
    length = duration_ns(slice_length)
    sql = (f"SELECT intDiv(det_{mode} - {{p0:Int64}}, {{slice:Int64}}) AS slice, "
           f"countIf(good_{mode}) AS good, count() AS valid\n"
           f"FROM ({rules_sql(wh, [flow], modes)})\n"
           f"WHERE det_{mode} >= {{p0:Int64}} AND det_{mode} < {{p1:Int64}}\n"
           "GROUP BY slice")
    params = rules_parameters([flow], modes)
    params.update(p0=to_ns(start), p1=to_ns(start) + whole * length, slice=length)
    found = {int(s): Counts(int(g), int(v)) for s, g, v in wh.query(sql, params)}
    return tuple(found.get(i, Counts(0, 0)) for i in range(whole))


def _distinct(flows: Sequence[FlowRules]) -> list[FlowRules]:
    seen: dict[str, FlowRules] = {}
    for flow in flows:
        seen.setdefault(flow.name, flow)
    return list(seen.values())
