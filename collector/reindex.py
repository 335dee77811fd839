"""Reindexing: the collector's tagging applied to rows already stored, in SQL, day by day.

Spans written to ``otel_traces`` by an OpenTelemetry Collector before flowscope was installed
(or before the catalog gained a flow) carry no ``flowscope.*`` tags, so the materialized views
never indexed them. Reindex applies the catalog's correlation rules (:mod:`collector.tagging`)
in SQL at query time and copies the missing items into ``correlation_items``, from which the
run ledger and the flow rollups are then rebuilt (by ``flowscope reindex``,
:func:`flowscope.cli.reindex.reindex_all`):

* spans: the correlation value of each flow is ``SpanAttributes[key]``, else
  ``ResourceAttributes[key]``, else ``baggage.<key>`` in either; among the flows with a value,
  one naming the span's service and span name wins, then one naming the service, then the
  first in file order. Spans already tagged keep their ``flowscope.*`` tags.
* business events without a correlation id: the key's CloudEvents extension (``orderid``), the
  attribute itself, or the data (``{"order": {"id": ...}}``); the flow listing the event type
  wins; the outcome follows the flow's start/success/failure.

Work goes one UTC day at a time (bounded memory) through the staging table ``reindex_stage``;
a day is recorded in ``reindex_progress`` (with a fingerprint of the catalog's rules) once
done, so an interrupted run resumes and a finished one is a no-op (both tables:
``warehouse/schema/014_reindex.sql``). Items already in ``correlation_items``
(same trace and span id, or event source and id) are never copied again, so even a forced
rerun adds nothing, and the ledger counts each item once anyway. The flows' search keys are then
indexed over the days done (:mod:`collector.search_backfill`).
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from catalog.model import Catalog
from collector.cloudevents import extension_name
from collector.search_backfill import SearchBackfill
from collector.search_rules import publish_search_rules
from warehouse.migrations import apply_migrations
from warehouse.port import Warehouse

PROGRESS_TABLE = "reindex_progress"
STAGE_TABLE = "reindex_stage"

_ITEM_COLUMNS = (
    "CorrelationId, Flow, Timestamp, Kind, TraceId, SpanId, ParentSpanId, ServiceName, Name, "
    "DurationNs, Status, StatusMessage, EventSource, EventId, Outcome"
)


@dataclass(frozen=True)
class DayResult:
    """Items one day added to the index (0 and 0 when it was already complete)."""

    day: date
    spans: int
    events: int
    skipped: bool


@dataclass(frozen=True)
class RulesSql:
    """The catalog's correlation rules as SQL expressions and their bound parameters."""

    span_flow: str
    span_cid: str
    event_flow: str
    event_cid: str
    event_outcome: str
    parameters: dict[str, Any]

    def fingerprint(self) -> str:
        """A short hash of the rules: a changed catalog reindexes every day again."""
        text = json.dumps(
            [self.span_flow, self.event_flow, self.parameters], sort_keys=True, default=str
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def rules_sql(catalog: Catalog) -> RulesSql:
    """Build the tagging expressions for ``catalog`` (pure; every value is a parameter)."""
    p: dict[str, Any] = {}
    keys = catalog.correlation_keys()
    defs_span, defs_event = [], []
    for i, key in enumerate(keys):
        p[f"k{i}"], p[f"b{i}"], p[f"e{i}"] = key, f"baggage.{key}", extension_name(key)
        parts = key.split(".")
        p.update({f"p{i}_{j}": part for j, part in enumerate(parts)})
        path = ", ".join(f"{{p{i}_{j}:String}}" for j in range(len(parts)))
        span_sources = [f"{m}[{{{k}{i}:String}}]" for k in "kb" for m in _SPAN_MAPS]
        event_sources = [
            f"Attributes[{{e{i}:String}}]",
            f"Attributes[{{k{i}:String}}]",
            f"JSONExtractString(Data, {{k{i}:String}})",
            f"JSONExtractString(Data, {path})",
        ]
        defs_span.append(f"{_first(span_sources)} AS sv{i}")
        defs_event.append(f"{_first(event_sources)} AS ev{i}")
    tiers: list[list[str]] = [[], [], []]
    picks: list[list[str]] = [[], [], []]
    span_cid, event_cid, outcome = [], [], []
    for n, flow in enumerate(catalog.flows):
        k = keys.index(flow.correlation_key)
        name = f"{{f{n}:String}}"
        p[f"f{n}"] = flow.name
        named = [(s.service, s.span) for s in flow.steps]
        named += [(flow.start.service, flow.start.span), (flow.success.service, flow.success.span)]
        p[f"ops{n}"] = sorted({f"{svc}\x1f{span}" for svc, span in named if svc and span})
        p[f"svc{n}"] = sorted({svc for svc, _ in named if svc})
        p[f"types{n}"] = sorted(flow.event_types())
        tiers[0].append(f"sv{k} != '' AND {_OP} IN {{ops{n}:Array(String)}}, {name}")
        tiers[1].append(f"sv{k} != '' AND ServiceName IN {{svc{n}:Array(String)}}, {name}")
        tiers[2].append(f"sv{k} != '', {name}")
        picks[0].append(f"ev{k} != '' AND Type IN {{types{n}:Array(String)}}, {name}")
        picks[1].append(f"ev{k} != '', {name}")
        picks[2].append(f"xc != '' AND Type IN {{types{n}:Array(String)}}, {name}")
        span_cid.append(f"TagFlow = {name}, sv{k}")
        event_cid.append(f"TagFlow = {name}, ev{k}")
        for role in ("start", "success", "failure"):
            p[f"{role}{n}"] = sorted(getattr(flow, role).events)
            outcome.append(f"TagFlow = {name} AND Type IN {{{role}{n}:Array(String)}}, '{role}'")
    span_choice = ", ".join(c for tier in tiers for c in tier)
    event_choice = ", ".join(c for tier in picks for c in tier)
    return RulesSql(
        span_flow="".join(f", {d}" for d in defs_span)
        + f", if(xc != '', xf, multiIf({span_choice}, '')) AS TagFlow",
        span_cid=f"if(xc != '', xc, multiIf({', '.join(span_cid)}, ''))",
        event_flow="".join(f", {d}" for d in defs_event)
        + f", if(OldCid != '', OldFlow, multiIf({event_choice}, '')) AS TagFlow",
        event_cid=f"multiIf(OldCid != '', OldCid, xc != '', xc, {', '.join(event_cid)}, '')",
        event_outcome=f"if(OldCid != '', OldOutcome, multiIf({', '.join(outcome)}, ''))",
        parameters=p,
    )


_SPAN_MAPS = ("SpanAttributes", "ResourceAttributes")
_OP = "concat(ServiceName, '\\x1f', SpanName)"


def _first(sources: list[str]) -> str:
    """The first non-empty of ``sources`` ('' when all are empty)."""
    pairs = ", ".join(f"{s} != '', {s}" for s in sources[:-1])
    return f"multiIf({pairs}, {sources[-1]})"


def _span_sql(db: str, rules: RulesSql) -> str:
    return f"""
INSERT INTO {db}.{STAGE_TABLE} ({_ITEM_COLUMNS})
SELECT {rules.span_cid} AS TagCid, TagFlow, Timestamp, 'span', TraceId, SpanId, ParentSpanId,
    ServiceName, SpanName, Duration,
    multiIf(StatusCode IN ('Error', 'STATUS_CODE_ERROR'), 'error',
            StatusCode IN ('Ok', 'STATUS_CODE_OK'), 'ok', 'unset'),
    StatusMessage, '', '', ''
FROM (
    SELECT *, SpanAttributes['flowscope.correlation_id'] AS xc,
        SpanAttributes['flowscope.flow'] AS xf {rules.span_flow}
    FROM {db}.otel_traces
    WHERE Timestamp >= {{lo:DateTime64(9)}} AND Timestamp < {{hi:DateTime64(9)}}
)
WHERE TagFlow != '' AND TagCid != ''
  AND (TraceId, SpanId) NOT IN (
    SELECT TraceId, SpanId FROM {db}.correlation_items
    WHERE Kind = 'span' AND Timestamp >= {{lo:DateTime64(9)}} AND Timestamp < {{hi:DateTime64(9)}})
"""  # noqa: S608


def _event_sql(db: str, rules: RulesSql) -> str:
    return f"""
INSERT INTO {db}.{STAGE_TABLE} ({_ITEM_COLUMNS})
SELECT {rules.event_cid} AS TagCid, TagFlow, Time, 'event', TraceId, SpanId, '', ServiceName,
    Type, toUInt64(0),
    multiIf(TagOutcome = 'failure', 'error', TagOutcome = 'success', 'ok', 'unset'),
    '', Source, EventId, {rules.event_outcome} AS TagOutcome
FROM (
    SELECT EventId, Source, Type, Time, ServiceName, TraceId, SpanId, Attributes, Data,
        CorrelationId AS OldCid, Flow AS OldFlow, Outcome AS OldOutcome,
        multiIf(Attributes['correlationid'] != '', Attributes['correlationid'],
                Attributes['flowscope.correlation_id']) AS xc {rules.event_flow}
    FROM {db}.business_events FINAL
    WHERE Time >= {{lo:DateTime64(9)}} AND Time < {{hi:DateTime64(9)}}
)
WHERE TagFlow != '' AND TagCid != ''
  AND (Source, EventId) NOT IN (
    SELECT EventSource, EventId FROM {db}.correlation_items
    WHERE Kind = 'event' AND Timestamp >= {{lo:DateTime64(9)}} AND Timestamp < {{hi:DateTime64(9)}})
"""  # noqa: S608


def engine_in_use(engine_dir: Path) -> bool:
    """True when another process holds the embedded engine's lock on ``engine_dir``.

    ClickHouse (and chDB) hold an exclusive ``flock`` on ``<dir>/status`` while they run; this
    probes it without waiting and releases it at once. A directory without one is free.
    """
    try:
        handle = (engine_dir / "status").open("rb")
    except OSError:
        return False
    with handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            return exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES)
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    return False


