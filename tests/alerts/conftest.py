"""Fixtures of the alerts tests: a clock, a webhook receiver, a real Alertmanager, a store.

The peers are real: ``prometheus-alertmanager`` and ``promtool`` from Debian's packages
(``make debs``). A missing binary fails the test with the install hint; nothing is skipped.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from alerts.store import AlertStore
from tests.ports import free_port as shared_free_port
from warehouse.migrations import apply_migrations
from warehouse.port import Warehouse

INSTALL_HINT = (
    "install the Debian packages with `make debs` (apt-get install -y --no-install-recommends "
    "prometheus prometheus-alertmanager)"
)
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
"""A Monday noon, outside every maintenance window of the test catalogs."""


def require_binary(name: str) -> str:
    """The path of ``name``; fails the test loudly (never skips) when it is missing."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not on PATH: {INSTALL_HINT}", pytrace=False)
    return path


class Clock:
    """An injected clock: ``clock()`` is the current instant, ``advance`` moves it."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> datetime:
        self.now += delta
        return self.now


@pytest.fixture()
def clock() -> Clock:
    return Clock()


@dataclass
class Delivery:
    """One request the receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A webhook receiver on loopback that records every POST and answers ``status`` with
    ``answer`` after ``delay`` seconds; ``fail_next`` answers 500 (with ``answer``) that many
    times, recording nothing."""

    url: str = ""
    deliveries: list[Delivery] = field(default_factory=list)
    fail_next: int = 0
    status: int = 200
    answer: bytes = b""
    delay: float = 0.0
    cond: threading.Condition = field(default_factory=threading.Condition)

    def to(self, path: str) -> list[Delivery]:
        """The deliveries to ``path``, in arrival order."""
        with self.cond:
            return [d for d in self.deliveries if d.path == path]

    def wait_for(self, predicate: Callable[[Delivery], bool], timeout: float = 10.0
                 ) -> Delivery:
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                found = next((d for d in self.deliveries if predicate(d)), None)
                if found is not None:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no matching delivery in {timeout}s; got "
                                         f"{[d.body[:300] for d in self.deliveries]}")
                self.cond.wait(left)


def _serve(receiver: Receiver) -> tuple[ThreadingHTTPServer, threading.Thread]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            with receiver.cond:
                failing = receiver.fail_next > 0
                if failing:
                    receiver.fail_next -= 1
                else:
                    receiver.deliveries.append(Delivery(
                        self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                receiver.cond.notify_all()
                status, answer, delay = receiver.status, receiver.answer, receiver.delay
            threading.Event().wait(delay)
            self.send_response(500 if failing else status)
            self.send_header("content-length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    return server, thread


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    """A :class:`Receiver` listening on a free loopback port until the block ends."""
    found = Receiver()
    server, thread = _serve(found)
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture()
def receiver() -> Iterator[Receiver]:
    """A fresh receiver per test."""
    with running_receiver() as found:
        yield found


def free_port() -> int:
    return shared_free_port()


@dataclass
class Alertmanager:
    """A running Alertmanager and the receiver its only route delivers to."""

    url: str
    receiver: Receiver


@contextmanager
def running_alertmanager(home: Path) -> Iterator[Alertmanager]:
    """``prometheus-alertmanager`` on a free loopback port (state and log in ``home``),
    grouping by alert labels with ``group_wait: 1s`` and sending (and resolving) to a receiver
    of its own, until the block ends."""
    binary = require_binary("prometheus-alertmanager")
    with running_receiver() as found:
        config = home / "alertmanager.yml"
        config.write_text(
            "route:\n"
            "  receiver: test\n"
            "  group_by: [alertname, flow, slo, severity, rule]\n"
            "  group_wait: 1s\n"
            "  group_interval: 1s\n"
            "  repeat_interval: 1h\n"
            "receivers:\n"
            "  - name: test\n"
            "    webhook_configs:\n"
            f"      - url: {found.url}/alertmanager\n"
            "        send_resolved: true\n"
        )
        port = free_port()
        with (home / "alertmanager.log").open("wb") as log:
            proc = subprocess.Popen(
                [binary, f"--config.file={config}", f"--web.listen-address=127.0.0.1:{port}",
                 "--cluster.listen-address=", f"--storage.path={home / 'data'}"],
                stdout=log, stderr=subprocess.STDOUT)
            url = f"http://127.0.0.1:{port}"
            try:
                _wait_ready(url, proc, home / "alertmanager.log")
                yield Alertmanager(url, found)
            finally:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)


@pytest.fixture(scope="session")
def alertmanager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Alertmanager]:
    """A real Alertmanager for the session (see :func:`running_alertmanager`)."""
    with running_alertmanager(tmp_path_factory.mktemp("alertmanager")) as found:
        yield found


def _wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"alertmanager exited:\n{log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"alertmanager not ready:\n{log.read_text()[-2000:]}")


@pytest.fixture()
def store(chdb_dsn: str, fresh_database: str) -> Iterator[AlertStore]:
    """An :class:`AlertStore` over a freshly migrated database of the session engine."""
    with Warehouse.connect(chdb_dsn, database=fresh_database) as wh:
        apply_migrations(wh)
        yield AlertStore(wh)
