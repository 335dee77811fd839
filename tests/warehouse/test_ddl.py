"""DDL rendering: placeholders, cluster variants, and every rendered statement parses."""

from __future__ import annotations

import re

import pytest

from warehouse.ddl import engine, migration_from_file, render, split_statements
from warehouse.errors import InvalidDsn, QueryError
from warehouse.migrations import LEDGER_DDL, bundled_migrations
from warehouse.port import Warehouse

MIGRATIONS = bundled_migrations()
ALL_SQL = "\n".join(m.sql for m in MIGRATIONS)


def _all(cluster: str | None, ttl_days: int | None = None) -> list[str]:
    return [
        statement
        for m in MIGRATIONS
        for statement in render(m.sql, database="flows", cluster=cluster, ttl_days=ttl_days)
    ]


def _ledger(cluster: str | None) -> list[str]:
    return render(LEDGER_DDL, database="flows", cluster=cluster)


def test_the_bundled_files_are_numbered_in_order() -> None:
    assert [(m.version, m.name) for m in MIGRATIONS] == [
        (1, "001_otel_traces"),
        (2, "002_business_events"),
        (3, "003_correlation_index"),
        (4, "004_flow_runs"),
        (5, "005_audit"),
        (6, "006_alerts"),
        (7, "007_cost_spend"),
        (8, "008_run_ledger"),
        (9, "009_drop_run_aggregates"),
        (10, "010_status_spelling"),
        (11, "011_untagged_spans"),
        (12, "012_search_keys"),
        (13, "013_operations"),
        (14, "014_reindex"),
    ]


@pytest.mark.parametrize(
    "cluster",
    [pytest.param(None, id="without a cluster"), pytest.param("main", id="with a cluster")],
)
@pytest.mark.parametrize(
    "ttl_days", [pytest.param(None, id="no ttl"), pytest.param(30, id="a 30 day ttl")]
)
def test_every_rendered_statement_parses(
    engine: Warehouse, cluster: str | None, ttl_days: int | None
) -> None:
    statements = _all(cluster, ttl_days) + _ledger(cluster)
    assert statements
    for statement in statements:
        assert "{{" not in statement and "--" not in statement
        [(formatted,)] = engine.query("SELECT formatQuery({q:String})", {"q": statement})
        assert formatted.startswith(("CREATE", "DROP", "ALTER TABLE"))


def test_without_a_cluster_the_ddl_is_plain() -> None:
    statements = _all(None)
    text = "\n".join(statements)
    assert "ON CLUSTER" not in text
    assert "Replicated" not in text
    assert "Distributed" not in text
    assert "_local" not in text
    # only the run changes keep a retention of their own (3 days) without FLOWSCOPE_TTL_DAYS
    assert [s for s in statements if "TTL" in s] == [
        s for s in statements if s.startswith("CREATE TABLE IF NOT EXISTS flows.run_changes ")]
    # 001: 2 tables + MV, 002: 1 table, 003: 2 tables + 4 MVs, 004: 2 tables + 2 MVs,
    # 005: 1 table, 006: 2 tables, 007: 1 table, 008: 8 tables + 2 MVs, 009: 4 + 6 drops,
    # 010: 1 view changed, 011: 2 tables + 2 MVs, 012: 7 tables + 7 MVs, 013: 3 tables,
    # 014: 2 tables
    assert len(statements) == 3 + 1 + 6 + 4 + 1 + 2 + 1 + 10 + 10 + 1 + 4 + 14 + 3 + 2


def test_with_a_cluster_every_create_runs_on_the_cluster() -> None:
    for statement in _all("main") + _ledger("main"):
        assert re.match(
            r"(CREATE (TABLE|MATERIALIZED VIEW) IF NOT EXISTS|DROP (TABLE|VIEW) IF EXISTS|"
            r"ALTER TABLE) flows\.\w+ ON CLUSTER main",
            statement,
        ), statement