def data_days(wh: Warehouse, start: date | None, end: date | None) -> list[date]:
    """UTC days holding spans or events, within ``[start, end]`` (inclusive; None = open)."""
    db = wh.database
    rows = wh.query(
        f"SELECT DISTINCT d FROM (SELECT DISTINCT toDate(Timestamp, 'UTC') AS d "  # noqa: S608
        f"FROM {db}.otel_traces UNION ALL SELECT DISTINCT toDate(Time, 'UTC') AS d "
        f"FROM {db}.business_events) WHERE d >= {{lo:Date}} AND d <= {{hi:Date}} ORDER BY d",
        {"lo": start or date(1970, 1, 1), "hi": end or date(2149, 6, 1)},
    )
    return [row[0] for row in rows]


def finished_days(wh: Warehouse, fingerprint: str) -> set[date]:
    """Days a previous run finished under the same rules."""
    rows = wh.query(
        f"SELECT DISTINCT Day FROM {wh.database}.{PROGRESS_TABLE} WHERE Rules = {{r:String}}",  # noqa: S608
        {"r": fingerprint},
    )
    return {row[0] for row in rows}


def reindex_day(wh: Warehouse, rules: RulesSql, day: date, *, final: bool) -> DayResult:
    """Index the items of one UTC day that the index lacks; record the day when ``final``."""
    db = wh.database
    lo = datetime(day.year, day.month, day.day, tzinfo=UTC)
    params = {**rules.parameters, "lo": lo, "hi": lo + timedelta(days=1)}
    wh.command(f"TRUNCATE TABLE {db}.{STAGE_TABLE}")
    wh.command(_span_sql(db, rules), params)
    wh.command(_event_sql(db, rules), params)
    spans, events = wh.query(
        f"SELECT countIf(Kind = 'span'), countIf(Kind = 'event') FROM {db}.{STAGE_TABLE}"  # noqa: S608
    )[0]
    if spans or events:
        wh.command(
            f"INSERT INTO {db}.correlation_items ({_ITEM_COLUMNS}) "  # noqa: S608
            f"SELECT {_ITEM_COLUMNS} FROM {db}.{STAGE_TABLE}"
        )
    wh.command(f"TRUNCATE TABLE {db}.{STAGE_TABLE}")
    if final:
        wh.command(
            f"INSERT INTO {db}.{PROGRESS_TABLE} (Rules, Day, Spans, Events) "  # noqa: S608
            "VALUES ({r:String}, {d:Date}, {s:UInt64}, {e:UInt64})",
            {"r": rules.fingerprint(), "d": day, "s": spans, "e": events},
        )
    return DayResult(day, int(spans), int(events), skipped=False)


