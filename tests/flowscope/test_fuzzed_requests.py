"""Fuzzing a real server: every route of its OpenAPI schema (schemathesis), and ingest bodies.

The server runs with an admin key from ``FLOWSCOPE_API_KEYS`` (so every route is reachable) in a
child process. Each operation gets a bounded number of schema-conforming (positive) and
schema-violating (negative) requests; none may answer 5xx, and the process must survive.
Ingest routes declare no request body in the schema, so their bodies are fuzzed separately.
"""

from __future__ import annotations

import contextlib
import gzip
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error

from flowscope.access import digest, new_key
from tests.flowscope.conftest import Server

EXAMPLES = 20
"""Requests per operation and generation mode."""

ADMIN = new_key("admin")


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {"FLOWSCOPE_API_KEYS": f"fuzzer=admin:{digest(ADMIN)}"}
    server = Server(tmp_path_factory.mktemp("fuzz"), env=env).start()
    try:
        yield server
    finally:
        server.stop()


def _auth() -> dict[str, str]:
    return {"authorization": f"Bearer {ADMIN}"}


def _fuzz(operation: Any, mode: schemathesis.GenerationMode, base_url: str) -> dict[int, int]:
    statuses: dict[int, int] = {}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(mode))
    def run(case: Any) -> None:
        response = case.call(base_url=base_url, headers=_auth(), timeout=10)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        case.validate_response(response, checks=[not_a_server_error])

    with contextlib.suppress(Unsatisfiable):  # e.g. a free-form string: nothing to violate
        run()
    return statuses


def test_no_route_of_the_openapi_schema_answers_5xx_or_crashes_the_server(
    fuzzed: Server,
) -> None:
    document = httpx.get(f"{fuzzed.url}/openapi.json", headers=_auth(), timeout=10).json()
    schema = schemathesis.openapi.from_dict(document)
    # An operation schemathesis cannot read is an Err without .ok(): the test fails loudly.
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    labels = {op.label for op in operations}
    assert {"GET /api/v1/audit", "GET /api/v1/correlations/{correlation_id}"} <= labels
    started = time.monotonic()
    failures: list[str] = []
    for operation in operations:
        modes = [schemathesis.GenerationMode.POSITIVE]
        if list(operation.iter_parameters()):  # without parameters there is nothing to violate
            modes.append(schemathesis.GenerationMode.NEGATIVE)
        for mode in modes:
            try:
                statuses = _fuzz(operation, mode, fuzzed.url)
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - every route gets a turn
                failures.append(f"{operation.label} {mode.value}: {str(exc)[:1500]}")
                continue
            print(f"{operation.label} {mode.value}: {dict(sorted(statuses.items()))}")
    print(f"{len(operations)} operations fuzzed in {time.monotonic() - started:.1f}s")
    assert not failures, "\n\n".join(failures)
    assert fuzzed.proc is not None and fuzzed.proc.poll() is None
    assert " 500 Internal Server Error" not in fuzzed.log.read_text()


_CONTENT_TYPES = [
    "application/x-protobuf",
    "application/json",
    "application/cloudevents+json",
    "application/cloudevents-batch+json",
    "text/plain",
    "application/json; charset=latin-1",
    "",
]


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(
    path=st.sampled_from(["/v1/traces", "/v1/logs", "/api/v1/events"]),
    content_type=st.sampled_from(_CONTENT_TYPES),
    body=st.binary(max_size=2048),
    gzipped=st.booleans(),
    ce_headers=st.booleans(),
)
def test_random_ingest_bodies_never_get_a_5xx(
    fuzzed: Server,
    path: str,
    content_type: str,
    body: bytes,
    gzipped: bool,
    ce_headers: bool,
) -> None:
    headers = {**_auth(), "content-type": content_type}
    if gzipped:
        body, headers["content-encoding"] = gzip.compress(body), "gzip"
    if ce_headers:
        headers |= {"ce-specversion": "1.0", "ce-id": "f", "ce-source": "/f", "ce-type": "t"}
    response = httpx.post(f"{fuzzed.url}{path}", content=body, headers=headers, timeout=10)
    assert response.status_code < 500, response.text


def test_the_fuzzed_server_wrote_its_audit_trail(fuzzed: Server) -> None:
    response = httpx.get(f"{fuzzed.url}/api/v1/audit?limit=5", headers=_auth(), timeout=10)
    assert response.status_code == 200
    assert {i["actor"] for i in response.json()["items"]} <= {"fuzzer", "local"}
