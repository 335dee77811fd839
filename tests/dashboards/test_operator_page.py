"""The operator's parts of the pages in headless Chromium, against a real server with keys.

A read session sees the waiting dead letters and no replay button; an operate session sees the
button, confirms the dialog, and the automation (a real HTTP receiver checking the signature)
gets exactly one call. Maintenance declared now shows on the on-call and executive pages, and
the trace explorer finds runs by a search key.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from dash.testing.browser import Browser
from selenium.webdriver.common.by import By

from alerts.dispatch import SIGNATURE_HEADER, verify_signature
from flowscope.access import digest, new_key
from tests.alerts.conftest import Receiver, running_receiver
from tests.flowscope.conftest import Server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:HTTPResponse.getheader:DeprecationWarning"),
]

READ, OPERATE, ADMIN = new_key("read"), new_key("operate"), new_key("admin")
SECRET = "page-replay-secret"
CATALOG = """\
apiVersion: flowscope/v1
flows:
  - name: order-to-cash
    correlation_key: order.id
    search_keys: [customer.id]
    start:   {{event: OrderPlaced}}
    success: {{event: InvoicePosted}}
    failure: {{events: [PaymentFailed], dead_letter: true}}
    steps:
      - {{name: checkout, service: storefront}}
      - {{name: erp-sync, service: erp-sync}}
    slos:
      - {{name: success-rate, objective: 99, period: 30d}}
    replay: {{url: "{url}/replay", secret_env: PAGE_REPLAY_SECRET}}
