"""The SQL that turns a set of runs' items into their ``run_ledger`` rows.

One SELECT, for any number of flows, reads the selected runs' items from ``correlation_items``
``FINAL`` (so a span or event stored twice counts once), and gives one row per run and minute
with every fact of the run that falls in that minute (the columns of ``run_ledger``, see
``warehouse/schema/008_run_ledger.sql``). The rules are :mod:`slo.runs`' (stated there in
Python), evaluated with each flow's :class:`~slo.ledger_rules.LedgerRules`:

- **start** ``s``: the first start event or span matching ``start``; **success** ``g``: the
  first success event or matching span; **failure** ``f``: the first failure event, or the
  first dead-lettered item when the flow fails on one; the **first terminal** ``t = min(g,
  f)`` decides: succeeded when ``g < f``.
- **determinate** per mode: mode 0 at ``t``; mode ``k`` (latency threshold ``L``) at
  ``min(t, s + L)``, good when it succeeded with ``g - s <= L``; a success without a start
  is not determinate, a failure without one is bad at the failure
  (:func:`slo.runs.determination`). ``s + L`` may lie in the future: the row for that minute
  is written now and counts once the minute is reached (readers count instants before theirs).
- **bad step** (per mode, bad runs only): the last step reached at or before the run became
  determinate (0: none), as the budget-by-partner view attributes it.
- **steps**: which operations belong to which step (and partner) is decided in Python by
  :meth:`~slo.ledger_rules.LedgerRules.masks` (:meth:`slo.runs.OperationMatch.matches`) and
  bound as 64-bit masks per operation key. A step is reached at the first start of its
  operations; time in step = their last end - first start; waiting before it = first start -
  the last end of the earlier steps reached (none when no earlier step was reached); extra
  attempts = items beyond one per operation; dead when one of its operations is dead-lettered.
- **health** of the run as it stands (on the row of the minute it entered): outcome, first
  pass (succeeded with no retry, no dead letter and no failure event), error items, per step
  reached / left (a later step reached, or succeeded) / waiting (reached, not left, not
  failed; ``WaitingSince`` holds when it got there), extra attempts, dead.
- **dead letter / replay**: the first dead-lettered item; a replay is a success after it
  (``ReplayAt``); ``OpenDead`` while no success followed it.
- **activity** per minute (each item once): items and error items, and per step calls
  (spans and events), spans, span nanoseconds (CPU time) and error items; per partner calls
  (an item of several steps of one partner is one call). ``FailDay`` is the UTC day the run
  failed on every row of a run that failed (1970-01-01 otherwise).

Inside the query times are Int64 nanoseconds ("never" is 2**62); a row stores an instant as
microseconds into its minute plus one (0: not in this minute; window bounds are whole
microseconds, so reads stay exact) and a duration as its log bucket plus one
(:mod:`slo.sketch`; 0: none). Every value is a bound parameter; the text
depends only on the number of modes and whether span matchers are exact, never on user strings.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from slo.ledger_rules import LedgerRules
from slo.rings import duration_ns
from slo.runs import DEAD_LETTER_PATTERN, SEPARATOR, operation_key
from slo.sketch import BUCKET_SQL

NEVER_NS = 1 << 62
"""Stands for "no such instant" (2**62 ns after the epoch, in 2116)."""

MINUTE_NS = 60 * 10**9

SELECT_IDS = "CorrelationId IN {ids:Array(String)}"
"""Selects the runs whose correlation ids are bound as ``ids`` (with their flows in ``flows``)."""
SELECT_RANGE = ("CorrelationId >= {lo:String} "
                "AND ({open_end:UInt8} = 1 OR CorrelationId < {hi:String})")
"""Selects the runs whose ids lie in ``[lo, hi)`` (to the end when ``open_end``): a rebuild's
chunk, read by primary key range."""

LEDGER_COLUMNS = (
    "Flow", "Minute", "CorrelationId", "Version", "Deleted", "EnteredAt", "Outcome",
    "FirstPass", "Errors", "Reached", "Left", "Dead", "WaitingSince", "Extras", "StartAt",
    "Det", "Good", "BadStep", "SuccessAt", "FlowTime", "StepFirst", "StepTime", "StepWait",
    "DeadAt", "ReplayAt", "OpenDead", "FailDay", "Items", "ItemErrors", "Calls", "Spans",
    "CpuNs", "StepErrors", "PartnerCalls")
"""The columns of ``run_ledger``, in the order :func:`ledger_rows_sql` selects them."""

OPERATIONS_SQL = ("SELECT DISTINCT Flow, ServiceName, Name, Kind FROM {table} "
                  "WHERE Flow IN {{flows:Array(String)}} AND CorrelationId != '' AND {selector}")
"""The distinct operations of the selected runs, whose masks :func:`operation_masks` gives."""

_ITEMS = """
SELECT Flow, CorrelationId,
    transform(Flow, {{flows:Array(String)}}, {{positions:Array(UInt32)}}, toUInt32(0)) AS fi,
    Kind, Outcome, Status = 'error' AS err,
    toUnixTimestamp64Nano(Timestamp) AS at,
    at + toInt64(DurationNs) AS fin,
    if(Kind = 'span', DurationNs, toUInt64(0)) AS dur,
    concat(ServiceName, char(31), Name, char(31), Kind) AS op,
    transform(concat(Flow, char(31), op), {{op_keys:Array(String)}},
              {{op_steps:Array(UInt64)}}, toUInt64(0)) AS mask,
    transform(concat(Flow, char(31), op), {{op_keys:Array(String)}},
              {{op_partners:Array(UInt64)}}, toUInt64(0)) AS pmask,
    match(Name, {{pattern:String}}) AS dead,
    intDiv(at, {minute}) AS m
