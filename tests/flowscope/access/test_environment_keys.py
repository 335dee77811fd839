"""Keys from the environment (hashes only), and keys that are never printed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from flowscope.access import (
    AccessError,
    KeyStore,
    digest,
    environment_keys,
    key_store,
    new_key,
    refuse_open_bind,
)
from tests.asgi import InProcessClient
from tests.flowscope.access.guarded import guarded_client

H1 = digest("one")
H2 = digest("two")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", []),
        (" , ,", []),
        (f"ingest:{H1}", [("env-ingest-1", "ingest", H1)]),
        (f"ci=ingest:{H1}, read:{H2}", [("ci", "ingest", H1), ("env-read-2", "read", H2)]),
        (f"ops=admin:{H1.upper().replace('SHA256', 'sha256')}", [("ops", "admin", H1)]),
    ],
    ids=[
        "unset means none",
        "blank entries are ignored",
        "an unnamed entry gets a name",
        "named and unnamed entries mix",
        "upper-case hex digits are accepted",
    ],
)
def test_environment_entries_become_keys(value: str, expected: list[tuple[str, str, str]]) -> None:
    keys = environment_keys({"FLOWSCOPE_API_KEYS": value})
    assert [(k.name, k.scope, k.digest) for k in keys] == expected


RAW = new_key("admin")


@pytest.mark.parametrize(
    ("value", "position"),
    [
        (RAW, 1),
        (f"read:{H1},{RAW}", 2),
        (f"root:{H1}", 1),
        ("read:md5:abc", 1),
        ("read:sha256:1234", 1),
        (f"a b=read:{H1}", 1),
    ],
    ids=[
        "a raw key is refused and not echoed",
        "the position of the bad entry is named",
        "an unknown scope is refused",
        "a foreign hash is refused",
        "a short digest is refused",
        "a name with a space is refused",
    ],
)
def test_a_malformed_environment_entry_is_refused_without_echoing_it(
    value: str, position: int
) -> None:
    with pytest.raises(AccessError, match=f"entry {position} ") as caught:
        environment_keys({"FLOWSCOPE_API_KEYS": value})
    assert RAW not in str(caught.value) and "md5" not in str(caught.value)


def test_environment_keys_open_the_guard_beside_the_keys_file(tmp_path: Path) -> None:
    from_env = new_key("read")
    store = key_store(
        tmp_path / "keys.yaml", {"FLOWSCOPE_API_KEYS": f"dash=read:{digest(from_env)}"}
    )
    from_file = store.create("ingest", name="svc")
    client: InProcessClient = guarded_client(store)
    assert client.request("GET", "/api/v1/correlations/A").status_code == 401
    ok = client.request(
        "GET", "/api/v1/correlations/A", headers={"authorization": f"Bearer {from_env}"}
    )
    assert ok.status_code == 200
    denied = client.request("GET", "/api/v1/audit", headers={"authorization": f"Bearer {from_env}"})
    assert denied.status_code == 403
    assert (
        client.request(
            "POST", "/v1/traces", headers={"authorization": f"Bearer {from_file}"}
        ).status_code
        == 200
    )
    listed = store.keys()
    assert [k.name for k in listed] == ["svc", "dash"]
    assert "dash" not in (tmp_path / "keys.yaml").read_text()  # env keys are never written


def test_environment_keys_alone_allow_an_open_bind(tmp_path: Path) -> None:
    env = {"FLOWSCOPE_API_KEYS": f"ingest:{H1}"}
    assert refuse_open_bind("0.0.0.0", key_store(tmp_path / "keys.yaml", env)) is None
    assert refuse_open_bind("0.0.0.0", KeyStore(tmp_path / "keys.yaml")) is not None


def _flowscope(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flowscope", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
    )


def test_serve_with_a_malformed_environment_key_stops_without_echoing_it(tmp_path: Path) -> None:
    run = _flowscope(
        "serve", "--port", "1", "--data-dir", str(tmp_path), env={"FLOWSCOPE_API_KEYS": RAW}
    )
    assert run.returncode == 1
    assert "FLOWSCOPE_API_KEYS entry 1" in run.stderr
    assert RAW not in run.stdout + run.stderr


def test_the_cli_never_prints_the_key_it_sends(tmp_path: Path) -> None:
    secret = new_key("read")
    run = _flowscope(
        "trace", "A-1", "--url", "http://127.0.0.1:9", env={"FLOWSCOPE_API_KEY": secret}
    )
    assert run.returncode == 1
    assert "cannot reach flowscope" in run.stderr
    assert secret not in run.stdout + run.stderr
