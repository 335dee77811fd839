"""Migrations on a real engine: apply once, record, refuse changed files, verify foreign tables."""

from __future__ import annotations

import dataclasses

import pytest

from warehouse.ddl import Migration, render
from warehouse.errors import SchemaMismatch
from warehouse.migrations import (
    applied_migrations,
    apply_migrations,
    bundled_migrations,
    pending_migrations,
    verify_schema,
)
from warehouse.port import Warehouse

ALL = [
    "001_otel_traces",
    "002_business_events",
    "003_correlation_index",
    "004_flow_runs",
    "005_audit",
    "006_alerts",
    "007_cost_spend",
    "008_run_ledger",
    "009_drop_run_aggregates",
    "010_status_spelling",
    "011_untagged_spans",
    "012_search_keys",
    "013_operations",
    "014_reindex",
]
OBJECTS = {
    "otel_traces",
    "otel_traces_trace_id_ts",
    "otel_traces_trace_id_ts_mv",
    "business_events",
    "correlation_items",
    "correlation_items_spans_mv",
    "correlation_items_events_mv",
    "run_changes",
    "run_changes_mv",
    "run_ledger",
    "run_index",
    "run_index_mv",
    "flow_rollup_minutes",
    "flow_rollup_hours",
    "flow_rollup_failed_minutes",
    "flow_rollup_failed_hours",
    "ledger_state",
    "flowscope_audit",
    "alert_transitions",
    "alert_silences",
    "cost_spend",
    "correlation_rules",
    "untagged_span_items",
    "untagged_span_items_mv",
    "correlation_items_untagged_mv",
    "search_rules",
    "search_index_state",
    "search_items",
    "run_keys",
    "search_pairs",
    "search_items_mv",
    "run_keys_mv",
    "search_span_rows",
    "search_event_rows",
    "search_span_rows_mv",
    "search_event_rows_mv",
    "search_pairs_tagged_spans_mv",
    "search_pairs_untagged_spans_mv",
    "search_pairs_events_mv",
    "replay_requests",
    "replay_attempts",
    "maintenance_declared",
    "reindex_progress",
    "reindex_stage",
    "flowscope_migrations",
}


def _tables(wh: Warehouse) -> set[str]:
    rows = wh.query(
        "SELECT name FROM system.tables WHERE database = {db:String}", {"db": wh.database}
    )
    return {str(name) for (name,) in rows}


def test_migrations_apply_to_an_empty_database_and_are_recorded(wh: Warehouse) -> None:
    assert pending_migrations(wh) == ALL
    assert apply_migrations(wh) == ALL
    assert _tables(wh) == OBJECTS
    recorded = applied_migrations(wh)
    assert [r.name for r in recorded.values()] == ALL
    assert [r.checksum for r in recorded.values()] == [m.checksum for m in bundled_migrations()]
    verify_schema(wh)


def test_running_migrations_again_changes_nothing(migrated: Warehouse) -> None:
    before = migrated.query("SELECT count() FROM flowscope_migrations")
    assert apply_migrations(migrated) == []
    assert pending_migrations(migrated) == []
    assert migrated.query("SELECT count() FROM flowscope_migrations") == before


def test_only_the_new_file_is_applied_after_an_upgrade(wh: Warehouse) -> None:
    first_two = bundled_migrations()[:2]
    assert apply_migrations(wh, migrations=first_two) == ALL[:2]
    assert pending_migrations(wh) == ALL[2:]
    assert apply_migrations(wh) == ALL[2:]


def _edited(version: int) -> tuple[Migration, ...]:
    return tuple(
        dataclasses.replace(m, sql=m.sql + "\n-- edited\n") if m.version == version else m
        for m in bundled_migrations()
    )


def test_an_applied_file_that_changed_is_a_schema_mismatch(migrated: Warehouse) -> None:
    with pytest.raises(SchemaMismatch, match="002_business_events changed after it was applied"):
        apply_migrations(migrated, migrations=_edited(2))
    with pytest.raises(SchemaMismatch, match="002_business_events"):
        pending_migrations(migrated, migrations=_edited(2))