FROM {items} FINAL
WHERE Flow IN {{flows:Array(String)}} AND CorrelationId != '' AND {selector}
"""

# Per run: its items as parallel arrays (an operation may appear several times: retries and
# the same operation in several minutes), with the earliest event of each kind.
_RUNS = """
SELECT Flow, CorrelationId, any(fi) AS fi,
    min(at) AS first_seen,
    min(if(Kind = 'event' AND Outcome = 'start', at, {never})) AS ev_s,
    min(if(Kind = 'event' AND Outcome = 'success', at, {never})) AS ev_g,
    min(if(Kind = 'event' AND Outcome = 'failure', at, {never})) AS ev_f,
    min(if(dead, at, {never})) AS dl,
    countIf(err) AS errors,
    groupArray(op) AS ops_key, groupArray(mask) AS ops_mask,
    groupArray(at) AS ops_first, groupArray(fin) AS ops_last, groupArray(toUInt8(dead)) AS ops_dead
FROM ({items_sql})
GROUP BY Flow, CorrelationId
"""

# Per run and minute: what it did there (each item once); per step and partner sums from the
# masks of the (few) groups of items sharing a step set.
_ACTIVITY = """
SELECT Flow, CorrelationId, m AS mm,
    toUInt32(sum(c)) AS a_items, toUInt32(sum(e)) AS a_errors,
    arrayMap(i -> toUInt32(arraySum(arrayMap((k, x) -> if(bitTest(k, i), x, 0),
             groupArray(mask), groupArray(c)))), range(any(n))) AS a_calls,
    arrayMap(i -> toUInt32(arraySum(arrayMap((k, x) -> if(bitTest(k, i), x, 0),
             groupArray(mask), groupArray(sc)))), range(any(n))) AS a_spans,
    arrayMap(i -> toUInt64(arraySum(arrayMap((k, x) -> if(bitTest(k, i), x, 0),
             groupArray(mask), groupArray(d)))), range(any(n))) AS a_cpu,
    arrayMap(i -> toUInt32(arraySum(arrayMap((k, x) -> if(bitTest(k, i), x, 0),
             groupArray(mask), groupArray(e)))), range(any(n))) AS a_step_errors,
    arrayMap(i -> toUInt32(arraySum(arrayMap((k, x) -> if(bitTest(k, i), x, 0),
             groupArray(pmask), groupArray(c)))), range(any(np))) AS a_partners
