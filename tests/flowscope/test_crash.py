"""SIGKILL during sustained ingest: every acknowledged span and event is there exactly once."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx

from tests.flowscope.conftest import Server
from tests.flowscope.load import SPANS_PER_REQUEST, Load, count


def test_sigkill_mid_ingest_loses_nothing_acknowledged_and_duplicates_nothing(
    tmp_path: Path,
) -> None:
    server = Server(tmp_path / "crash").start()
    load = Load(server.url)
    sender = threading.Thread(target=load.run)
    sender.start()
    try:
        for _ in range(2):
            time.sleep(1.5)
            server.kill()
            time.sleep(0.3)
            server.start()
        time.sleep(1.0)
    finally:
        load.stop.set()
        sender.join()
    try:
        server.wait_drained()
        with httpx.Client(base_url=server.url, timeout=10) as client:
            spans = {cid: count(client, cid) for cid in load.acked_spans}
            events = {cid: count(client, cid) for cid in load.acked_events}
            stray = {cid: count(client, cid) for cid in load.unacked}
    finally:
        server.stop()
    print(
        f"acknowledged: {len(spans)} span requests ({len(spans) * SPANS_PER_REQUEST} spans), "
        f"{len(events)} events; unacknowledged requests: {len(stray)}"
    )
    assert len(spans) > 10 and len(events) > 10
    assert {c for c, n in spans.items() if n != SPANS_PER_REQUEST} == set()
    assert {c for c, n in events.items() if n != 1} == set()
    assert all(n in (0, 1, SPANS_PER_REQUEST) for n in stray.values())