@pytest.mark.parametrize(
    ("table", "sharding_key"),
    [
        pytest.param("otel_traces", "cityHash64(TraceId)", id="spans are sharded by trace id"),
        pytest.param(
            "otel_traces_trace_id_ts", "cityHash64(TraceId)", id="the trace lookup by trace id"
        ),
        pytest.param(
            "business_events", "cityHash64(Source, EventId)", id="events by source and id"
        ),
        pytest.param(
            "correlation_items", "cityHash64(CorrelationId)", id="the index by correlation id"
        ),
        pytest.param("correlations", "cityHash64(CorrelationId)", id="correlations likewise"),
        pytest.param("flow_runs", "cityHash64(CorrelationId)", id="flow runs by correlation id"),
        pytest.param("flow_minutes", "cityHash64(Flow)", id="flow minutes by flow"),
        pytest.param("flowscope_audit", "cityHash64(RecordId)", id="audit records by record id"),
        pytest.param("alert_transitions", "cityHash64(Fingerprint)", id="alert history by alert"),
        pytest.param("alert_silences", "cityHash64(Id)", id="silences by id"),
        pytest.param("cost_spend", "cityHash64(Source, LineId)", id="spend lines by line"),
        pytest.param("run_changes", "cityHash64(CorrelationId)", id="run changes by run"),
        pytest.param("run_ledger", "cityHash64(CorrelationId)",
                     id="the run ledger by run, so a run's rows replace each other on one shard"),
        pytest.param("run_index", "cityHash64(CorrelationId)", id="the run index by run"),
        pytest.param("flow_rollup_minutes", "cityHash64(Flow, Minute)",
                     id="minute rollups by flow and minute, one row per key on one shard"),
        pytest.param("flow_rollup_hours", "cityHash64(Flow, Minute)", id="hour rollups likewise"),
        pytest.param("flow_rollup_failed_minutes", "cityHash64(Flow, Minute)",
                     id="failed-run minutes likewise"),
        pytest.param("flow_rollup_failed_hours", "cityHash64(Flow, Minute)",
                     id="failed-run hours likewise"),
        pytest.param("ledger_state", "cityHash64(Key)", id="ledger state by key"),
        pytest.param("search_items", "cityHash64(Value)", id="the search index by value"),
        pytest.param("run_keys", "cityHash64(CorrelationId)", id="a run's search keys by run"),
        pytest.param("replay_requests", "cityHash64(Flow, IdempotencyKey)",
                     id="replay answers by idempotency key"),
        pytest.param("replay_attempts", "cityHash64(CorrelationId)",
                     id="replay attempts by run"),
    ],
)
def test_with_a_cluster_each_table_is_local_and_replicated_under_a_distributed_one(
    table: str, sharding_key: str
) -> None:
    statements = _all("main")
    local = [
        s for s in statements if s.startswith(f"CREATE TABLE IF NOT EXISTS flows.{table}_local ")
    ]
    assert len(local) == 1
    assert "ENGINE = Replicated" in local[0]
    assert "'/clickhouse/tables/{shard}/{database}/{table}', '{replica}'" in local[0]
    distributed = f"ENGINE = Distributed('main', flows, {table}_local, {sharding_key})"
    assert any(
        s.startswith(f"CREATE TABLE IF NOT EXISTS flows.{table} ON CLUSTER main")
        and f"AS flows.{table}_local" in s
        and s.endswith(distributed)
        for s in statements
    )


def test_with_a_cluster_views_read_and_write_the_local_tables() -> None:
    views = [s for s in _all("main") if s.startswith("CREATE MATERIALIZED VIEW")]
    changed = [s for s in _all("main") if "MODIFY QUERY" in s]
    assert (len(views), len(changed)) == (18, 1)
    for view in views:
        assert re.search(r"\bTO flows\.\w+_local\b", view), view
    for view in views + changed:
        assert re.search(r"\bFROM flows\.\w+_local\b", view), view