def index_days(
    wh: Warehouse,
    catalog: Catalog,
    *,
    start: date | None = None,
    end: date | None = None,
    today: date | None = None,
    force: bool = False,
    on_plan: Callable[[int], None] | None = None,
    on_day: Callable[[DayResult], None] | None = None,
) -> list[DayResult]:
    """Index every day of ``[start, end]`` not yet done under ``catalog``'s rules (applying
    pending migrations first, which create the progress and staging tables).

    ``force`` ignores the progress table (still safe: present items are never copied twice).
    Days from ``today`` (UTC, default the current date) on are processed but not recorded,
    since more data may still arrive for them. ``on_plan(n)`` gets the number of days,
    ``on_day`` each day's result.
    """
    apply_migrations(wh)
    rules = rules_sql(catalog)
    days = data_days(wh, start, end)
    done = set() if force else finished_days(wh, rules.fingerprint())
    cutoff = today or datetime.now(UTC).date()
    if on_plan is not None:
        on_plan(len(days))
    results = []
    for day in days:
        if day in done:
            result = DayResult(day, 0, 0, skipped=True)
        else:
            result = reindex_day(wh, rules, day, final=day < cutoff)
        results.append(result)
        if on_day is not None:
            on_day(result)
    index_search_keys(wh, catalog, [r.day for r in results if not r.skipped])
    return results


def index_search_keys(wh: Warehouse, catalog: Catalog, days: list[date]) -> None:
    """Index the search keys of ``catalog`` over ``days`` (the spans just tagged included),
    with the catalog's keys published first (:mod:`collector.search_backfill`)."""
    flows = [f.name for f in catalog.flows if f.search_keys]
    if flows and days:
        publish_search_rules(wh, catalog, clock_ns=time.time_ns)
        SearchBackfill(wh).index_days(flows, days)
