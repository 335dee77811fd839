"""Faults survived: a warehouse outage, repeated SIGKILL, a full disk and an unwritable spool.

Each test runs a real server, keeps what every request was answered, and afterwards counts
through the lookup API: every acknowledged item is there exactly once, and an item refused
with 503 is not there at all (a 503 persisted nothing).
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.files import immutable
from tests.flowscope.conftest import Server
from tests.flowscope.load import SPANS_PER_REQUEST, Load, count
from tests.flowscope.orders import otlp_request


@contextmanager
def sending(server: Server) -> Iterator[Sent]:
    sent = Sent(server.url)
    try:
        yield sent
    finally:
        sent.close()


class Sent:
    """Requests sent one by one, with the status each got."""

    def __init__(self, url: str) -> None:
        self.client = httpx.Client(base_url=url, timeout=10)
        self.status: dict[str, int] = {}
        self.retry_after: set[str] = set()
        self.refusal = ""

    def close(self) -> None:
        self.client.close()

    def spans(self) -> int:
        cid = f"F-{uuid.uuid4().hex[:10]}"
        response = self.client.post(
            "/v1/traces",
            content=otlp_request(cid, SPANS_PER_REQUEST),
            headers={"content-type": "application/x-protobuf"},
        )
        return self._keep(cid, response)

    def event(self) -> int:
        cid = f"E-{uuid.uuid4().hex[:10]}"
        event = {
            "specversion": "1.0",
            "id": cid,
            "source": "/f",
            "type": "OrderPlaced",
            "orderid": cid,
        }
        response = self.client.post(
            "/api/v1/events",
            content=json.dumps(event),
            headers={"content-type": "application/cloudevents+json"},
        )
        return self._keep(cid, response)

    def _keep(self, cid: str, response: httpx.Response) -> int:
        self.status[cid] = response.status_code
        if response.status_code == 503:
            self.retry_after.add(response.headers.get("retry-after", ""))
            self.refusal = response.content.decode("latin-1")
        return response.status_code

    def until_refused(self, *, refusals: int = 5, budget_s: float = 20.0) -> None:
        """Send spans and events alternately until ``refusals`` requests in a row got 503."""
        deadline = time.monotonic() + budget_s
        in_a_row = 0
        while in_a_row < refusals:
            assert time.monotonic() < deadline, f"never refused: {self.summary()}"
            status = self.spans() if len(self.status) % 2 else self.event()
            in_a_row = in_a_row + 1 if status == 503 else 0

    def summary(self) -> dict[int, int]:
        out: dict[int, int] = {}
        for status in self.status.values():
            out[status] = out.get(status, 0) + 1
        return out

    def check_landed_exactly_once(self, timeout: float = 60.0) -> None:
        """Every 200 is there exactly once (waiting for the writer); no 503 is there at all."""
        expected = {
            c: (SPANS_PER_REQUEST if c.startswith("F-") else 1)
            for c, s in self.status.items()
            if s == 200
        }
        deadline = time.monotonic() + timeout
        missing = dict(expected)
        while missing and time.monotonic() < deadline:
            missing = {c: n for c, n in missing.items() if count(self.client, c) != n}
            time.sleep(0.2 if missing else 0)
        assert missing == {}, f"{len(missing)} acknowledged requests incomplete"
        assert {c: count(self.client, c) for c in expected} == expected
        refused = [c for c, s in self.status.items() if s == 503]
        assert [c for c in refused if count(self.client, c)] == []


def test_a_warehouse_outage_fills_the_spool_then_503_and_everything_lands_once(
    tmp_path: Path,
) -> None:
    env = {"FLOWSCOPE_FAULT_INSERT_FAILURES": "3", "FLOWSCOPE_SPOOL_MAX_BYTES": str(64 * 1024)}
    server = Server(tmp_path / "outage", env=env).start()
    try:
        with sending(server) as sent:
            sent.until_refused()
            assert set(sent.summary()) == {200, 503} and sent.retry_after == {"5"}
            assert "not yet written to the warehouse" in sent.refusal, sent.refusal
            sent.check_landed_exactly_once()
            assert sent.spans() == 200 and sent.event() == 200  # accepting again
            sent.check_landed_exactly_once()
            print(f"outage: {sent.summary()}")
    finally:
        server.stop()
    assert "injected fault" in server.log.read_text()


def test_ten_sigkills_at_random_moments_lose_and_duplicate_nothing_acknowledged(
    tmp_path: Path,
) -> None:
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    server = Server(tmp_path / "kills").start()
    started = time.monotonic()
    load = Load(server.url)
    sender = threading.Thread(target=load.run)
    sender.start()
    try:
        for _ in range(10):
            time.sleep(rng.uniform(0.0, 1.5))  # anywhere from start-up to steady writing
            server.kill()
            server.start(wait=False)
            _wait_listening(server)
        time.sleep(0.5)
    finally:
        load.stop.set()
        sender.join()
    killed_at = time.monotonic()
    try:
        server.wait_ready()
        server.wait_drained(timeout=120)  # the writer replays the spool, then coalesces
        spans = _counts(server, load.acked_spans)
        events = _counts(server, load.acked_events)
        stray = _counts(server, load.unacked)
    finally:
        server.stop()
    print(f"kills took {killed_at - started:.1f}s, counting {time.monotonic() - killed_at:.1f}s")
    print(
        f"10 SIGKILLs (seed {seed}): acknowledged {len(spans)} span requests"
        f" ({len(spans) * SPANS_PER_REQUEST} spans) and {len(events)} events;"
        f" {len(stray)} requests unacknowledged, of which"
        f" {sum(1 for n in stray.values() if n)} were stored anyway"
    )
    assert len(spans) > 20 and len(events) > 20
    assert {c for c, n in spans.items() if n != SPANS_PER_REQUEST} == set()
    assert {c for c, n in events.items() if n != 1} == set()
    assert all(n in (0, 1, SPANS_PER_REQUEST) for n in stray.values())


def _counts(server: Server, cids: list[str]) -> dict[str, int]:
    """Items stored per correlation id, looked up by four clients at once."""

    def lookup(chunk: list[str]) -> dict[str, int]:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            return {cid: count(client, cid) for cid in chunk}

    with ThreadPoolExecutor(4) as pool:
        parts = pool.map(lookup, [cids[i::4] for i in range(4)])
    return {cid: n for part in parts for cid, n in part.items()}


def _wait_listening(server: Server, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{server.url}/healthz", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.02)
    raise RuntimeError(f"server not listening:\n{server.log.read_text()[-3000:]}")


def _run(*command: str) -> bool:
    return subprocess.run(command, capture_output=True, timeout=30).returncode == 0


@contextmanager
def _tmpfs(where: Path, size: str) -> Iterator[None]:
    """A tiny tmpfs mounted at ``where`` (fails the test when mounting is not allowed)."""
    where.mkdir(parents=True, exist_ok=True)
    if shutil.which("mount") is None or not _run(
        "mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)
    ):
        pytest.fail("mounting a tmpfs needs root (CAP_SYS_ADMIN): run the suite as root")
    try:
        yield
    finally:
        if not _run("umount", str(where)):
            _run("umount", "-l", str(where))


def test_a_full_disk_gets_503_and_what_was_acknowledged_lands_once_space_is_freed(
    tmp_path: Path,
) -> None:
    data = tmp_path / "full"
    with _tmpfs(data / "spool", "256k"):
        server = Server(data, env={"FLOWSCOPE_FAULT_INSERT_FAILURES": "2"}).start()
        try:
            with sending(server) as sent:
                sent.until_refused()
                assert set(sent.summary()) == {200, 503} and sent.retry_after == {"5"}
                assert "the spool cannot persist data" in sent.refusal, sent.refusal
                assert _run("mount", "-o", "remount,size=16m", str(data / "spool"))  # space freed
                sent.check_landed_exactly_once()
                assert sent.spans() == 200
                print(f"disk full: {sent.summary()}")
        finally:
            server.stop()


def test_an_unwritable_spool_gets_503_and_recovers_when_writable_again(tmp_path: Path) -> None:
    data = tmp_path / "readonly"
    server = Server(data, env={"FLOWSCOPE_FAULT_INSERT_FAILURES": "1"}).start()
    try:
        with sending(server) as sent:
            assert sent.spans() == 200
            spool = data / "spool"
            with immutable(spool, spool / "spool.sqlite", spool / "spool.sqlite-wal"):
                sent.until_refused(refusals=4)
            assert set(sent.summary()) == {200, 503} and sent.retry_after == {"5"}
            assert "the spool cannot persist data" in sent.refusal, sent.refusal
            sent.check_landed_exactly_once()
            assert sent.spans() == 200 and sent.event() == 200
            sent.check_landed_exactly_once()
    finally:
        server.stop()


def test_a_spool_that_cannot_be_created_stops_the_server_with_the_reason(tmp_path: Path) -> None:
    spool = tmp_path / "data" / "spool"
    spool.mkdir(parents=True)
    with immutable(spool):
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "flowscope",
                "serve",
                "--port",
                "1",
                "--data-dir",
                str(tmp_path / "data"),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert run.returncode == 1
    assert "cannot open the spool" in run.stderr and "Traceback" not in run.stderr