FROM (
    SELECT Flow, CorrelationId, m, mask, pmask, any(fi) AS fo,
        {{step_count:Array(UInt32)}}[fo] AS n, {{partner_count:Array(UInt32)}}[fo] AS np,
        count() AS c, countIf(err) AS e, countIf(Kind = 'span') AS sc, sum(dur) AS d
    FROM ({items_sql})
    GROUP BY Flow, CorrelationId, m, mask, pmask
)
GROUP BY Flow, CorrelationId, mm
"""


def _span_first(prefix: str, exact: bool) -> str:
    """The earliest span of the flow's ``prefix`` matcher (start or success), or never.

    ``exact`` when every flow's matcher names both service and span: comparing with the bound
    key (``<prefix>_key``, empty without a matcher) replaces splitting every operation key.
    """
    if exact:
        key = f"{{{prefix}_key:Array(String)}}[fi]"
        return (f"arrayMin(arrayConcat([toInt64({NEVER_NS})], "
                f"arrayFilter((v, k) -> k = {key}, ops_first, ops_key)))")
    service = f"{{{prefix}_service:Array(String)}}[fi]"
    name = f"{{{prefix}_name:Array(String)}}[fi]"
    matches = (f"(v, k) -> splitByChar(char(31), k)[3] = 'span'"
               f" AND ({service} = '' OR splitByChar(char(31), k)[1] = {service})"
               f" AND ({name} = '' OR splitByChar(char(31), k)[2] = {name})")
    return (f"if({{{prefix}_on:Array(UInt8)}}[fi] = 0, toInt64({NEVER_NS}), "
            f"arrayMin(arrayConcat([toInt64({NEVER_NS})], "
            f"arrayFilter({matches}, ops_first, ops_key))))")


def _exact(rules: Sequence[LedgerRules], which: str) -> bool:
    matches = [r.start_spans if which == "start" else r.success_spans for r in rules]
    return all(m is None or bool(m.service and m.name) for m in matches)


def _here(x: str) -> str:
    """SQL: instant ``x`` (ns) lies in the row's minute ``mm``."""
    return f"({x} < {NEVER_NS} AND intDiv({x}, {MINUTE_NS}) = mm)"


def _offset(x: str) -> str:
    """SQL: instant ``x`` (ns, in the row's minute) as microseconds into it, plus one."""
    return f"toUInt32(intDiv({x} - mm * {MINUTE_NS}, 1000) + 1)"


def _at(x: str) -> str:
    """SQL: :func:`_offset` of ``x`` when it lies in the row's minute, else 0."""
    return f"if({_here(x)}, {_offset(x)}, toUInt32(0))"


def _nonzero(values: str) -> str:
    """SQL: ``values``, or an empty array when every element is 0 (readers sum arrays
    element-wise and treat a missing element as 0; most rows have nothing per step)."""
    return f"if(arrayExists(v -> v != 0, {values}), {values}, [])"


def _bucket(x: str) -> str:
    """SQL: the log bucket of duration ``x`` (ns) plus one (:mod:`slo.sketch`)."""
    return f"toUInt16({BUCKET_SQL.format(v=x)} + 1)"


_STEPS = """
    arrayMap(i -> arrayFilter(j -> bitTest(ops_mask[j], i), arrayEnumerate(ops_key)),
             range({{step_count:Array(UInt32)}}[fi])) AS ops,
    arrayMap(x -> if(empty(x), toInt64({never}), arrayMin(arrayMap(j -> ops_first[j], x))), ops)
        AS firsts,
    arrayMap(x -> if(empty(x), toInt64(0), arrayMax(arrayMap(j -> ops_last[j], x))), ops)
        AS lasts,
    arrayMap(x -> notEmpty(x), ops) AS reached,
    arrayMap(i -> reached[i] AND (succeeded OR arrayExists(j -> j > i AND reached[j],
             arrayEnumerate(reached))), arrayEnumerate(reached)) AS left_steps,
    arrayMap((r, l) -> r AND NOT l AND NOT failed, reached, left_steps) AS waiting,
    arrayMap(x -> toUInt32(length(x) - arrayUniq(arrayMap(j -> ops_key[j], x))), ops) AS extras,
    arrayMap(x -> arrayExists(j -> ops_dead[j] = 1, x), ops) AS dead_steps,
    arrayMap(i -> arrayMax(arrayConcat([toInt64(0)], arraySlice(lasts, 1, i - 1))),
             arrayEnumerate(ops)) AS previous_ends,
    if(dl < {never} AND g < {never} AND g > dl, g, toInt64(0)) AS replay,
    length(ops_key) > arrayUniq(ops_key) AS retried"""

_KEEP = ("Flow, CorrelationId, first_seen, s, g, succeeded, failed, retried, dl, ev_f, errors, "
         "reached, left_steps, waiting, firsts, lasts, previous_ends, extras, dead_steps, "
         "det_all, good_all, replay, ops_first")

