"""Access that fails closed: keys files that vanish, empty or break while serving, sessions that
end with their key, logout, login hardening and refusals aggregated for the audit trail."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import yaml
from starlette.applications import Starlette
from starlette.routing import Route

from flowscope.access import KeyStore, allows, digest
from flowscope.access.audit import AuditLog
from flowscope.access.clients import TrustedProxies
from flowscope.access.denials import MAX_PATH_CHARS, DenialLog
from flowscope.access.guard import AccessGuard
from flowscope.access.sessions import LoginThrottle, SessionStore
from tests.asgi import InProcessClient
from tests.flowscope.access.guarded import BASE_URL, ORIGIN, ok


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Guarded:
    """A guarded Starlette app, its key store, its audit log (in memory) and a client."""

    def __init__(self, path: Path, *, proxies: str = "") -> None:
        inner = Starlette(routes=[
            Route("/api/v1/audit", ok),
            Route("/api/v1/silences", ok, methods=["POST"]),
            Route("/api/v1/correlations/{cid}", ok),
            Route("/v1/traces", ok, methods=["POST"]),
            Route("/healthz", ok),
            Route("/dashboards/executive", ok),
            Route("/dashboards/_dash-update-component", ok, methods=["POST"]),
        ])
        self.clock = Clock()
        self.store = KeyStore(path)
        self.audit = AuditLog(None, clock=self.clock)
        self.denials = DenialLog(self.audit, clock=self.clock)
        self.throttle = LoginThrottle(clock=self.clock)
        self.sessions = SessionStore(clock=self.clock)
        self.guard = AccessGuard(inner, self.store, self.sessions,
                                 proxies=TrustedProxies.parse(proxies), denials=self.denials,
                                 throttle=self.throttle)
        self.client = InProcessClient(self.guard, base_url=BASE_URL)

    def get(self, path: str, key: str | None = None, **headers: str) -> int:
        if key:
            headers["authorization"] = f"Bearer {key}"
        return self.client.request("GET", path, headers=headers).status_code

    def post(self, path: str, key: str | None = None) -> int:
        headers = {"authorization": f"Bearer {key}"} if key else {}
        return self.client.request("POST", path, headers=headers).status_code

    def login(self, key: str, **headers: str) -> tuple[int, str]:
        sent = {**ORIGIN, **headers}
        resp = self.client.request("POST", "/dashboards/login", data={"key": key}, headers=sent)
        return resp.status_code, resp.headers.get("set-cookie", "")

    def denied(self) -> list[dict[str, object]]:
        self.denials.flush(everything=True)
        return [r.to_json() for r in self.audit.waiting() if r.action == "api.denied"]


@pytest.fixture()
def guarded(tmp_path: Path) -> Guarded:
    return Guarded(tmp_path / "keys.yaml")


@pytest.mark.parametrize(
    ("change", "keyed_status"),
    [
        pytest.param(lambda p: p.rename(p.with_name("moved.yaml")), 503, id="the file vanishes"),
        pytest.param(lambda p: p.write_text("keys: []\n"), 401, id="the file empties"),
        pytest.param(lambda p: p.write_text("keys: [\n"), 503, id="the file breaks"),
        pytest.param(lambda p: p.write_text("keys: 7\n"), 503, id="the file has the wrong shape"),
    ],
)
def test_keys_that_vanish_empty_or_break_while_serving_close_access(
        guarded: Guarded, change: object, keyed_status: int,
        caplog: pytest.LogCaptureFixture) -> None:
    admin = guarded.store.create("admin", name="ops")
    assert guarded.get("/api/v1/audit", admin) == 200
    assert guarded.get("/api/v1/audit") == 401
    with caplog.at_level(logging.WARNING, logger="flowscope.access"):
        change(guarded.store.path)  # type: ignore[operator]
        assert guarded.get("/api/v1/audit") == 401
        assert guarded.post("/api/v1/silences") == 401
        assert guarded.get("/api/v1/audit", admin) == keyed_status
        assert guarded.post("/v1/traces", admin) == keyed_status
        assert guarded.get("/healthz") == 200
    assert str(guarded.store.path) in caplog.text
    assert admin not in caplog.text


def test_a_repaired_keys_file_opens_access_again(guarded: Guarded) -> None:
    admin = guarded.store.create("admin", name="ops")
    good = guarded.store.path.read_text()
    guarded.store.path.write_text("keys: [\n")
    assert guarded.get("/api/v1/audit", admin) == 503
    guarded.store.path.write_text(good)
    assert guarded.get("/api/v1/audit", admin) == 200


def test_a_server_that_never_had_keys_stays_open_until_one_is_created(guarded: Guarded) -> None:
    assert guarded.get("/api/v1/audit") == 200
    guarded.store.create("read", name="viewer")
    assert guarded.get("/api/v1/audit") == 401
    guarded.store.path.unlink()
    assert guarded.get("/api/v1/audit") == 401


def session_of(cookie: str) -> dict[str, str]:
    return {"cookie": cookie.split(";")[0]}


@pytest.mark.parametrize(
    ("change", "status"),
    [
        pytest.param(lambda s: s.revoke("viewer"), 303, id="its key is revoked"),
        pytest.param(lambda s: s.path.unlink(), 303, id="the keys file vanishes"),
        pytest.param(lambda s: _rescope(s.path, "viewer", "ingest"), 303,
                     id="its key loses the read scope"),
        pytest.param(lambda s: None, 200, id="nothing changes"),
    ],
)
def test_a_session_ends_when_its_key_is_gone(guarded: Guarded, change: object,
                                             status: int) -> None:
    read = guarded.store.create("read", name="viewer")
    guarded.store.create("admin", name="ops")
    code, cookie = guarded.login(read)
    assert code == 303
    assert guarded.get("/dashboards/executive", cookie=session_of(cookie)["cookie"]) == 200
    change(guarded.store)  # type: ignore[operator]
    assert guarded.get("/dashboards/executive", cookie=session_of(cookie)["cookie"]) == status
    after = guarded.client.request("POST", "/dashboards/_dash-update-component",
                                   headers=session_of(cookie))
    assert after.status_code == (200 if status == 200 else 401)


def test_a_session_ends_when_its_scope_drops(guarded: Guarded) -> None:
    admin = guarded.store.create("admin", name="ops")
    code, cookie = guarded.login(admin)
    assert code == 303
    _rescope(guarded.store.path, "ops", "read")  # still a read scope, but less than at login
    assert guarded.get("/dashboards/executive", cookie=session_of(cookie)["cookie"]) == 303


def _rescope(path: Path, name: str, scope: str) -> None:
    doc = yaml.safe_load(path.read_text())
    for entry in doc["keys"]:
        if entry["name"] == name:
            entry["scope"] = scope
    path.write_text(yaml.safe_dump(doc))


def test_logout_ends_the_session_and_clears_the_cookie(guarded: Guarded) -> None:
    read = guarded.store.create("read", name="viewer")
    _, cookie = guarded.login(read)
    session = session_of(cookie)
    out = guarded.client.request("POST", "/dashboards/logout", headers={**session, **ORIGIN})
    assert out.status_code == 303 and out.headers["location"] == "/dashboards/login"
    assert "Max-Age=0" in out.headers["set-cookie"]
    assert guarded.get("/dashboards/executive", cookie=session["cookie"]) == 303


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"origin": "https://evil.example"}, id="another site's origin"),
        pytest.param({"origin": "null"}, id="an opaque origin"),
        pytest.param({"referer": "https://evil.example/page"}, id="another site's referer"),
        pytest.param({}, id="neither origin nor referer"),
    ],
)
def test_a_cross_site_login_is_refused(guarded: Guarded, headers: dict[str, str]) -> None:
    read = guarded.store.create("read", name="viewer")
    resp = guarded.client.request("POST", "/dashboards/login", data={"key": read},
                                  headers=headers)
    assert resp.status_code == 403 and "set-cookie" not in resp.headers


def test_a_login_from_the_own_page_by_referer_is_accepted(guarded: Guarded) -> None:
    read = guarded.store.create("read", name="viewer")
    code, cookie = guarded.login(read, origin="", referer="http://t/dashboards/login")
    assert code == 303 and cookie


def test_failed_logins_are_throttled_per_client_then_allowed_again(guarded: Guarded) -> None:
    read = guarded.store.create("read", name="viewer")
    for _ in range(5):
        assert guarded.login("fsk_read_wrong")[0] == 401
    resp = guarded.client.request("POST", "/dashboards/login", data={"key": read},
                                  headers=ORIGIN)
    assert resp.status_code == 429 and 1 <= int(resp.headers["retry-after"]) <= 61
    guarded.clock.now += 61
    assert guarded.login(read)[0] == 303


def test_the_cookie_is_secure_over_https_or_a_trusted_proxy_saying_so(tmp_path: Path) -> None:
    plain = Guarded(tmp_path / "a.yaml")
    read = plain.store.create("read", name="viewer")
    assert "Secure" not in plain.login(read)[1]
    assert "Secure" not in plain.login(read, **{"x-forwarded-proto": "https"})[1]
    proxied = Guarded(tmp_path / "b.yaml", proxies="127.0.0.1")
    read = proxied.store.create("read", name="viewer")
    cookie = proxied.login(read, origin="https://t", **{"x-forwarded-proto": "https"})[1]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie


def test_a_thousand_refused_requests_are_one_short_audit_record(guarded: Guarded) -> None:
    guarded.store.create("admin", name="ops")
    long_path = "/api/v1/audit/" + "x" * 60_000
    for _ in range(1000):
        guarded.client.request("POST", long_path)
    [record] = guarded.denied()
    assert record["detail"]["count"] == 1000  # type: ignore[index]
    assert record["detail"]["reason"] == "no key"  # type: ignore[index]
    assert len(str(record)) < 2 * MAX_PATH_CHARS + 500
    assert record["remote"] == "127.0.0.1"


def test_refusals_are_aggregated_per_client_reason_and_minute(guarded: Guarded) -> None:
    read = guarded.store.create("read", name="viewer")
    for _ in range(3):
        guarded.get("/api/v1/audit")
        guarded.get("/api/v1/audit", "fsk_admin_wrong")
        guarded.get("/api/v1/audit", read)
        guarded.login("fsk_read_wrong")
    guarded.clock.now += 60
    guarded.get("/api/v1/audit")
    found = sorted((r["actor"], r["detail"]["reason"], r["detail"]["count"])  # type: ignore[index]
                   for r in guarded.denied())
    assert found == [("anonymous", "invalid key", 3), ("anonymous", "login failed", 3),
                     ("anonymous", "no key", 1), ("anonymous", "no key", 3),
                     ("viewer", "wrong scope", 3)]


def test_the_client_is_the_socket_peer_unless_a_trusted_proxy_forwards(tmp_path: Path) -> None:
    spoofed = {"x-forwarded-for": "203.0.113.9"}
    direct = Guarded(tmp_path / "a.yaml")
    direct.store.create("read", name="viewer")
    direct.get("/api/v1/audit", **spoofed)
    assert [r["remote"] for r in direct.denied()] == ["127.0.0.1"]
    proxied = Guarded(tmp_path / "b.yaml", proxies="127.0.0.0/8")
    proxied.store.create("read", name="viewer")
    proxied.get("/api/v1/audit", **{"x-forwarded-for": "198.51.100.1, 203.0.113.9"})
    assert [r["remote"] for r in proxied.denied()] == ["203.0.113.9"]


@pytest.mark.parametrize(
    ("granted", "needed", "allowed"),
    [("admin", "ingest", True), ("admin", "read", True), ("read", "read", True),
     ("read", "admin", False), ("read", "ingest", False), ("ingest", "read", False),
     ("ingest", "ingest", True)],
)
def test_scopes_are_ordered_with_ingest_apart(granted: str, needed: str, allowed: bool) -> None:
    assert allows(granted, needed) is allowed  # type: ignore[arg-type]


def test_a_revoked_key_is_refused_at_once_and_named(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys.yaml")
    keep, gone = store.create("read", name="keep"), store.create("read", name="gone")
    [revoked] = store.revoke(digest(gone)[7:15])
    assert revoked.name == "gone"
    assert store.match(gone) is None and store.match(keep) is not None
