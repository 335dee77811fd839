"""SIGKILL during sustained ingest: every acknowledged span and event is there exactly once."""

from __future__ import annotations

import json
import threading
import time
import uuid
from pathlib import Path

import httpx

from tests.flowscope.conftest import Server
from tests.flowscope.test_ingest_and_lookup import otlp_request

SPANS_PER_REQUEST = 20


class Load:
    """Sends OTLP and CloudEvents requests in a loop, remembering which were acknowledged."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.stop = threading.Event()
        self.acked_spans: list[str] = []
        self.acked_events: list[str] = []
        self.unacked: list[str] = []

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=5) as client:
            n = 0
            while not self.stop.is_set():
                n += 1
                cid = f"K-{uuid.uuid4().hex[:10]}"
                kind = "spans" if n % 2 else "events"
                try:
                    if kind == "spans":
                        resp = client.post(
                            "/v1/traces",
                            content=otlp_request(cid, SPANS_PER_REQUEST),
                            headers={"content-type": "application/x-protobuf"},
                        )
                    else:
                        ev = {
                            "specversion": "1.0",
                            "id": cid,
                            "source": "/crash",
                            "type": "OrderPlaced",
                            "orderid": cid,
                        }
                        resp = client.post(
                            "/api/v1/events",
                            content=json.dumps(ev),
                            headers={"content-type": "application/cloudevents+json"},
                        )
                except httpx.HTTPError:
                    self.unacked.append(cid)
                    time.sleep(0.05)
                    continue
                if resp.status_code == 200:
                    (self.acked_spans if kind == "spans" else self.acked_events).append(cid)
                else:
                    self.unacked.append(cid)


def count(client: httpx.Client, cid: str) -> int:
    resp = client.get(f"/api/v1/correlations/{cid}")
    if resp.status_code == 404:
        return 0
    assert resp.status_code == 200, resp.text
    return len(resp.json()["items"])


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
