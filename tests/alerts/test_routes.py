"""HTTP: active alerts and history, silences created, listed and deleted; writes need admin."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from alerts.evaluator import AlertEvaluator
from alerts.facts import load_rule_set
from alerts.metrics import AlertMetrics
from alerts.routes import alerts_router
from alerts.signals import InMemorySignals
from alerts.store import AlertStore
from catalog.spec import load_catalog
from flowscope.access import required_scope
from flowscope.http_errors import install_error_handlers
from tests.alerts.conftest import T0, Clock
from tests.asgi import InProcessClient

RULES = load_rule_set(load_catalog(Path(__file__).with_name("catalog.yaml")))
FLOW = "order-to-cash"


class Api:
    def __init__(self, clock: Clock, store: AlertStore | None) -> None:
        self.signals = InMemorySignals()
        self.store = store
        self.evaluator = AlertEvaluator(
            RULES, signals=lambda: self.signals, store=lambda: self.store, dispatchers=[],
            metrics=AlertMetrics(CollectorRegistry()), clock=clock)
        app = FastAPI()
        install_error_handlers(app)
        app.include_router(alerts_router(self.evaluator, clock=clock))
        self.client = InProcessClient(app)


@pytest.fixture()
def api(clock: Clock, store: AlertStore) -> Iterator[Api]:
    yield Api(clock, store)


SILENCE = {"matchers": [{"name": "flow", "op": "=", "value": FLOW}], "duration": "2h",
           "created_by": "ops", "comment": "NetSuite upgrade"}


def test_active_alerts_and_their_history_are_listed(api: Api, clock: Clock) -> None:
    api.signals.record_slo(FLOW, "posted-in-2m", good=90, bad=10, at=T0 - timedelta(minutes=1))
    api.evaluator.evaluate()
    body = api.client.get("/api/v1/alerts").json()
    assert body["evaluated_at"] == "2026-03-02T12:00:00.000Z"
    assert sorted(a["labels"]["severity"] for a in body["active"]) == ["page", "ticket"]
    page = next(a for a in body["active"] if a["labels"]["severity"] == "page")
    assert page["status"] == "firing"
    assert page["annotations"]["summary"].startswith("10.0 % of order-to-cash runs took longer")
    assert page["fired_at"] == "2026-03-02T12:00:00.000Z"
    assert [(h["from"], h["to"]) for h in body["history"]] == [("inactive", "firing")] * 2

    api.signals.clear()
    clock.advance(timedelta(minutes=1))
    api.evaluator.evaluate()
    body = api.client.get("/api/v1/alerts", params={"flow": FLOW, "limit": 10}).json()
    assert body["active"] == []
    assert len(body["resolved"]) == 2
    assert [h["to"] for h in body["history"]][:2] == ["resolved", "resolved"]
    assert api.client.get("/api/v1/alerts", params={"flow": "lead-to-demo"}).json()[
        "history"] == []
    ancient = api.client.get("/api/v1/alerts", params={"since": "0001-01-01T00:00:03Z"})
    assert ancient.status_code == 200
    assert len(ancient.json()["history"]) == 4


def test_a_silence_is_created_listed_and_deleted(api: Api, clock: Clock) -> None:
    created = api.client.post("/api/v1/silences", json=SILENCE)
    assert created.status_code == 201, created.text
    silence: dict[str, Any] = created.json()
    assert silence["state"] == "active"
    assert silence["ends_at"] == "2026-03-02T14:00:00.000Z"
    assert silence["matchers"] == SILENCE["matchers"]
    listed = api.client.get("/api/v1/silences").json()["silences"]
    assert [s["id"] for s in listed] == [silence["id"]]

    api.signals.record_slo(FLOW, "posted-in-2m", good=90, bad=10, at=T0 - timedelta(minutes=1))
    api.evaluator.evaluate()
    active = api.client.get("/api/v1/alerts").json()["active"]
    assert {a["muted"] for a in active} == {f"silence:{silence['id']}"}

    assert api.client.delete(f"/api/v1/silences/{silence['id']}").status_code == 204
    assert api.client.get("/api/v1/silences").json()["silences"] == []
    assert api.client.delete(f"/api/v1/silences/{silence['id']}").status_code == 404
    clock.advance(timedelta(minutes=1))
    api.evaluator.evaluate()
    assert {a["muted"] for a in api.client.get("/api/v1/alerts").json()["active"]} == {None}


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        pytest.param({"matchers": [{"name": "flow", "op": "=~", "value": ".*"}]},
                     "would mute every alert", id="a silence matching everything is refused"),
        pytest.param({"matchers": [{"name": "flow", "op": "=~", "value": "("}]},
                     "does not compile", id="a broken regular expression is refused"),
        pytest.param({"duration": None}, "give ends_at or duration",
                     id="a silence without an end is refused"),
        pytest.param({"ends_at": "2026-03-02T13:00:00Z"}, "not both",
                     id="an end and a duration together are refused"),
        pytest.param({"duration": None, "ends_at": "2026-03-02T11:00:00Z"}, "end after it starts",
                     id="a silence ending before it starts is refused"),
        pytest.param({"duration": "soon"}, "duration must be a duration",
                     id="a duration that is not one is refused"),
        pytest.param({"matchers": []}, "at least 1 item",
                     id="a silence without matchers is refused"),
        pytest.param({"duration": None, "ends_at": "2026-03-02T13:00:00"}, "timezone",
                     id="an end without a time zone is refused"),
        pytest.param({"duration": None, "ends_at": "9999-01-01T00:00:00Z"}, "between 1970 and 2200",
                     id="a silence beyond what the history can store is refused"),
        pytest.param({"duration": "99999999999d"}, "duration is too long",
                     id="a duration beyond what a date can hold is refused"),
        pytest.param({"duration": "36600d"}, "duration may be at most 36,500d",
                     id="a duration over a century is refused"),
        pytest.param({"starts_at": "9999-12-31T00:00:00Z"}, "starts_at must lie between",
                     id="a start beyond what the history can store is refused"),
        pytest.param({"starts_at": "2199-12-31T00:00:00Z", "duration": "3650d"},
                     "duration would end after 2200",
                     id="a duration whose end cannot be stored is refused"),
        pytest.param({"matchers": [{"name": "flow", "op": "=~", "value": "(a)\\1"}]},
                     "no back-references", id="a pattern RE2 cannot match is refused"),
        pytest.param({"matchers": [{"name": "flow", "op": "=~", "value": "a" * 1001}]},
                     "at most 1000 characters",
                     id="a pattern over the length limit is refused"),
    ],
)
def test_a_bad_silence_is_refused_with_the_reason(clock: Clock, change: dict[str, Any],
                                                  fragment: str) -> None:
    api = Api(clock, None)  # refused before the store is needed
    body = {k: v for k, v in {**SILENCE, **change}.items() if v is not None}
    response = api.client.post("/api/v1/silences", json=body)
    assert response.status_code == 400
    assert fragment in response.text


def test_without_the_warehouse_the_routes_say_so(clock: Clock) -> None:
    api = Api(clock, None)
    for method, path in (("GET", "/api/v1/alerts"), ("GET", "/api/v1/silences"),
                         ("DELETE", "/api/v1/silences/x")):
        assert api.client.request(method, path).status_code == 503
    assert api.client.post("/api/v1/silences", json=SILENCE).status_code == 503


@pytest.mark.parametrize(
    ("method", "path", "scope"),
    [
        pytest.param("GET", "/api/v1/alerts", "read", id="reading alerts needs a read key"),
        pytest.param("GET", "/api/v1/silences", "read", id="listing silences needs a read key"),
        pytest.param("POST", "/api/v1/silences", "operate",
                     id="creating a silence needs an operate key"),
        pytest.param("DELETE", "/api/v1/silences/abc", "operate",
                     id="deleting a silence needs an operate key"),
        pytest.param("POST", "/api/v1/flows/order-to-cash/runs/A-1/replay", "operate",
                     id="a replay needs an operate key"),
        pytest.param("POST", "/api/v1/flows/order-to-cash/dead-letters/replay", "operate",
                     id="a bulk replay needs an operate key"),
        pytest.param("POST", "/api/v1/flows/order-to-cash/maintenance", "operate",
                     id="declaring maintenance needs an operate key"),
        pytest.param("DELETE", "/api/v1/flows/order-to-cash/maintenance/m-1", "operate",
                     id="ending maintenance needs an operate key"),
        pytest.param("POST", "/api/v1/flows/order-to-cash/runs/A-1/replay/x", "admin",
                     id="other writes still need admin"),
        pytest.param("GET", "/api/v1/flows/order-to-cash/dead-letters", "read",
                     id="the dead-letter queue is read"),
    ],
)
def test_alert_routes_are_guarded_by_scope(method: str, path: str, scope: str) -> None:
    assert required_scope(method, path) == scope
