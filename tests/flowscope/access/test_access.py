"""API keys: hashes at rest, scopes per route, 401/403, and no open bind without keys."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from flowscope.access import (
    AccessError,
    KeyStore,
    is_loopback,
    refuse_open_bind,
    required_scope,
)
from tests.flowscope.access.guarded import ORIGIN, guarded_client


@pytest.mark.parametrize(
    ("method", "path", "scope"),
    [
        ("POST", "/v1/traces", "ingest"),
        ("POST", "/api/v1/events", "ingest"),
        ("GET", "/api/v1/correlations/A-1", "read"),
        ("GET", "/metrics", "read"),
        ("GET", "/docs", "read"),
        ("GET", "/api/v1/audit", "admin"),
        ("POST", "/api/v1/silences", "operate"),
        ("POST", "/api/v1/flows/order-to-cash/runs/A-1/replay", "operate"),
        ("POST", "/api/v1/flows/order-to-cash/maintenance", "operate"),
        ("POST", "/api/v1/costs", "admin"),
        ("GET", "/healthz", None),
        ("GET", "/readyz", None),
        ("POST", "/dashboards/_dash-update-component", "read"),
    ],
    ids=[
        "posting spans needs ingest",
        "posting events needs ingest",
        "a lookup needs read",
        "metrics need read",
        "the API docs need read",
        "the audit trail needs admin",
        "a silence needs operate",
        "a replay needs operate",
        "declaring maintenance needs operate",
        "other writes need admin",
        "liveness is open",
        "readiness is open",
        "the dashboards' callbacks only need read",
    ],
)
def test_every_route_maps_to_a_scope(method: str, path: str, scope: str | None) -> None:
    assert required_scope(method, path) == scope


def test_a_created_key_is_stored_only_as_a_hash(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys.yaml")
    key = store.create("read", name="dash")
    text = (tmp_path / "keys.yaml").read_text()
    assert key not in text and "sha256:" in text
    found = store.match(key)
    assert found is not None and (found.name, found.scope) == ("dash", "read")
    assert store.match(key + "x") is None
    assert oct((tmp_path / "keys.yaml").stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("keys: [{scope: root, hash: 'sha256:" + "0" * 64 + "'}]", "scope must be one of"),
        ("keys: [{scope: read, hash: 'md5:abc'}]", "hash must be sha256"),
        ("keys: [7]", "must be a mapping"),
        ("keys: [", "cannot read the keys file"),
    ],
    ids=[
        "an unknown scope is refused",
        "a foreign hash is refused",
        "a non-mapping entry is refused",
        "broken YAML is refused",
    ],
)
def test_a_malformed_keys_file_is_refused_with_the_reason(
    tmp_path: Path, content: str, fragment: str
) -> None:
    (tmp_path / "keys.yaml").write_text(content)
    with pytest.raises(AccessError, match=fragment):
        KeyStore(tmp_path / "keys.yaml").keys()


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.1", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("192.0.2.7", False),
        ("example.org", False),
    ],
    ids=[
        "127.0.0.1 is loopback",
        "all of 127/8 is loopback",
        "::1 is loopback",
        "localhost is loopback",
        "the wildcard is not",
        "a routable address is not",
        "a hostname is not",
    ],
)
def test_loopback_addresses_are_recognised(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_an_open_bind_without_keys_is_refused_with_how_to_fix_it(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys.yaml")
    message = refuse_open_bind("0.0.0.0", store)
    assert message is not None and "flowscope keys create --scope ingest" in message
    assert refuse_open_bind("127.0.0.1", store) is None
    store.create("ingest")
    assert refuse_open_bind("0.0.0.0", store) is None


def test_serve_on_a_public_address_without_keys_exits_with_the_message(tmp_path: Path) -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "flowscope",
            "serve",
            "--host",
            "0.0.0.0",
            "--port",
            "1",
            "--data-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1
    assert "flowscope keys create --scope ingest" in run.stderr


def test_without_any_key_every_route_is_open(tmp_path: Path) -> None:
    client = guarded_client(KeyStore(tmp_path / "keys.yaml"))
    assert client.get("/api/v1/correlations/A").status_code == 200
    assert client.post("/v1/traces").status_code == 200


def test_with_keys_the_guard_answers_401_and_403_by_scope(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys.yaml")
    ingest, read, admin = store.create("ingest"), store.create("read"), store.create("admin")
    cases = [
        ("POST", "/v1/traces", None, 401),
        ("POST", "/v1/traces", "Bearer wrong", 401),
        ("POST", "/v1/traces", f"Bearer {read}", 403),
        ("POST", "/v1/traces", f"Bearer {ingest}", 200),
        ("GET", "/api/v1/correlations/A", f"Bearer {ingest}", 403),
        ("GET", "/api/v1/correlations/A", f"bearer {read}", 200),
        ("GET", "/api/v1/audit", f"Bearer {read}", 403),
        ("GET", "/api/v1/audit", f"Bearer {admin}", 200),
        ("GET", "/healthz", None, 200),
    ]
    client = guarded_client(store)
    for method, path, auth, status in cases:
        headers = {"authorization": auth} if auth else {}
        resp = client.request(method, path, headers=headers)
        assert resp.status_code == status, (method, path, auth)
        if status == 401:
            assert resp.headers["www-authenticate"].startswith("Bearer")
        assert (read not in resp.text) and (ingest not in resp.text)


def test_a_browser_signs_in_with_a_read_key_and_gets_a_session_cookie(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys.yaml")
    read, ingest = store.create("read", name="exec"), store.create("ingest")
    client = guarded_client(store)
    first = client.get("/dashboards/executive")
    assert (first.status_code, first.headers["location"]) == (303, "/dashboards/login")
    assert "<form" in client.get("/dashboards/login").text
    for bad, reason in ((ingest, "no read scope"), ("fsk_read_nonsense", "not valid")):
        refused = client.request("POST", "/dashboards/login", data={"key": bad}, headers=ORIGIN)
        assert refused.status_code == 401 and reason in refused.text
        assert bad not in refused.text
    signed = client.request("POST", "/dashboards/login", data={"key": read}, headers=ORIGIN)
    assert signed.status_code == 303
    cookie = signed.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and read not in cookie
    session = {"cookie": cookie.split(";")[0]}
    assert client.request("GET", "/dashboards/executive", headers=session).text == "ok"
    assert client.request("POST", "/dashboards/_dash-update-component",
                          headers=session).status_code == 200
    # the cookie is for the dashboards only, and a forged one is nothing
    assert client.request("GET", "/api/v1/correlations/A", headers=session).status_code == 401
    forged = {"cookie": "flowscope_session=forged"}
    assert client.request("GET", "/dashboards/executive", headers=forged).status_code == 303
