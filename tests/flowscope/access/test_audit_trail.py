"""The audit trail: records, the pending file, import into the warehouse, and GET /api/v1/audit."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from flowscope.access import digest, new_key
from flowscope.access.audit import (
    AuditLog,
    AuditRecord,
    clamp,
    parse_line,
    pending_path,
    read_audit,
)
from flowscope.access.audit_http import audit_router
from flowscope.faults import FailingInserts
from tests.asgi import InProcessClient
from tests.flowscope.conftest import Server
from warehouse.migrations import apply_migrations, bundled_migrations
from warehouse.port import Warehouse

T = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


class Clock:
    """A settable clock in seconds since the epoch."""

    def __init__(self, at: datetime = T) -> None:
        self.now = at.timestamp()

    def __call__(self) -> float:
        return self.now

    def tick(self, seconds: float = 1.0) -> None:
        self.now += seconds


@pytest.fixture()
def wh(chdb_dsn: str, fresh_database: str) -> Iterator[Warehouse]:
    """A warehouse with only the audit table (migration 005) in a fresh database."""
    with Warehouse.connect(chdb_dsn, database=fresh_database) as warehouse:
        apply_migrations(warehouse, migrations=[m for m in bundled_migrations() if m.version == 5])
        yield warehouse


@pytest.mark.parametrize(
    "detail",
    [{}, {"status": 403, "query": "a=1&b=%27"}, {"flows": ["x", "ü"], "n": {"deep": [1, None]}}],
    ids=["an empty detail", "an http call", "nested unicode detail"],
)
def test_a_record_survives_its_json_line(detail: dict[str, Any]) -> None:
    record = AuditRecord(T, "id1", "ci", "api.call", "POST /x", detail, "10.0.0.1")
    assert parse_line(record.to_line()) == record


@pytest.mark.parametrize(
    "line",
    [
        "not json",
        '{"time": "2026-11-27T10:00:00+00:00", "id": "x", "actor": "a", "act',
        '{"time": "2026-11-27T10:00:00+00:00", "actor": "a", "action": "b"}',
        '{"time": "2026-11-27T10:00:00", "id": "x", "actor": "a", "action": "b"}',
        '{"time": "yesterday", "id": "x", "actor": "a", "action": "b"}',
        '{"time": "2026-11-27T10:00:00Z", "id": "x", "actor": "a", "action": "b", "detail": [1]}',
        "[]",
    ],
    ids=[
        "text that is not JSON is skipped",
        "a line torn by a crash is skipped",
        "a line without an id is skipped",
        "a naive time is skipped",
        "an unparsable time is skipped",
        "a detail that is not an object is skipped",
        "a JSON array is skipped",
    ],
)
def test_an_unreadable_pending_line_is_skipped(line: str) -> None:
    assert parse_line(line) is None


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 1, 1), datetime(2026, 1, 1, tzinfo=UTC)),
        (
            datetime(2026, 1, 1, 2, tzinfo=timezone(timedelta(hours=2))),
            datetime(2026, 1, 1, tzinfo=UTC),
        ),
        (datetime(1, 1, 1, tzinfo=UTC), datetime(1900, 1, 1, tzinfo=UTC)),
        (datetime(9999, 12, 31, tzinfo=UTC), datetime(2262, 4, 11, tzinfo=UTC)),
    ],
    ids=[
        "a naive time is UTC",
        "an offset is converted",
        "year 1 is held at 1900",
        "year 9999 at 2262",
    ],
)
def test_times_are_held_within_what_the_table_stores(moment: datetime, expected: datetime) -> None:
    assert clamp(moment) == expected


def test_records_go_through_the_pending_file_into_the_warehouse(
    tmp_path: Path, wh: Warehouse
) -> None:
    clock = Clock()
    log = AuditLog(pending_path(tmp_path), clock=clock)
    for action in ("key.create", "catalog.load", "api.call"):
        log.record(action, actor="local", target=action, detail={"n": action})
        clock.tick()
    assert [r.action for r in log.waiting()] == ["key.create", "catalog.load", "api.call"]
    log.attach(wh)  # imports at once, then on each record; close() imports what is left
    log.close()
    assert log.waiting() == []
    assert not pending_path(tmp_path).exists()
    found = read_audit(wh, T, T + HOUR, 10)
    assert [r.action for r in found] == ["api.call", "catalog.load", "key.create"]
    assert found[0].detail == {"n": "api.call"} and found[0].time == T + timedelta(seconds=2)
    assert [r.action for r in read_audit(wh, T, T + timedelta(seconds=2), 10)] == [
        "catalog.load",
        "key.create",
    ]
    assert len(read_audit(wh, T, T + HOUR, 1)) == 1
    assert read_audit(wh, T + HOUR, T + 2 * HOUR, 10) == []


def test_a_file_imported_twice_after_a_crash_counts_once(tmp_path: Path, wh: Warehouse) -> None:
    log = AuditLog(pending_path(tmp_path), clock=Clock())
    log.record("key.create", actor="local", target="ci")
    kept = pending_path(tmp_path).read_text()
    log.attach(wh)
    log.close()
    (tmp_path / "audit-importing-left-by-a-crash.jsonl").write_text(kept + '{"torn": \n')
    log.attach(wh)
    log.close()
    assert [r.target for r in read_audit(wh, T, T + HOUR, 10)] == ["ci"]
    assert list(tmp_path.glob("audit-*.jsonl")) == []


def test_records_wait_on_disk_while_the_warehouse_fails(tmp_path: Path, wh: Warehouse) -> None:
    now = [0.0]
    log = AuditLog(pending_path(tmp_path), clock=Clock(), poll_s=0.01)
    log.record("silence.create", actor="ops", target="s-1")
    failing = FailingInserts(wh, until=1.0, monotonic=lambda: now[0])
    log.attach(failing)
    deadline = time.monotonic() + 10
    while not failing.failed and time.monotonic() < deadline:
        time.sleep(0.01)
    assert failing.failed and [r.target for r in log.waiting()] == ["s-1"]
    now[0] = 2.0  # the warehouse is back
    log.close()
    assert log.waiting() == []
    assert [r.target for r in read_audit(wh, T, T + HOUR, 10)] == ["s-1"]


def test_concurrent_writers_lose_nothing_while_the_server_imports(
    tmp_path: Path, wh: Warehouse
) -> None:
    server_log = AuditLog(pending_path(tmp_path), clock=Clock(), poll_s=0.01)
    server_log.attach(wh)

    def cli(n: int) -> None:
        writer = AuditLog(pending_path(tmp_path), clock=Clock())  # as another process would
        for i in range(25):
            writer.record("key.create", actor="local", target=f"{n}-{i}")

    threads = [threading.Thread(target=cli, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    server_log.close()
    targets = [r.target for r in read_audit(wh, T - HOUR, T + HOUR, 1000)]
    assert sorted(targets) == sorted(f"{n}-{i}" for n in range(4) for i in range(25))


def test_an_in_memory_log_is_a_double_that_imports_too(wh: Warehouse) -> None:
    log = AuditLog(clock=Clock())
    log.record("replay", actor="ops", target="dead-letter 7", remote="10.1.1.1")
    assert [r.target for r in log.waiting()] == ["dead-letter 7"]
    log.attach(wh)
    log.close()
    assert log.waiting() == []
    [found] = read_audit(wh, T, T + HOUR, 10)
    assert (found.actor, found.action, found.remote) == ("ops", "replay", "10.1.1.1")


def test_key_creation_on_the_command_line_leaves_a_record_but_not_the_key(tmp_path: Path) -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "flowscope",
            "keys",
            "create",
            "--scope",
            "read",
            "--name",
            "dash",
            "--data-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    key = run.stdout.strip()
    text = pending_path(tmp_path).read_text()
    assert key not in text and key not in run.stderr
    [record] = [parse_line(line) for line in text.splitlines()]
    assert record is not None
    assert (record.actor, record.action, record.target) == ("local", "key.create", "dash")
    assert record.detail["scope"] == "read"
    assert f"dash=read:{digest(key)}" in run.stderr


# -- against a real server ----------------------------------------------------------------

ADMIN = new_key("admin")
READ = new_key("read")


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("audited")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "flowscope",
            "keys",
            "create",
            "--scope",
            "ingest",
            "--name",
            "svc",
            "--data-dir",
            str(data),
        ],
        capture_output=True,
        check=True,
        timeout=60,
    )
    env = {"FLOWSCOPE_API_KEYS": f"boss=admin:{digest(ADMIN)},viewer=read:{digest(READ)}"}
    server = Server(data, env=env).start()
    try:
        yield server
    finally:
        server.stop()


def audit(server: Server, key: str = ADMIN, **params: str) -> httpx.Response:
    return httpx.get(
        f"{server.url}/api/v1/audit",
        params=params,
        headers={"authorization": f"Bearer {key}"},
        timeout=10,
    )


def test_the_server_records_key_creation_catalog_load_and_admin_calls(audited: Server) -> None:
    httpx.post(f"{audited.url}/api/v1/silences", headers={"authorization": f"Bearer {ADMIN}"})
    httpx.get(f"{audited.url}/api/v1/audit", headers={"authorization": "Bearer nope"})
    assert audit(audited, READ).status_code == 403
    items = audit(audited, limit="50").json()["items"]
    seen = {(i["actor"], i["action"], i["target"]) for i in items}
    assert ("local", "key.create", "svc") in seen
    assert ("local", "catalog.load", str(audited.catalog.resolve())) in seen
    assert ("boss", "api.call", "POST /api/v1/silences") in seen
    assert ("anonymous", "api.denied", "GET /api/v1/audit") in seen
    assert ("viewer", "api.denied", "GET /api/v1/audit") in seen
    assert all(i["remote"] == "127.0.0.1" for i in items if i["action"].startswith("api."))
    times = [i["time"] for i in items]
    assert times == sorted(times, reverse=True)


def test_a_record_written_in_the_same_millisecond_as_the_read_is_listed(
    tmp_path: Path, wh: Warehouse
) -> None:
    at = T + timedelta(microseconds=123_456)  # the trail keeps .123, a read at .123456
    log = AuditLog(pending_path(tmp_path), clock=lambda: at.timestamp())
    log.attach(wh)
    log.record("api.denied", actor="anonymous", target="POST /dashboards/login")
    app = FastAPI()
    app.include_router(audit_router(lambda: wh, log, clock=lambda: at))
    items = InProcessClient(app).get("/api/v1/audit").json()["items"]
    log.close()
    assert [(i["action"], i["target"]) for i in items] == [
        ("api.denied", "POST /dashboards/login")]


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, 400),
        ({"from": "0001-01-01T00:00:00Z", "to": "9999-12-31T00:00:00Z"}, 200),
        ({"limit": "0"}, 400),
        ({"limit": "10001"}, 400),
        ({"from": "next tuesday"}, 400),
    ],
    ids=[
        "from after to is refused",
        "times beyond what the table stores are held within it",
        "a zero limit is refused",
        "a limit over 10,000 is refused",
        "a time that is not RFC 3339 is refused",
    ],
)
def test_audit_query_parameters_are_validated(
    audited: Server, params: dict[str, str], status: int
) -> None:
    assert audit(audited, **params).status_code == status


@pytest.mark.parametrize(
    "probe",
    ["x' OR '1'='1", "1; DROP TABLE flowscope_audit; --", "2026-01-01T00:00:00Z' OR 1=1 --"],
    ids=["a quoted tautology", "a stacked drop", "a valid time followed by a tautology"],
)
def test_injection_shaped_audit_parameters_find_nothing_and_change_nothing(
    audited: Server, probe: str
) -> None:
    window = {"from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z", "limit": "10000"}
    before = {i["id"] for i in audit(audited, **window).json()["items"]}
    for name in ("from", "to", "limit"):
        response = audit(audited, **{**window, name: probe})
        assert response.status_code == 400, response.text
    after = audit(audited, **window).json()["items"]
    assert before <= {i["id"] for i in after}  # nothing removed; the refused calls were added
    assert {i["action"] for i in after} <= {"key.create", "catalog.load", "api.call", "api.denied"}