_BAD = f"""arrayMap((d, ok) -> if(ok = 1 OR d >= {NEVER_NS}, toUInt16(0), toUInt16(
        arrayLastIndex(x -> x >= 0 AND x = arrayMax(arrayMap(y -> if(y <= d, y, -1), firsts)),
                       arrayMap(y -> if(y <= d, y, -1), firsts)))), det_all, good_all)"""


def _row() -> str:
    entered = _here("first_seen")
    return f"""
SELECT Flow, toDateTime(mm * 60, 'UTC') AS Minute, CorrelationId,
    {{version:UInt64}} AS Version, toUInt8(0) AS Deleted,
    {_at('first_seen')} AS EnteredAt,
    toUInt8(if({entered}, if(succeeded, 1, if(failed, 2, 0)), 0)) AS Outcome,
    toUInt8({entered} AND succeeded AND NOT retried AND dl = {NEVER_NS} AND ev_f = {NEVER_NS})
        AS FirstPass,
    toUInt32(if({entered}, errors, 0)) AS Errors,
    if({entered}, arrayMap(x -> toUInt8(x), reached), []) AS Reached,
    if({entered}, arrayMap(x -> toUInt8(x), left_steps), []) AS Left,
    if({entered}, arrayMap(x -> toUInt8(x), dead_steps), []) AS Dead,
    if({entered}, arrayMap((w, x) -> if(w, x, toInt64(0)), waiting, firsts), []) AS WaitingSince,
    if({entered}, extras, []) AS Extras,
    {_at('s')} AS StartAt,
    if(det_here, arrayMap(d -> {_at('d')}, det_all), []) AS Det,
    if(det_here, arrayMap((d, ok) -> toUInt8({_here('d')} AND ok = 1), det_all, good_all), [])
        AS Good,
    if(det_here, arrayMap((d, b) -> if({_here('d')}, b, toUInt16(0)), det_all, bad_all), [])
        AS BadStep,
    if(succeeded, {_at('g')}, toUInt32(0)) AS SuccessAt,
    if(succeeded AND {_here('g')} AND s < {NEVER_NS}, {_bucket('greatest(g - s, 0)')},
       toUInt16(0)) AS FlowTime,
    if(step_here, arrayMap(x -> {_at('x')}, firsts), []) AS StepFirst,
    if(step_here, arrayMap((x, y) -> if({_here('x')}, {_bucket('greatest(y - x, 0)')},
                                       toUInt16(0)), firsts, lasts), []) AS StepTime,
    if(step_here, arrayMap((x, p) -> if({_here('x')} AND p > 0, {_bucket('greatest(x - p, 0)')},
                                       toUInt16(0)), firsts, previous_ends), []) AS StepWait,
    {_at('dl')} AS DeadAt,
    if(replay > 0, {_at('replay')}, toUInt32(0)) AS ReplayAt,
    toUInt8({_here('dl')} AND replay = 0) AS OpenDead,
    if(failed, toDate(fromUnixTimestamp64Nano(t, 'UTC')), toDate(0)) AS FailDay,
    a_items AS Items, a_errors AS ItemErrors, {_nonzero('a_calls')} AS Calls,
    {_nonzero('a_spans')} AS Spans, {_nonzero('a_cpu')} AS CpuNs,
    {_nonzero('a_step_errors')} AS StepErrors, {_nonzero('a_partners')} AS PartnerCalls"""


