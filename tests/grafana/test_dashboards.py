"""The Grafana dashboards run on the real schema.

Grafana is not installable here, so every panel target's ``rawSql`` and every query variable is
expanded the way Grafana and the ClickHouse plugin would (time macros; ``$var``, ``${var}`` and
the ``singlequote``, ``sqlstring`` and ``percentencode`` formats, with seeded values) and run
against a migrated database holding seeded spans, business events and alert transitions. A query
fails the test when the engine refuses it or when it returns no rows although the seeded data
should show.

The order id is a free-text box, and ClickHouse reads backslash escapes in string literals, which
Grafana's quoting formats do not escape; so the dashboards take it as
``decodeURLComponent('${order_id:percentencode}')``, which no value can break out of.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import yaml

from catalog.model import Catalog, FailureMatcher, Flow, Matcher, Step
from collector.correlation_rules import publish_rules
from slo.ledger import RunLedger
from tests.warehouse.rows import Event, Span, events_table, ns, spans_table
from warehouse.migrations import apply_migrations
from warehouse.port import Warehouse

GRAFANA = Path(__file__).resolve().parents[2] / "grafana"
DASHBOARDS = sorted((GRAFANA / "dashboards").glob("*.json"))
PROVISIONING = sorted((GRAFANA / "provisioning").rglob("*.yaml"))
PLUGIN = "grafana-clickhouse-datasource"
DATASOURCE_UID = "flowscope-clickhouse"

TO = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
FROM = TO - timedelta(hours=6)
INTERVAL_S = 60
MS = 1_000_000
VARIABLES: dict[str, tuple[str, ...]] = {
    "flow": ("order-to-cash", "refund"),
    "objective": ("0.99",),
    "order_id": ("A-1042",),
}
EXPORTER_ORDER = "A-2042"
EXPORTER_CATALOG = Catalog(flows=(Flow(name="order-to-cash", correlation_key="order.id"),))
TRACE_COLUMNS = ["traceID", "spanID", "parentSpanID", "serviceName", "operationName",
                 "startTime", "duration", "tags", "serviceTags", "statusCode",
                 "statusMessage", "kind"]


# ------------------------------------------------------------------ Grafana's expansion

def _datetime64(moment: datetime) -> str:
    return f"toDateTime64('{moment.strftime('%Y-%m-%d %H:%M:%S.%f')}', 9, 'UTC')"


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _quoted(values: Sequence[str], doubled: bool) -> str:
    """Grafana's ``sqlstring`` (``'`` doubled) or ``singlequote`` (``'`` as ``\\'``) format."""
    escaped = [v.replace("'", "''") if doubled else v.replace("'", "\\'") for v in values]
    return ",".join(f"'{v}'" for v in escaped)


MACROS: tuple[tuple[re.Pattern[str], Any], ...] = (
    (re.compile(r"\$__timeFilter\(([^)]+)\)"),
     lambda m: f"{m[1]} >= {_datetime64(FROM)} AND {m[1]} <= {_datetime64(TO)}"),
    (re.compile(r"\$__timeInterval_ms\(([^)]+)\)"),
     lambda m: f"toStartOfInterval(toDateTime64({m[1]}, 3), "
               f"INTERVAL {INTERVAL_S * 1000} millisecond)"),
    (re.compile(r"\$__timeInterval\(([^)]+)\)"),
     lambda m: f"toStartOfInterval(toDateTime({m[1]}), INTERVAL {INTERVAL_S} second)"),
    (re.compile(r"\$__fromTime\b"), lambda m: f"toDateTime({_epoch(FROM)})"),
    (re.compile(r"\$__toTime\b"), lambda m: f"toDateTime({_epoch(TO)})"),
    (re.compile(r"\$__interval_s\b"), lambda m: str(INTERVAL_S)),
)
VARIABLE = re.compile(r"\$\{(\w+)(?::(\w+))?\}|\$(?!__)(\w+)")


def expand(sql: str, variables: Mapping[str, Sequence[str]]) -> str:
    """``sql`` with Grafana's macros and template variables substituted. Raises
    :class:`KeyError` for an unknown variable and :class:`ValueError` for an unknown format or
    a macro left over."""
    for pattern, replace in MACROS:
        sql = pattern.sub(replace, sql)
    if "$__" in sql:
        raise ValueError(f"unexpanded macro in {sql!r}")

    def variable(m: re.Match[str]) -> str:
        name, fmt = (m[1], m[2]) if m[1] else (m[3], None)
        values = variables[name]
        if fmt is None:
            return ",".join(values)
        if fmt in ("singlequote", "sqlstring"):
            return _quoted(values, doubled=fmt == "sqlstring")
        if fmt == "percentencode":  # encodeURIComponentStrict; several values as {a,b}
            joined = values[0] if len(values) == 1 else "{" + ",".join(values) + "}"
            return quote(joined, safe="")
        raise ValueError(f"unknown variable format {fmt!r}")

    return VARIABLE.sub(variable, sql)


# ------------------------------------------------------------------ the dashboards' SQL

@dataclass(frozen=True)
class Query:
    """One SQL text of a dashboard: a panel target or a query variable."""

    dashboard: str
    where: str
    kind: str
    sql: str

    @property
    def label(self) -> str:
        return f"{self.dashboard} {self.where}"


def _load(path: Path) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(path.read_text())
    return body


def _panels(panels: Sequence[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for p in panels:
        yield p
        yield from _panels(p.get("panels", []))


def dashboard_queries(path: Path) -> list[Query]:
    body = _load(path)
    found = [Query(path.stem, f"variable ${v['name']}", "variable", v["query"])
             for v in body["templating"]["list"] if v["type"] == "query"]
    for p in _panels(body["panels"]):
        for t in p.get("targets", []):
            found.append(Query(path.stem, f"panel '{p['title']}' {t['refId']}",
                               t.get("queryType", "table"), t["rawSql"]))
    return found


QUERIES = [q for path in DASHBOARDS for q in dashboard_queries(path)]


# ------------------------------------------------------------------ seeded warehouse

FLOWS = (
    Flow("order-to-cash", "order.id", start=Matcher(events=("OrderPlaced",)),
         success=Matcher(events=("InvoicePosted",)),
         failure=FailureMatcher(events=("PaymentFailed",), dead_letter=True),
         steps=(Step("checkout", service="storefront"), Step("payment", service="payments"),
                Step("erp", service="erp"))),
    Flow("refund", "refund.id", success=Matcher(events=("RefundPaid",)),
         failure=FailureMatcher(dead_letter=True), steps=(Step("refunds", service="refunds"),)),
)
"""The catalog of the seeded flows (the rollups apply its rules)."""

def _at(delta: timedelta) -> int:
    return ns(TO - delta)


def _tags(order: str, flow: str) -> dict[str, str]:
    return {"flowscope.correlation_id": order, "flowscope.flow": flow, "order.id": order}


def _seed(wh: Warehouse) -> None:
    t1, t2, t3 = "a1" * 16, "a2" * 16, "a3" * 16
    wh.insert_arrow("otel_traces", spans_table([
        Span(_at(timedelta(minutes=50)), trace_id=t1, span_id="01" * 8, name="checkout",
             service="storefront", status_code="Ok",
             attributes=_tags("A-1042", "order-to-cash"), resource={"service.name": "storefront"}),
        Span(_at(timedelta(minutes=50)) + 5 * MS, trace_id=t1, span_id="02" * 8,
             parent_span_id="01" * 8, name="charge card", kind="Client",
             service="payments", attributes=_tags("A-1042", "order-to-cash")),
        Span(_at(timedelta(minutes=40)), trace_id=t2, span_id="03" * 8, name="post invoice",
             kind="Consumer", service="erp",
             attributes=_tags("A-1042", "order-to-cash")),
        Span(_at(timedelta(minutes=4)), trace_id=t3, span_id="04" * 8, name="charge card",
             service="payments", status_code="Error", status_message="declined",
             attributes=_tags("A-1043", "order-to-cash")),
        Span(_at(timedelta(minutes=30)), trace_id="b1" * 16, span_id="05" * 8,
             name="refund dead-letter", service="refunds", status_code="Error",
             attributes=_tags("R-1", "refund")),
        Span(_at(timedelta(minutes=20)), trace_id="c1" * 16, span_id="06" * 8,
             name="untagged"),
    ]))

    def event(eid: str, ago: timedelta, order: str, flow: str, outcome: str, kind: str) -> Event:
        return Event(eid, _at(ago), type=kind, source="shop", correlation_id=order, flow=flow,
                     outcome=outcome, service="shop", trace_id=t1 if order == "A-1042" else "")

    # order A-2042 as an OpenTelemetry Collector's ClickHouse exporter writes it: no flowscope
    # tags, the kind and status spelled by the exporter (one row in the older releases' spelling)
    publish_rules(wh, EXPORTER_CATALOG, clock_ns=lambda: 1)
    exported = {"order.id": EXPORTER_ORDER}
    wh.insert_arrow("otel_traces", spans_table([
        Span(_at(timedelta(minutes=45)), trace_id="d1" * 16, span_id="11" * 8, name="checkout",
             service="storefront", attributes=exported),
        Span(_at(timedelta(minutes=45)) + 5 * MS, trace_id="d1" * 16, span_id="12" * 8,
             parent_span_id="11" * 8, name="charge card", kind="Client", service="payments",
             status_code="Error", status_message="card declined", attributes=exported),
        Span(_at(timedelta(minutes=44)), trace_id="d1" * 16, span_id="13" * 8,
             parent_span_id="11" * 8, name="charge card", kind="SPAN_KIND_CLIENT",
             service="payments", status_code="STATUS_CODE_OK", attributes=exported),
    ]))
    wh.insert_arrow("business_events", events_table([
        event("e1", timedelta(minutes=51), "A-1042", "order-to-cash", "start", "OrderPlaced"),
        event("e2", timedelta(minutes=39), "A-1042", "order-to-cash", "success", "InvoicePosted"),
        event("e3", timedelta(minutes=5), "A-1043", "order-to-cash", "start", "OrderPlaced"),
        event("e4", timedelta(minutes=3), "A-1043", "order-to-cash", "failure", "PaymentFailed"),
        event("e5", timedelta(minutes=3), "A-1044", "order-to-cash", "start", "OrderPlaced"),
        event("e6", timedelta(minutes=2), "A-1044", "order-to-cash", "success", "InvoicePosted"),
        event("e7", timedelta(hours=4), "R-2", "refund", "success", "RefundPaid"),
    ]))
    at = (TO - timedelta(minutes=3)).strftime("%Y-%m-%d %H:%M:%S")
    wh.command(
        "INSERT INTO alert_transitions (At, Fingerprint, Rule, AlertName, Flow, Slo, Severity,"
        " FromState, ToState, Value, ForSeconds) VALUES"
        f" ('{at}', 'fp1', 'fast-burn', 'FlowFastBurn', 'order-to-cash', 'availability',"
        " 'page', 'inactive', 'firing', 16.5, 120)")


@pytest.fixture(scope="module")
def seeded(chdb_dsn: str) -> Iterator[Warehouse]:
    """A migrated database of its own with the seeded runs (shared by this module's tests,
    which only read it); dropped afterwards."""
    name = f"test_grafana_{uuid.uuid4().hex[:12]}"
    with Warehouse.connect(chdb_dsn, database=name) as wh:
        try:
            apply_migrations(wh)
            _seed(wh)
            RunLedger(wh).sync(FLOWS)  # the rollups the panels read, as the server keeps them
            yield wh
        finally:
            wh.command(f"DROP DATABASE IF EXISTS {name} SYNC")


# ------------------------------------------------------------------ tests

@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: f"{p.stem} is a well-formed dashboard")
def test_dashboard_is_well_formed(path: Path) -> None:
    body = _load(path)
    panels = list(_panels(body["panels"]))
    ids = [p["id"] for p in panels]
    assert body["uid"].startswith("flowscope-") and body["title"]
    assert panels and len(ids) == len(set(ids))
    for p in panels:
        assert p["targets"], p["title"]
        assert {"x", "y", "w", "h"} <= set(p["gridPos"])
        for t in p["targets"]:
            assert t["datasource"] == {"type": PLUGIN, "uid": DATASOURCE_UID}
            assert t["editorType"] == "sql" and t["rawSql"].strip()
    for v in body["templating"]["list"]:
        assert v["name"] in VARIABLES, v["name"]


def test_dashboard_uids_are_unique() -> None:
    uids = [_load(p)["uid"] for p in DASHBOARDS]
    assert len(DASHBOARDS) == 3 and len(set(uids)) == len(uids)


@pytest.mark.parametrize("path", PROVISIONING, ids=lambda p: f"{p.parent.name} provisioning parses")
def test_provisioning_parses(path: Path) -> None:
    body = yaml.safe_load(path.read_text())
    assert body["apiVersion"] == 1
    if path.parent.name == "datasources":
        (source,) = body["datasources"]
        assert (source["type"], source["uid"]) == (PLUGIN, DATASOURCE_UID)
        data = source["jsonData"]
        assert (data["protocol"], data["port"]) == ("http", 8123)
        assert data["traces"]["defaultTable"] == "otel_traces"
        assert data["traces"]["otelEnabled"] is True
    else:
        (provider,) = body["providers"]
        assert provider["type"] == "file" and provider["options"]["path"]


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("Flow IN (${flow:singlequote})", "Flow IN ('order-to-cash','refund')"),
        ("x = ${order_id:sqlstring}", "x = 'A-1042'"),
        ("'${order_id:percentencode}'", "'A-1042'"),
        ("'${flow:percentencode}'", "'%7Border-to-cash%2Crefund%7D'"),
        ("$objective + ${objective}", "0.99 + 0.99"),
        ("$__timeFilter(At)", "At >= toDateTime64('2026-03-01 06:00:00.000000', 9, 'UTC')"
                              " AND At <= toDateTime64('2026-03-01 12:00:00.000000', 9, 'UTC')"),
        ("$__timeInterval(At)", "toStartOfInterval(toDateTime(At), INTERVAL 60 second)"),
        ("$__toTime", "toDateTime(1772366400)"),
    ],
    ids=["a multi-value variable is single-quoted", "a text variable is an SQL string",
         "a text variable is percent-encoded", "several values are percent-encoded as a glob",
         "a bare variable is inserted as is", "the time filter spans the range",
         "the time interval buckets by the interval", "the range end is a DateTime"],
)
def test_expansion(template: str, expected: str) -> None:
    assert expand(template, VARIABLES) == expected


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: f"{q.label} returns rows")
def test_query_returns_rows_on_seeded_data(seeded: Warehouse, query: Query) -> None:
    rows = seeded.query(expand(query.sql, VARIABLES))
    assert rows, f"no rows from {query.label}"


def test_trace_panel_has_the_plugin_columns_and_every_trace_of_the_order(
        seeded: Warehouse) -> None:
    (trace,) = [q for q in QUERIES if q.kind == "traces"]
    rows = seeded.query_dicts(expand(trace.sql, VARIABLES))
    assert list(rows[0]) == TRACE_COLUMNS
    assert {r["traceID"] for r in rows} == {"a1" * 16, "a2" * 16}
    assert [r["startTime"] for r in rows] == sorted(r["startTime"] for r in rows)
    child = next(r for r in rows if r["spanID"] == "02" * 8)
    assert child["parentSpanID"] == "01" * 8 and child["duration"] == pytest.approx(1.5)
    assert {"key": "flowscope.correlation_id", "value": "A-1042"} in child["tags"]


@pytest.mark.parametrize(
    ("order_id", "expected"),
    [
        pytest.param("A-1042", [("storefront", "server", 1), ("payments", "client", 0),
                                ("erp", "consumer", 0)], id="rows flowscope wrote"),
        pytest.param("A-1043", [("payments", "server", 2)], id="a failed hop flowscope wrote"),
        pytest.param(EXPORTER_ORDER, [("storefront", "server", 0), ("payments", "client", 2),
                                      ("payments", "client", 1)],
                     id="rows an OpenTelemetry Collector wrote, in both spellings"),
    ],
)
def test_trace_panel_shows_kinds_and_failed_hops_whoever_wrote_the_rows(
        seeded: Warehouse, order_id: str, expected: list[tuple[str, str, int]]) -> None:
    (trace,) = [q for q in QUERIES if q.kind == "traces"]
    rows = seeded.query_dicts(expand(trace.sql, {**VARIABLES, "order_id": (order_id,)}))
    assert [(r["serviceName"], r["kind"], r["statusCode"]) for r in rows] == expected


@pytest.mark.parametrize(
    "order_id", ["no-such-order", "x' OR '1'='1", "x\\' OR 1=1 --", "A-1042' --", "A-1042 "],
    ids=["an unknown id finds nothing", "a quote in the id stays inside the string",
         "a backslash and a quote stay inside the string", "a comment stays inside the string",
         "a trailing space is part of the id"],
)
def test_order_lookup_finds_nothing_for_another_id(seeded: Warehouse, order_id: str) -> None:
    queries = [q for q in QUERIES if q.dashboard == "order-lookup"]
    assert queries
    for query in queries:
        assert seeded.query(expand(query.sql, {**VARIABLES, "order_id": (order_id,)})) == []


def test_burn_rates_follow_the_windows(seeded: Warehouse) -> None:
    (burn,) = [q for q in QUERIES if q.where.startswith("panel 'Burn rate by window'")]
    rows = {r["Flow"]: r for r in seeded.query_dicts(expand(burn.sql, VARIABLES))}
    # order-to-cash: A-1043 failed 3 min and A-1044 succeeded 2 min before the end; A-1042
    # succeeded 39 min before. refund: R-1 dead-lettered 30 min and R-2 succeeded 4 h before.
    assert rows["order-to-cash"]["burn_5m"] == pytest.approx(0.5 / 0.01)
    assert rows["order-to-cash"]["burn_1h"] == pytest.approx((1 / 3) / 0.01)
    assert rows["refund"]["burn_5m"] is None
    assert rows["refund"]["burn_6h"] == pytest.approx(0.5 / 0.01)


@pytest.mark.parametrize(
    "flow", ["x' OR '1'='1", "x\\' OR 1=1 --", "order-to-cash' --"],
    ids=["a quote in the flow stays inside the string",
         "a backslash and a quote stay inside the string", "a comment stays inside the string"],
)
def test_a_crafted_flow_variable_sees_what_an_unknown_flow_sees(
    seeded: Warehouse, flow: str
) -> None:
    queries = [q for q in QUERIES if "${flow:" in q.sql]
    assert queries
    for query in queries:
        unknown = seeded.query(expand(query.sql, {**VARIABLES, "flow": ("no-such-flow",)}))
        crafted = seeded.query(expand(query.sql, {**VARIABLES, "flow": (flow,)}))
        assert crafted == unknown, query.label
