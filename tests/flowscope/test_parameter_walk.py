"""Every parameter of every route, walked with out-of-range and ill-typed values.

A real server (an admin key, the example catalog with costs and SLOs, a few runs stored) is
asked, for each operation of its OpenAPI schema and each of its query and path parameters, with
that parameter set to each value of :data:`BAD_VALUES` (years 1 and 9999 as instants and days,
durations beyond what a date can hold, numbers of the wrong kind, huge and empty strings) and
then to values Hypothesis draws (text, integers, instants of any year from 1 to 9999). The
bodies of ``POST /api/v1/silences``, ``POST /api/v1/costs``, a bulk replay and a maintenance
declared now are walked the same way, field by field (posts carry a fresh ``Idempotency-Key``).
No answer may be a 5xx, a refused parameter is a 400 whose ``detail`` names it, and no answer
ever carries the engine's text (``DB::Exception``, ClickHouse codes and versions) or,
on an error, a temporary path.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowscope.access import digest, new_key
from tests.flowscope.conftest import Server

ADMIN = new_key("admin")
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "catalog.yaml"

BAD_VALUES = [
    "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "0001-01-01", "9999-12-31",
    "1969-12-31T23:59:59Z", "2200-01-01T00:00:00Z", "2026-13-45T00:00:00Z",
    "2026-03-01T10:00:00", "99999999999d", "36600d", "0s", "-5m", "-1", "0", "1e309",
    "NaN", "true", "abc", "", " ", "x" * 5000, "%00", "'; DROP TABLE otel_traces; --",
]
"""Values each parameter is given in turn."""

ENGINE_TEXT = re.compile(r"DB::Exception|Code: \d{2,}|\(version \d+\.\d+|Stack trace|"
                         r"Traceback|chdb|clickhouse_connect", re.IGNORECASE)
TEMP_PATH = re.compile(r"/tmp/|/var/tmp/|pytest-of-")
PATH_DEFAULTS = {"flow": "order-to-cash", "correlation_id": "A-1", "silence_id": "s-1"}
REQUIRED_DEFAULTS = {"key": "customer.id", "value": "C-0001"}
"""Values of required query parameters while another one is walked."""


@pytest.fixture(scope="module")
def walked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {"FLOWSCOPE_API_KEYS": f"walker=admin:{digest(ADMIN)}"}
    server = Server(tmp_path_factory.mktemp("walk"), catalog=EXAMPLES, env=env).start()
    now = datetime.now(UTC)
    events = []
    for i in range(5):
        order = f"W-{i}-{uuid.uuid4().hex[:6]}"
        for type_, minutes in (("OrderPlaced", 3), ("InvoicePosted" if i else "PaymentFailed", 2)):
            events.append({"specversion": "1.0", "id": uuid.uuid4().hex, "source": "/walk",
                           "type": type_, "orderid": order,
                           "time": (now - timedelta(minutes=minutes)).isoformat()})
    sent = httpx.post(f"{server.url}/api/v1/events", json=events, timeout=30,
                      headers={**auth(), "content-type": "application/cloudevents-batch+json"})
    assert sent.status_code == 200, sent.text
    try:
        yield server
    finally:
        server.stop()


def auth() -> dict[str, str]:
    return {"authorization": f"Bearer {ADMIN}"}


_SCHEMAS: dict[str, Any] = {}


def operations(server: Server) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """(method, path template, query and path parameters) of every operation."""
    if server.url not in _SCHEMAS:
        _SCHEMAS[server.url] = httpx.get(f"{server.url}/openapi.json", headers=auth(),
                                         timeout=30).json()
    schema = _SCHEMAS[server.url]
    found = []
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            params = [p for p in operation.get("parameters", []) if p["in"] in ("query", "path")]
            found.append((method.upper(), path, params))
    return found


def check(response: httpx.Response, parameter: str, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code} {response.text[:300]}"
    assert not ENGINE_TEXT.search(response.text), f"{what}: {response.text[:300]}"
    if response.status_code >= 400:
        assert not TEMP_PATH.search(response.text), f"{what}: {response.text[:300]}"
    if response.status_code == 400:
        detail = str(response.json().get("detail", ""))
        assert parameter.split(".")[-1] in detail, f"{what}: {detail[:300]}"


def ask(client: httpx.Client, method: str, template: str, params: list[dict[str, Any]],
        name: str, value: str) -> httpx.Response:
    path = template
    query: dict[str, str] = {}
    for param in params:
        text = value if param["name"] == name else None
        if param["in"] == "path":
            given_value = text if text not in (None, "") else PATH_DEFAULTS.get(param["name"], "x")
            path = path.replace("{" + param["name"] + "}", quote(str(given_value), safe=""))
        elif text is not None:
            query[param["name"]] = text
        elif param.get("required"):
            query[param["name"]] = REQUIRED_DEFAULTS[param["name"]]
    headers = auth()
    if method == "POST":  # replays need one; walked values must be what is refused
        headers["Idempotency-Key"] = uuid.uuid4().hex
    return client.request(method, path, params=query, headers=headers,
                          json=BODY_DEFAULTS.get((method, template)))


def test_every_parameter_of_every_route_refuses_bad_values_with_a_400_naming_it(
        walked: Server) -> None:
    walked_params = 0
    with httpx.Client(base_url=walked.url, timeout=60) as client:
        for method, template, params in operations(walked):
            for param in params:
                walked_params += 1
                for value in BAD_VALUES:
                    response = ask(client, method, template, params, param["name"], value)
                    check(response, param["name"], f"{method} {template} {param['name']}="
                                                   f"{value[:30]!r}")
    assert walked_params >= 20


instants = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31),
                        timezones=st.just(UTC)).map(lambda d: d.isoformat())
values = st.one_of(instants, instants.map(lambda t: t[:10]), st.text(max_size=40),
                   st.integers().map(str), st.floats().map(str),
                   st.integers(min_value=0).map(lambda n: f"{n}d"))


@settings(max_examples=100, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_drawn_values_never_get_a_5xx_or_engine_text(walked: Server, data: st.DataObject) -> None:
    chosen = data.draw(st.sampled_from([op for op in operations(walked) if op[2]]))
    method, template, params = chosen
    param = data.draw(st.sampled_from(params))
    value = data.draw(values)
    with httpx.Client(base_url=walked.url, timeout=60) as client:
        response = ask(client, method, template, params, param["name"], value)
    check(response, param["name"], f"{method} {template} {param['name']}={value[:30]!r}")


SILENCE = {"matchers": [{"name": "flow", "op": "=", "value": "order-to-cash"}],
           "duration": "2h"}
LINE = {"id": "w-1", "date": "2026-03-01", "flow": "order-to-cash", "category": "fees",
        "amount": "1.00", "currency": "USD", "source": "walk"}
BULK = {"limit": 5, "q": ""}
MAINTENANCE = {"duration": "1h", "reason": "walk"}
BULK_PATH = "/api/v1/flows/order-to-cash/dead-letters/replay"
MAINTENANCE_PATH = "/api/v1/flows/order-to-cash/maintenance"
BODY_DEFAULTS = {("POST", "/api/v1/flows/{flow}/dead-letters/replay"): BULK,
                 ("POST", "/api/v1/flows/{flow}/maintenance"): MAINTENANCE}
"""Valid bodies of the routes that take one, sent while their path parameters are walked."""


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [("/api/v1/silences", SILENCE, f) for f in ("duration", "starts_at", "ends_at")]
    + [("/api/v1/costs", LINE, f) for f in ("date", "amount", "currency")]
    + [(BULK_PATH, BULK, f) for f in ("limit", "q")]
    + [(MAINTENANCE_PATH, MAINTENANCE, f) for f in ("duration", "reason")],
)
def test_every_body_field_refuses_bad_values_with_a_400_naming_it(
        walked: Server, path: str, body: dict[str, Any], field: str) -> None:
    with httpx.Client(base_url=walked.url, timeout=60) as client:
        for value in [*BAD_VALUES, 7, 1.5, None, [], {}]:
            sent = {**body, field: value}
            if field in ("starts_at", "ends_at"):
                sent.pop("duration", None) if field == "ends_at" else None
            payload = {"lines": [sent]} if path == "/api/v1/costs" else sent
            response = client.post(path, json=payload,
                                   headers={**auth(), "Idempotency-Key": uuid.uuid4().hex})
            check(response, field, f"{path} {field}={str(value)[:30]!r}")