def ledger_rows_sql(database: str, rules: Sequence[LedgerRules], *, selector: str) -> str:
    """A SELECT of :data:`LEDGER_COLUMNS` (``Version`` bound as ``version``, ``Deleted`` 0) for
    the runs of ``rules``' flows that ``selector`` picks (:data:`SELECT_IDS` or
    :data:`SELECT_RANGE`); parameters from :func:`ledger_parameters` and
    :func:`operation_masks`."""
    modes = max((r.modes for r in rules), default=1)
    never = NEVER_NS
    items = _ITEMS.format(minute=MINUTE_NS, items=f"{database}.correlation_items",
                          selector=selector)
    runs = _RUNS.format(never=never, items_sql=items)
    start = f"least(ev_s, {_span_first('start', _exact(rules, 'start'))})"
    success = f"least(ev_g, {_span_first('success', _exact(rules, 'success'))})"
    layer = (f"SELECT *, toInt64({start}) AS s, toInt64({success}) AS g,\n"
             f"    toInt64(least(ev_f, if({{dead_letter:Array(UInt8)}}[fi] = 1, dl, "
             f"toInt64({never})))) AS f\nFROM ({runs})")
    layer = (f"SELECT *, least(g, f) AS t, g < f AS succeeded,\n"
             f"    t < {never} AND NOT succeeded AS failed\nFROM ({layer})")
    dets = ["t"]
    goods = ["succeeded"]
    for k in range(1, modes):
        lat = f"{{lat_{k}:Array(Int64)}}[fi]"
        dets.append(f"if({lat} = 0 OR (s = {never} AND succeeded), toInt64({never}), "
                    f"if(s = {never}, t, least(t, s + {lat})))")
        goods.append(f"succeeded AND s != {never} AND g - s <= {lat}")
    layer = (f"SELECT *, {_STEPS.format(never=never)},\n"
             f"    [{', '.join(f'toInt64({d})' for d in dets)}] AS det_all,\n"
             f"    [{', '.join(f'toUInt8({g})' for g in goods)}] AS good_all\nFROM ({layer})")
    minutes = (f"arrayDistinct(arrayMap(d -> intDiv(d, {MINUTE_NS}), arrayConcat(ops_first, "
               f"arrayFilter(d -> d < {never}, det_all))))")
    layer = (f"SELECT {_KEEP}, t, {_BAD} AS bad_all, {minutes} AS row_minutes\n"
             f"FROM ({layer})")
    activity = _ACTIVITY.format(items_sql=items)
    here = (f"arrayExists(d -> {_here('d')}, det_all) AS det_here, "
            f"arrayExists(x -> {_here('x')}, firsts) AS step_here")
    return (f"{_row()}\nFROM (SELECT *, mm, {here} FROM ({layer}) ARRAY JOIN row_minutes AS mm) "  # noqa: S608
            f"AS r\n"
            f"ANY LEFT JOIN ({activity}) AS a USING (Flow, CorrelationId, mm)")


def ledger_parameters(rules: Sequence[LedgerRules]) -> dict[str, Any]:
    """The bound parameters of :func:`ledger_rows_sql` for ``rules`` (in that order), except
    ``version``, the operation masks (:func:`operation_masks`) and the selector's (``ids``, or
    ``lo``/``hi``/``open_end``)."""
    modes = max((r.modes for r in rules), default=1)
    params: dict[str, Any] = {
        "flows": [r.name for r in rules],
        "positions": list(range(1, len(rules) + 1)),
        "dead_letter": [int(r.dead_letter_fails) for r in rules],
        "pattern": DEAD_LETTER_PATTERN,
        "step_count": [r.step_count for r in rules],
        "partner_count": [min(len(r.partners), r.step_count) for r in rules],
    }
    for k in range(1, modes):
        params[f"lat_{k}"] = [duration_ns(r.thresholds[k - 1]) if len(r.thresholds) >= k else 0
                              for r in rules]
    for which in ("start", "success"):
        matches = [r.start_spans if which == "start" else r.success_spans for r in rules]
        params[f"{which}_on"] = [int(m is not None) for m in matches]
        params[f"{which}_service"] = [(m.service or "") if m else "" for m in matches]
        params[f"{which}_name"] = [(m.name or "") if m else "" for m in matches]
        params[f"{which}_key"] = [r.span_key(which) for r in rules]
    return params


def operation_masks(rules: Sequence[LedgerRules],
                    operations: Iterable[tuple[str, str, str, str]]) -> dict[str, Any]:
    """The ``op_keys``/``op_steps``/``op_partners`` parameters for ``operations`` (rows of
    :data:`OPERATIONS_SQL`: flow, service, name, kind): each key is
    ``"<flow>\\x1f<operation key>"`` with its step and partner masks
    (:meth:`~slo.ledger_rules.LedgerRules.masks`); operations of no step are left out."""
    by_name = {r.name: r for r in rules}
    keys: list[str] = []
    steps: list[int] = []
    partners: list[int] = []
    for flow, service, name, kind in operations:
        chosen = by_name.get(flow)
        if chosen is None:
            continue
        key = operation_key(service, name, "span" if kind == "span" else "event")
        step_mask, partner_mask = chosen.masks(key)
        if step_mask:
            keys.append(f"{flow}{SEPARATOR}{key}")
            steps.append(step_mask)
            partners.append(partner_mask)
    return {"op_keys": keys, "op_steps": steps, "op_partners": partners}