def test_a_database_newer_than_the_code_is_a_schema_mismatch(migrated: Warehouse) -> None:
    older_code = bundled_migrations()[:2]
    with pytest.raises(SchemaMismatch, match="does not know: 003_correlation_index"):
        apply_migrations(migrated, migrations=older_code)


def test_a_ttl_is_set_on_the_span_tables_when_given(wh: Warehouse) -> None:
    apply_migrations(wh, ttl_days=3)
    [(ddl,)] = wh.query("SHOW CREATE TABLE otel_traces")
    assert "TTL toDateTime(Timestamp) + toIntervalDay(3)" in ddl
    [(lookup_ddl,)] = wh.query("SHOW CREATE TABLE otel_traces_trace_id_ts")
    assert "TTL toDateTime(Start) + toIntervalDay(3)" in lookup_ddl


# A table an OpenTelemetry Collector created (a recent exporter adds ALIAS columns and a codec).
_COLLECTOR_TABLE = render(
    bundled_migrations()[0]
    .sql.replace("Duration UInt64 CODEC(ZSTD(1))", "Duration UInt64 CODEC(T64, ZSTD(1))")
    .replace(
        "StatusMessage String CODEC(ZSTD(1)),",
        "StatusMessage String CODEC(ZSTD(1)),\n"
        "    SpanAttributeItems Array(String) ALIAS arrayMap(kv -> concat(kv.1, '=', kv.2), "
        "CAST(SpanAttributes, 'Array(Tuple(String, String))')),",
    ),
    database="placeholder",
)[0]


def test_tables_an_otel_collector_created_are_adopted(wh: Warehouse) -> None:
    wh.command(_COLLECTOR_TABLE.replace("placeholder.", f"{wh.database}."))
    assert apply_migrations(wh) == ALL
    verify_schema(wh)


_OTEL_COLUMNS = (
    "Timestamp DateTime64(9), TraceId String, SpanId String, ParentSpanId String, "
    "TraceState String, SpanName LowCardinality(String), SpanKind LowCardinality(String), "
    "ServiceName LowCardinality(String), ResourceAttributes Map(LowCardinality(String), String), "
    "ScopeName String, ScopeVersion String, "
    "SpanAttributes Map(LowCardinality(String), String), Duration UInt64, "
    "StatusCode LowCardinality(String), StatusMessage String, "
    "Events Nested(Timestamp DateTime64(9), Name LowCardinality(String), "
    "Attributes Map(LowCardinality(String), String)), "
    "Links Nested(TraceId String, SpanId String, TraceState String, "
    "Attributes Map(LowCardinality(String), String))"
)


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        pytest.param(
            _OTEL_COLUMNS.replace("Duration UInt64", "Duration Int64"),
            "column Duration of .*otel_traces is Int64, but UInt64 is expected",
            id="an old exporter table with a signed Duration",
        ),
        pytest.param(
            _OTEL_COLUMNS.replace("ScopeName String, ScopeVersion String, ", ""),
            "otel_traces has no column ScopeName",
            id="an old exporter table without scope columns",
        ),
        pytest.param(
            _OTEL_COLUMNS.replace(
                "SpanAttributes Map(LowCardinality(String), String)", "SpanAttributes JSON"
            ),
            "column SpanAttributes",
            id="a JSON attributes table",
        ),
    ],
)
def test_an_incompatible_existing_table_is_a_schema_mismatch_naming_the_column(
    wh: Warehouse, columns: str, message: str
) -> None:
    wh.command(f"CREATE TABLE otel_traces ({columns}) ENGINE = MergeTree ORDER BY Timestamp")
    with pytest.raises(SchemaMismatch, match=message):
        verify_schema(wh, missing_ok=True)
    with pytest.raises(SchemaMismatch, match=message):
        apply_migrations(wh)
    assert "correlation_items" not in _tables(wh)


def test_verify_schema_reports_missing_tables(wh: Warehouse) -> None:
    with pytest.raises(SchemaMismatch, match="otel_traces does not exist"):
        verify_schema(wh)
    verify_schema(wh, missing_ok=True)
