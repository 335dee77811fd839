"""Sustained ingest for the crash and fault tests: requests sent in a loop, each remembered as
acknowledged or not."""

from __future__ import annotations

import json
import threading
import time
import uuid

import httpx

from tests.flowscope.orders import count, otlp_request

__all__ = ["SPANS_PER_REQUEST", "Load", "count"]

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
