"""A real flowscope server process on a free loopback port, started per test module or test."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.ports import free_port as shared_free_port

CATALOG = Path(__file__).with_name("catalog.yaml")


def free_port() -> int:
    return shared_free_port()


class Server:
    """``flowscope serve`` in a child process; ``kill()`` is SIGKILL, ``start()`` restarts it."""

    def __init__(
        self,
        data_dir: Path,
        *,
        catalog: Path = CATALOG,
        env: dict[str, str] | None = None,
        grpc: bool = False,
    ):
        self.data_dir = data_dir
        self.catalog = catalog
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.grpc_port = free_port() if grpc else 0
        """The OTLP/gRPC port (``grpc=True``), else 0: not served."""
        self.env = env or {}
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = data_dir / "server.log"

    def start(self, *, wait: bool = True) -> Server:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **self.env}
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "flowscope",
                    "serve",
                    "--port",
                    str(self.port),
                    "--grpc-port",
                    str(self.grpc_port),
                    "--data-dir",
                    str(self.data_dir),
                    "--catalog",
                    str(self.catalog),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server not ready after {timeout}s:\n{self.log.read_text()[-3000:]}")

    def wait_drained(self, timeout: float = 60.0, *, headers: dict[str, str] | None = None
                     ) -> None:
        """Wait until the spool has handed everything to the warehouse (``headers``: a key
        that may read ``/metrics``, once the server has keys)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = httpx.get(f"{self.url}/metrics", timeout=5, headers=headers).text
            for line in text.splitlines():
                if line.startswith("flowscope_spool_entries ") and float(line.split()[1]) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("spool did not drain")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server per test module, with the test catalog."""
    srv = Server(tmp_path_factory.mktemp("server")).start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture()
def client(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c