@pytest.mark.parametrize(
    ("spec", "cluster", "expected"),
    [
        pytest.param("MergeTree()", None, "MergeTree()", id="a plain engine stays plain"),
        pytest.param(
            "MergeTree()",
            "c",
            "ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')",
            id="MergeTree becomes ReplicatedMergeTree on a cluster",
        ),
        pytest.param(
            "ReplacingMergeTree(IngestedAt)",
            "c",
            "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', "
            "'{replica}', IngestedAt)",
            id="engine arguments follow the replication arguments",
        ),
        pytest.param(
            "AggregatingMergeTree", None, "AggregatingMergeTree()", id="parentheses are added"
        ),
    ],
)
def test_engines_are_replicated_only_on_a_cluster(
    spec: str, cluster: str | None, expected: str
) -> None:
    assert engine(spec, cluster=cluster) == expected


def test_with_a_cluster_the_correlation_rules_are_replicated_to_every_node() -> None:
    [rules] = [s for s in _all("main")
               if s.startswith("CREATE TABLE IF NOT EXISTS flows.correlation_rules_local ")]
    assert ("ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/{database}/{table}', "
            "'{replica}', Version)") in rules
    [plain] = [s for s in _all(None)
               if s.startswith("CREATE TABLE IF NOT EXISTS flows.correlation_rules ")]
    assert "ENGINE = ReplacingMergeTree(Version)" in plain


def test_a_ttl_renders_as_the_exporter_does() -> None:
    text = "\n".join(_all(None, ttl_days=7))
    assert "TTL toDateTime(Timestamp) + toIntervalDay(7)" in text
    assert "TTL toDateTime(Start) + toIntervalDay(7)" in text


@pytest.mark.parametrize(
    ("sql", "kwargs", "error"),
    [
        pytest.param("SELECT {{NOPE}}", {}, QueryError, id="an unknown placeholder"),
        pytest.param("SELECT {{TABLE}}", {}, QueryError, id="a placeholder missing its argument"),
        pytest.param(
            "ENGINE = {{ENGINE:Log}}", {}, QueryError, id="an engine outside the MergeTree family"
        ),
        pytest.param("SELECT 1", {"ttl_days": 0}, QueryError, id="a ttl of zero days"),
        pytest.param("SELECT 1", {"cluster": "a b"}, InvalidDsn, id="a cluster name with a space"),
    ],
)
def test_bad_templates_and_settings_are_refused(
    sql: str, kwargs: dict[str, object], error: type[Exception]
) -> None:
    with pytest.raises(error):
        render(sql, database="flows", **kwargs)  # type: ignore[arg-type]


def test_a_database_name_that_is_not_an_identifier_is_refused() -> None:
    with pytest.raises(InvalidDsn):
        render("SELECT 1", database="x; DROP TABLE y")


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        pytest.param("SELECT 1; SELECT 2;", ["SELECT 1", "SELECT 2"], id="statements split at ;"),
        pytest.param(
            "SELECT ';' -- a ; comment\n; /* c; */ SELECT 2",
            ["SELECT ';'", "SELECT 2"],
            id="a ; inside a string or comment does not split",
        ),
        pytest.param("SELECT 'it''s --x'", ["SELECT 'it''s --x'"], id="quotes are respected"),
        pytest.param("-- only a comment\n;\n", [], id="blank statements are dropped"),
    ],
)
def test_statements_split_at_top_level_semicolons(sql: str, expected: list[str]) -> None:
    assert split_statements(sql) == expected


@pytest.mark.parametrize(
    "file_name",
    [
        pytest.param("1_x.sql", id="a version without three digits"),
        pytest.param("001-x.sql", id="a dash"),
        pytest.param("001_X.sql", id="an uppercase name"),
        pytest.param("001_x.txt", id="another extension"),
    ],
)
def test_misnamed_ddl_files_are_refused(file_name: str) -> None:
    with pytest.raises(QueryError):
        migration_from_file(file_name, "SELECT 1")


def test_the_exporter_schema_is_kept_column_for_column() -> None:
    # The three objects keep the exporter's names, sorting key, partitioning and settings.
    assert "ORDER BY (ServiceName, SpanName, toDateTime(Timestamp))" in ALL_SQL
    assert "PARTITION BY toDate(Timestamp)" in ALL_SQL
    assert "SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1," in ALL_SQL
    assert "{{DB}}.otel_traces_trace_id_ts_mv" in ALL_SQL