"""


@pytest.fixture(scope="module")
def automation() -> Iterator[Receiver]:
    with running_receiver() as found:
        found.status = 202
        yield found


def _event(order: str, type_: str, at: datetime, **extra: Any) -> dict[str, Any]:
    return {"specversion": "1.0", "id": uuid.uuid4().hex, "source": "/page", "type": type_,
            "time": at.isoformat().replace("+00:00", "Z"), "orderid": order, **extra}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, automation: Receiver) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("operator-page")
    catalog = root / "catalog.yaml"
    catalog.write_text(CATALOG.format(url=automation.url))
    keys = ",".join(f"{name}={scope}:{digest(key)}" for name, scope, key in (
        ("viewer", "read", READ), ("oncall", "operate", OPERATE), ("boss", "admin", ADMIN)))
    srv = Server(root / "data", catalog=catalog,
                 env={"FLOWSCOPE_API_KEYS": keys, "PAGE_REPLAY_SECRET": SECRET}).start()
    try:
        now = datetime.now(UTC)
        events = []
        for order, customer, minutes in (("D-1", "C-1", 30), ("D-2", "C-2", 20)):
            events += [_event(order, "OrderPlaced", now - timedelta(minutes=minutes),
                              customerid=customer),
                       _event(order, "OrderDeadLettered", now - timedelta(minutes=minutes - 1),
                              servicename="erp-sync", data={"reason": "invalid tax code"})]
        events += [_event("OK-1", "OrderPlaced", now - timedelta(minutes=10), customerid="C-1"),
                   _event("OK-1", "InvoicePosted", now - timedelta(minutes=9))]
        sent = httpx.post(f"{srv.url}/api/v1/events", json=events, timeout=30, headers={
            "authorization": f"Bearer {ADMIN}",
            "content-type": "application/cloudevents-batch+json"})
        assert sent.status_code == 200, sent.text
        srv.wait_drained(headers={"authorization": f"Bearer {ADMIN}"})
        yield srv
    finally:
        srv.stop()


def _login(br: Browser, server: Server, key: str) -> None:
    br.driver.delete_all_cookies()
    br.driver.get(f"{server.url}/dashboards/login")
    field = br.driver.find_element(By.NAME, "key")
    field.send_keys(key)
    field.submit()
    br.wait_for_element_by_css_selector("#exec-tiles, #exec-body", timeout=30)


def _queue_rows(br: Browser) -> dict[str, str]:
    br.wait_for_element_by_css_selector("#oncall-dlq-table tbody tr", timeout=30)
    return {tr.find_element(By.TAG_NAME, "a").text: tr.text
            for tr in br.find_elements("#oncall-dlq-table tbody tr")}


def test_a_read_session_sees_the_queue_but_no_replay_button(dash_br: Browser, server: Server,
                                                           tmp_path: Path) -> None:
    _login(dash_br, server, READ)
    dash_br.driver.get(f"{server.url}/dashboards/oncall")
    rows = _queue_rows(dash_br)
    assert set(rows) == {"D-1", "D-2"}
    assert "invalid tax code" in rows["D-1"] and "customer.id C-1" in rows["D-1"]
    assert dash_br.find_elements("#oncall-dlq-table .fs-replay") == []
    dash_br.find_element("#oncall-dlq-q").send_keys("C-2\n")
    dash_br.wait_for_text_to_equal("#oncall-dlq-table tbody tr td a", "D-2", timeout=20)
    assert len(dash_br.find_elements("#oncall-dlq-table tbody tr")) == 1
    dash_br.driver.save_screenshot(str(tmp_path / "oncall-read.png"))


def test_an_operate_session_replays_after_confirming_once(dash_br: Browser, server: Server,
                                                          automation: Receiver,
                                                          tmp_path: Path) -> None:
    _login(dash_br, server, OPERATE)
    dash_br.driver.get(f"{server.url}/dashboards/oncall")
    _queue_rows(dash_br)
    buttons = dash_br.find_elements("#oncall-dlq-table .fs-replay")
    assert len(buttons) == 2
    buttons[0].click()  # oldest first: D-1
    dash_br.driver.switch_to.alert.accept()
    dash_br.wait_for_contains_text("#oncall-dlq-result", "replay of D-1 sent", timeout=30)
    dash_br.driver.save_screenshot(str(tmp_path / "oncall-operate.png"))
    deliveries = [d for d in automation.to("/replay") if d.json()["run"] == "D-1"]
    assert len(deliveries) == 1
    assert verify_signature(SECRET.encode(), deliveries[0].body,
                            deliveries[0].headers[SIGNATURE_HEADER.lower()])
    calls = [d.json() for d in deliveries]
    assert calls[0]["requested_by"] == "oncall"
    assert calls[0]["failing_step"]["error"] == "invalid tax code"
    dash_br.wait_for_contains_text("#oncall-dlq-table", "1 tried, last accepted by oncall",
                                   timeout=30)


def test_maintenance_declared_now_shows_on_both_pages(dash_br: Browser, server: Server) -> None:
    declared = httpx.post(f"{server.url}/api/v1/flows/order-to-cash/maintenance",
                          json={"duration": "1h", "reason": "ERP upgrade"}, timeout=30,
                          headers={"authorization": f"Bearer {OPERATE}"})
    assert declared.status_code == 201, declared.text
    try:
        _login(dash_br, server, READ)
        dash_br.wait_for_contains_text("#exec-maintenance", "ERP upgrade, declared by oncall",
                                       timeout=30)
        dash_br.driver.get(f"{server.url}/dashboards/oncall")
        dash_br.wait_for_contains_text("#oncall-maintenance",
                                       "order-to-cash: maintenance until", timeout=30)
    finally:
        httpx.delete(f"{server.url}/api/v1/flows/order-to-cash/maintenance/"
                     f"{declared.json()['id']}", timeout=30,
                     headers={"authorization": f"Bearer {OPERATE}"})


def test_the_trace_explorer_finds_runs_by_a_search_key(dash_br: Browser, server: Server) -> None:
    _login(dash_br, server, READ)
    dash_br.driver.get(f"{server.url}/dashboards/trace?key=customer.id&value=C-1")
    dash_br.wait_for_element_by_css_selector("#trace-search-table tbody tr", timeout=30)
    rows = [tr.text for tr in dash_br.find_elements("#trace-search-table tbody tr")]
    assert [r.split()[0] for r in rows] == ["OK-1", "D-1"]
    assert "succeeded" in rows[0]
    assert "2 runs carry customer.id = C-1" in dash_br.find_element("#trace-search-text").text
