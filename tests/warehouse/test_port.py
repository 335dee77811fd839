"""The Warehouse port on the embedded engine: queries, binding, inserts, dedup, threads, errors."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from datetime import UTC, datetime

import pyarrow as pa
import pytest

from tests.warehouse.rows import Event, Span, SpanEvent, SpanLink, events_table, ns, spans_table
from warehouse.errors import (
    InvalidDsn,
    QueryError,
    QueryLimitExceeded,
    WarehouseError,
    WarehouseUnavailable,
    public_message,
)
from warehouse.port import QueryLimits, Warehouse, translate

T0 = ns(datetime(2026, 3, 1, 12, 0, 0, 250_000, tzinfo=UTC))
TAGGED = {"flowscope.correlation_id": "A-1042", "flowscope.flow": "order-to-cash"}


def test_connect_creates_the_database_and_reports_where_it_is(chdb_dsn: str) -> None:
    name = f"test_{uuid.uuid4().hex[:12]}"
    with Warehouse.connect(chdb_dsn, database=name) as wh:
        try:
            assert wh.database == name
            assert wh.cluster is None
            assert wh.is_embedded
            assert wh.ping()
            assert wh.query("SELECT currentDatabase()") == [(name,)]
        finally:
            wh.command(f"DROP DATABASE {name} SYNC")


def test_connect_without_create_database_fails_for_a_missing_database(chdb_dsn: str) -> None:
    with pytest.raises(QueryError, match="UNKNOWN_DATABASE"):
        Warehouse.connect(chdb_dsn, database=f"test_{uuid.uuid4().hex[:12]}", create_database=False)


@pytest.mark.parametrize(
    ("dsn", "kwargs"),
    [
        pytest.param("chdb://relative", {}, id="a relative embedded path"),
        pytest.param("CHDB_DSN", {"database": "no-dashes"}, id="a database that is no identifier"),
        pytest.param("CHDB_DSN", {"cluster": "a b"}, id="a cluster name with a space"),
    ],
)
def test_connect_refuses_bad_settings_before_touching_the_engine(
    chdb_dsn: str, dsn: str, kwargs: dict[str, str]
) -> None:
    with pytest.raises(InvalidDsn):
        Warehouse.connect(chdb_dsn if dsn == "CHDB_DSN" else dsn, **kwargs)  # type: ignore[arg-type]


def test_connection_settings_apply_to_every_thread_and_calls_can_add_more(
    chdb_dsn: str, fresh_database: str
) -> None:
    settings = {"max_threads": 3}
    with Warehouse.connect(chdb_dsn, database=fresh_database, settings=settings) as wh:
        seen: list[object] = []
        worker = threading.Thread(
            target=lambda: seen.extend(wh.query("SELECT getSetting('max_threads')"))
        )
        worker.start()
        worker.join()
        assert seen == [(3,)]
        assert wh.query("SELECT getSetting('max_threads')") == [(3,)]
        sql = "SELECT getSetting('max_threads'), getSetting('max_block_size')"
        assert wh.query(sql, settings={"max_block_size": 1234}) == [(3, 1234)]


def test_query_query_dicts_and_command(wh: Warehouse) -> None:
    wh.command("CREATE TABLE kv (k String, v UInt32) ENGINE = MergeTree ORDER BY k")
    wh.command("INSERT INTO kv SELECT {k:String}, {v:UInt32}", {"k": "a", "v": 7})
    assert wh.query("SELECT k, v FROM kv") == [("a", 7)]
    assert wh.query_dicts("SELECT k, v FROM kv") == [{"k": "a", "v": 7}]
    assert wh.query("SELECT sum(v) FROM kv WHERE k = {k:String}", {"k": "b"}) == [(0,)]
    table = wh.query_arrow("SELECT k, v FROM kv")
    assert table.column("k").to_pylist() == ["a"]


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("x' OR '1'='1", id="a quote that would widen the filter"),
        pytest.param("'; DROP TABLE kv; --", id="a quote that would add a statement"),
        pytest.param("{k:String}", id="a value that looks like a placeholder"),
        pytest.param("a\\' OR 1=1 --", id="a backslash-escaped quote"),
    ],
)
def test_parameters_are_bound_by_the_engine_so_injection_finds_nothing(
    wh: Warehouse, value: str
) -> None:
    wh.command("CREATE TABLE kv (k String, v UInt32) ENGINE = MergeTree ORDER BY k")
    wh.command("INSERT INTO kv VALUES ('a', 1), ('b', 2)")
    assert wh.query("SELECT k FROM kv WHERE k = {k:String}", {"k": value}) == []
    wh.command(
        "ALTER TABLE kv DELETE WHERE k = {k:String}", {"k": value}, settings={"mutations_sync": 2}
    )
    assert wh.query("SELECT k, v FROM kv ORDER BY k") == [("a", 1), ("b", 2)]
    assert wh.query("SELECT {k:String}", {"k": value}) == [(value,)]


@pytest.mark.parametrize(
    ("sql", "parameters", "code"),
    [
        pytest.param("SELEC 1", None, 62, id="a syntax error"),
        pytest.param("SELECT * FROM no_such_table", None, 60, id="an unknown table"),
        pytest.param("SELECT {x:UInt32}", None, 456, id="a missing parameter"),
        pytest.param("SELECT {x:UInt32}", {"x": "abc"}, 457, id="a parameter of the wrong type"),
        pytest.param("SELECT throwIf(1)", None, 395, id="a server-side exception"),
    ],
)
def test_a_bad_query_raises_query_error_with_the_clickhouse_code(
    wh: Warehouse, sql: str, parameters: dict[str, str] | None, code: int
) -> None:
    with pytest.raises(QueryError) as caught:
        wh.query(sql, parameters)
    assert caught.value.code == code
    assert caught.value.__cause__ is not None
    with pytest.raises(QueryError):
        wh.command(sql, parameters)


def test_a_timeout_means_the_warehouse_is_unavailable(wh: Warehouse) -> None:
    with pytest.raises(WarehouseUnavailable, match="TIMEOUT_EXCEEDED"):
        wh.query("SELECT sleep(0.3)", settings={"max_execution_time": 0.05})


def test_a_closed_warehouse_is_unavailable(chdb_dsn: str, fresh_database: str) -> None:
    wh = Warehouse.connect(chdb_dsn, database=fresh_database)
    wh.close()
    with pytest.raises(WarehouseUnavailable, match="closed"):
        wh.query("SELECT 1")
    assert wh.ping() is False
    wh.close()  # closing twice is harmless


def test_each_thread_gets_its_own_client_and_close_ends_them_all(
    chdb_dsn: str, fresh_database: str
) -> None:
    wh = Warehouse.connect(chdb_dsn, database=fresh_database)
    barrier = threading.Barrier(4)
    results: list[object] = []

    def work() -> None:
        barrier.wait()
        results.append(wh.query("SELECT currentDatabase(), count() FROM numbers(100000)"))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [[(fresh_database, 100000)]] * 4
    wh.close()
    errors: list[BaseException] = []

    def after_close() -> None:
        try:
            wh.query("SELECT 1")
        except WarehouseError as exc:
            errors.append(exc)

    late = threading.Thread(target=after_close)
    late.start()
    late.join()
    assert len(errors) == 1 and isinstance(errors[0], WarehouseUnavailable)


def test_slow_queries_in_several_threads_run_side_by_side(wh: Warehouse) -> None:
    # Three 0.4 s sleeps: about 0.4 s in parallel, 1.2 s if one client serialised them.
    threads = [threading.Thread(target=lambda: wh.query("SELECT sleep(0.4)")) for _ in range(3)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert time.perf_counter() - started < 1.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_an_unreachable_server_is_unavailable_and_the_error_hides_the_password() -> None:
    dsn = f"http://ingest:hunter2-secret@127.0.0.1:{_free_port()}/flows"
    with pytest.raises(WarehouseUnavailable) as caught:
        Warehouse.connect(dsn)
    assert "hunter2-secret" not in str(caught.value)
    assert "hunter2-secret" not in repr(caught.value.__cause__)


class _DriverError(Exception):
    """Stands in for a driver exception whose text repeats the DSN."""


def test_translation_masks_the_password_in_the_message_and_the_cause() -> None:
    cause = _DriverError("failed for http://u:pa%24%24@h:8123 and pa$$")
    error = translate(cause, action="query", secrets=("pa$$", "pa%24%24"))
    assert "pa$$" not in str(error) and "pa%24%24" not in str(error)
    assert "pa$$" not in str(cause) and "pa%24%24" not in str(cause)
    assert isinstance(error, QueryError)


def test_insert_arrow_fills_the_exact_exporter_schema(migrated: Warehouse) -> None:
    span = Span(
        start_ns=T0 + 789,  # nanoseconds survive in DateTime64(9)
        duration_ns=2_500_000,
        status_code="Error",
        attributes={**TAGGED, "http.route": "/checkout"},
        resource={"deployment.environment": "prod"},
        events=(SpanEvent(T0 + 1000, "exception", {"exception.type": "Timeout"}),),
        links=(SpanLink("ab" * 16, "cd" * 8, "k=v", {"link": "yes"}),),
    )
    migrated.insert_arrow("otel_traces", spans_table([span]))
    [row] = migrated.query_dicts(
        "SELECT toUnixTimestamp64Nano(Timestamp) AS ns, ServiceName, SpanName, SpanKind, "
        "ResourceAttributes, SpanAttributes, Duration, StatusCode, "
        "arrayMap(t -> toUnixTimestamp64Nano(t), Events.Timestamp) AS event_ns, "
        "Events.Name, Events.Attributes, Links.TraceId, Links.SpanId, Links.TraceState, "
        "Links.Attributes, toTypeName(ServiceName) AS service_type FROM otel_traces"
    )
    assert row == {
        "ns": T0 + 789,
        "ServiceName": "storefront",
        "SpanName": "checkout",
        "SpanKind": "Server",
        "ResourceAttributes": {"service.name": "storefront", "deployment.environment": "prod"},
        "SpanAttributes": {**TAGGED, "http.route": "/checkout"},
        "Duration": 2_500_000,
        "StatusCode": "Error",
        "event_ns": [T0 + 1000],
        "Events.Name": ["exception"],
        "Events.Attributes": [{"exception.type": "Timeout"}],
        "Links.TraceId": ["ab" * 16],
        "Links.SpanId": ["cd" * 8],
        "Links.TraceState": ["k=v"],
        "Links.Attributes": [{"link": "yes"}],
        "service_type": "LowCardinality(String)",
    }
    assert migrated.query("SELECT TraceId, Start = End FROM otel_traces_trace_id_ts") == [
        (span.trace_id, True)
    ]


def test_insert_arrow_leaves_omitted_columns_to_their_defaults(migrated: Warehouse) -> None:
    migrated.insert_arrow("business_events", events_table([Event("e-1", T0)]))
    [(age_s,)] = migrated.query(
        "SELECT dateDiff('second', IngestedAt, now64(3)) FROM business_events"
    )
    assert 0 <= age_s < 60


def _counts(wh: Warehouse) -> dict[str, int]:
    tables = ["otel_traces", "otel_traces_trace_id_ts", "correlation_items"]
    found = {t: int(wh.query(f"SELECT count() FROM {t}")[0][0]) for t in tables}
    found["changed runs"] = int(wh.query(
        "SELECT uniqExact(Flow, CorrelationId) FROM run_changes")[0][0])
    return found


def test_a_replayed_insert_with_the_same_token_is_stored_once_including_views(
    migrated: Warehouse,
) -> None:
    batch = spans_table(
        [
            Span(start_ns=T0, span_id="00000000000000a1", attributes=TAGGED),
            Span(start_ns=T0 + 10, span_id="00000000000000a2", attributes=TAGGED),
        ]
    )
    migrated.insert_arrow("otel_traces", batch, dedup_token="spool-batch-17")
    once = _counts(migrated)
    assert once == {
        "otel_traces": 2,
        "otel_traces_trace_id_ts": 1,
        "correlation_items": 2,
        "changed runs": 1,
    }
    migrated.insert_arrow("otel_traces", batch, dedup_token="spool-batch-17")
    assert _counts(migrated) == once


def test_the_same_rows_under_another_token_are_a_new_insert(migrated: Warehouse) -> None:
    batch = spans_table([Span(start_ns=T0, attributes=TAGGED)])
    migrated.insert_arrow("otel_traces", batch, dedup_token="first")
    migrated.insert_arrow("otel_traces", batch, dedup_token="second")
    assert _counts(migrated)["otel_traces"] == 2


def test_a_replayed_event_insert_is_stored_once(migrated: Warehouse) -> None:
    batch = events_table([Event("e-1", T0, correlation_id="A-1042", flow="order-to-cash")])
    for _ in range(3):
        migrated.insert_arrow("business_events", batch, dedup_token="events-1")
    assert migrated.query("SELECT count() FROM business_events") == [(1,)]
    assert migrated.query("SELECT count() FROM correlation_items") == [(1,)]


@pytest.mark.parametrize(
    ("table", "data"),
    [
        pytest.param("otel_traces; DROP TABLE x", pa.table({"a": [1]}), id="a table name with SQL"),
        pytest.param("no_such_table", pa.table({"a": [1]}), id="a table that does not exist"),
        pytest.param("otel_traces", pa.table({"Nope": [1]}), id="a column the table lacks"),
    ],
)
def test_a_bad_insert_raises_query_error(migrated: Warehouse, table: str, data: pa.Table) -> None:
    with pytest.raises(QueryError):
        migrated.insert_arrow(table, data)


@pytest.mark.parametrize(
    ("limits", "sql", "words"),
    [
        pytest.param(QueryLimits(timeout_s=0.5),
                     "SELECT count() FROM numbers(100000000000) WHERE sipHash64(number) % 7 = 3",
                     "longer than the query time limit of 0.5 s", id="a read past its time"),
        pytest.param(QueryLimits(max_memory_bytes=64 * 2**20),
                     "SELECT length(groupArray(number)) FROM numbers(100000000)",
                     "more than the query memory limit of 64 MiB", id="a read past its memory"),
    ],
)
def test_a_read_stopped_by_its_limits_says_which_without_engine_text(
        chdb_dsn: str, fresh_database: str, limits: QueryLimits, sql: str, words: str) -> None:
    with Warehouse.connect(chdb_dsn, database=fresh_database, limits=limits) as limited:
        started = time.monotonic()
        with pytest.raises(QueryLimitExceeded, match=words) as caught:
            limited.query(sql)
        assert time.monotonic() - started < 30
        assert isinstance(caught.value, WarehouseUnavailable)
        assert "DB::Exception" not in str(caught.value)
        assert public_message(caught.value) == str(caught.value)
        assert limited.query("SELECT 1") == [(1,)]  # the next read runs


def test_limits_bound_reads_but_not_writes_and_a_call_may_widen_them(
        chdb_dsn: str, fresh_database: str) -> None:
    tight = QueryLimits(max_memory_bytes=64 * 2**20)
    with Warehouse.connect(chdb_dsn, database=fresh_database, limits=tight) as limited:
        wide = {"max_memory_usage": 2**30}
        rows = limited.query("SELECT length(groupArray(number)) FROM numbers(20000000)",
                             settings=wide)
        assert rows == [(20_000_000,)]
        limited.command("CREATE TABLE big (n UInt64) ENGINE = Memory")
        limited.command("INSERT INTO big SELECT number FROM numbers(10000000)")
        assert limited.limits == tight


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        pytest.param(QueryError("query failed: Code: 62. DB::Exception: Syntax error (version "
                                "26.9.1) /tmp/x", code=62), "ClickHouse error 62",
                     id="an engine error keeps only its code"),
        pytest.param(WarehouseUnavailable("connect failed: /data/clickhouse/status locked"),
                     "unavailable", id="an unavailable engine says so"),
    ],
)
def test_what_a_client_is_told_never_carries_the_engine_text(error: WarehouseError,
                                                            shown: str) -> None:
    text = public_message(error)
    assert shown in text and "DB::Exception" not in text and "/" not in text
