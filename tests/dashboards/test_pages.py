"""The three pages in headless Chromium against a real ``flowscope serve`` fed through the
ingest API: figures and tables render with the seeded data, the console stays clean, and each
page leaves a screenshot in the test's tmp dir.

Seed: 20 orders yesterday, 10 minutes apart; orders 0-17 succeed, 18-19 fail (PaymentFailed).
Order ``A-1042`` today: OrderPlaced, checkout (storefront), a charge that errors (payments,
"card declined"), a retried charge 2 s later, InvoicePosted.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from dash.testing.browser import Browser

from tests.flowscope.conftest import Server

pytestmark = [
    pytest.mark.slow,
    # selenium 4.2 (pinned by dash[testing]) calls an urllib3 API that urllib3 1.26 deprecates
    pytest.mark.filterwarnings("ignore:HTTPResponse.getheader:DeprecationWarning"),
]

CATALOG = """\
apiVersion: flowscope/v1
flows:
  - name: order-to-cash
    correlation_key: order.id
    start:   {event: OrderPlaced}
    success: {event: InvoicePosted}
    failure: {events: [PaymentFailed], dead_letter: true}
    steps:
      - {name: checkout, service: storefront}
      - {name: payment,  service: payments, partner: stripe}
    slos:
      - {name: success-rate, objective: 99, period: 30d}
    alerting: {windows: google-30d}
    cost:
      currency: USD
      per_call: [{partner: stripe, price: "0.30"}]
    baseline: {cost_per_run: "5"}
    investment: {build: "3"}
"""
NOW = datetime.now(UTC).replace(microsecond=0)
YESTERDAY = NOW - timedelta(days=1)


def _ns(at: datetime) -> str:
    return str(int(at.timestamp()) * 10**9)


def _event(order: str, type_: str, at: datetime) -> dict[str, Any]:
    return {"specversion": "1.0", "id": uuid.uuid4().hex, "source": "/browser/orders",
            "type": type_, "time": at.isoformat().replace("+00:00", "Z"), "orderid": order}


def _span(order: str, name: str, at: datetime, seconds: float, *, error: str = ""
          ) -> dict[str, Any]:
    span: dict[str, Any] = {
        "traceId": uuid.uuid4().hex, "spanId": uuid.uuid4().hex[:16], "name": name, "kind": 2,
        "startTimeUnixNano": _ns(at),
        "endTimeUnixNano": str(int(_ns(at)) + int(seconds * 10**9)),
        "attributes": [{"key": "order.id", "value": {"stringValue": order}}]}
    if error:
        span["status"] = {"code": 2, "message": error}
    return span


def _traces(service: str, spans: list[dict[str, Any]]) -> dict[str, Any]:
    return {"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]},
        "scopeSpans": [{"scope": {"name": "browser-test"}, "spans": spans}]}]}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("dashboards-server")
    catalog = root / "catalog.yaml"
    catalog.write_text(CATALOG)
    srv = Server(root / "data", catalog=catalog).start()
    try:
        events, charges = [], []
        for i in range(20):
            order, at = f"O-{i}", YESTERDAY + timedelta(minutes=10 * i)
            events.append(_event(order, "OrderPlaced", at))
            charges.append(_span(order, "charge", at + timedelta(minutes=1), 0.5))
            end = "InvoicePosted" if i < 18 else "PaymentFailed"
            events.append(_event(order, end, at + timedelta(minutes=2)))
        start = NOW - timedelta(minutes=30)
        events += [_event("A-1042", "OrderPlaced", start),
                   _event("A-1042", "InvoicePosted", start + timedelta(seconds=10))]
        charges += [_span("A-1042", "charge", start + timedelta(seconds=2), 0.4,
                          error="card declined"),
                    _span("A-1042", "charge", start + timedelta(seconds=5), 0.6)]
        with httpx.Client(base_url=srv.url, timeout=30) as c:
            resp = c.post("/api/v1/events", content=json.dumps(events),
                          headers={"content-type": "application/cloudevents-batch+json"})
            assert resp.status_code == 200, resp.text
            for service, spans in (
                    ("payments", charges),
                    ("storefront", [_span("A-1042", "checkout", start + timedelta(seconds=1),
                                          0.3)])):
                resp = c.post("/v1/traces", json=_traces(service, spans))
                assert resp.status_code == 200, resp.text
        srv.wait_drained()
        yield srv
    finally:
        srv.stop()


def _visit(br: Browser, url: str, ready: str) -> None:
    br.server_url = url
    br.wait_for_element_by_css_selector(ready, timeout=30)


def _no_console_errors(br: Browser) -> None:
    assert br.get_logs() == []


def test_the_executive_page_shows_each_flow_scorecard(
        dash_br: Browser, server: Server, tmp_path: Path) -> None:
    _visit(dash_br, f"{server.url}/dashboards/executive", "#exec-attainment .main-svg")
    dash_br.wait_for_element_by_css_selector("#exec-budget .main-svg", timeout=10)
    cells = [td.text for td in dash_br.find_elements("#exec-table tbody td")]
    # 19 of 21 runs good (A-1042 succeeded too): budget 1 - (2/21) / 0.01
    assert cells[:5] == ["order-to-cash", "success-rate", "99.0 %", "90.5 %", "-852.4 %"]
    assert "USD" in cells[5] and cells[6].startswith("USD")
    headline = dash_br.find_element("#exec-headlines li").text
    assert headline.startswith("order-to-cash is missing its success-rate objective")
    assert len(dash_br.find_elements("#exec-attainment .trace.bars")) == 1
    dash_br.driver.save_screenshot(str(tmp_path / "executive.png"))
    _no_console_errors(dash_br)
    dash_br.find_element("#exec-period input[value='7d']").click()
    dash_br.wait_for_contains_text("#exec-period-text", "last 7 days", timeout=20)
    _no_console_errors(dash_br)


def test_the_oncall_page_draws_burn_rates_against_thresholds(
        dash_br: Browser, server: Server, tmp_path: Path) -> None:
    _visit(dash_br, f"{server.url}/dashboards/oncall", "#oncall-burn .main-svg")
    dash_br.wait_for_element_by_css_selector("#oncall-burndown .main-svg", timeout=10)
    legend = {e.text for e in dash_br.find_elements("#oncall-burn .legendtext")}
    assert {"long window", "short window", "threshold"} <= legend
    ticks = " ".join(e.text for e in dash_br.find_elements("#oncall-burn .xtick"))
    assert "page-1h-5m" in ticks and "ticket-3d-6h" in ticks
    dash_br.driver.save_screenshot(str(tmp_path / "oncall.png"))
    _no_console_errors(dash_br)


def test_a_deep_link_opens_the_waterfall_of_one_order(
        dash_br: Browser, server: Server, tmp_path: Path) -> None:
    _visit(dash_br, f"{server.url}/dashboards/trace?id=A-1042", "#trace-waterfall .main-svg")
    rows = [[td.text for td in tr.find_elements("css selector", "td")]
            for tr in dash_br.find_elements("#trace-table tbody tr")]
    assert [(r[2], r[4], r[6]) for r in rows] == [
        ("event", "OrderPlaced", "unset"), ("span", "checkout", "unset"),
        ("span", "charge", "error"), ("span", "charge", "unset"),
        ("event", "InvoicePosted", "ok")]
    banner = dash_br.find_element(".notice-recovered").text
    assert "succeeded after a failure" in banner and "card declined" in banner
    legend = {e.text for e in dash_br.find_elements("#trace-waterfall .legendtext")}
    assert {"span", "event", "wait"} <= legend
    dash_br.driver.save_screenshot(str(tmp_path / "trace.png"))
    _no_console_errors(dash_br)


def test_an_unknown_id_says_what_to_do(dash_br: Browser, server: Server) -> None:
    _visit(dash_br, f"{server.url}/dashboards/trace?id=nope", "#trace-body .notice")
    text = dash_br.find_element("#trace-body .notice").text
    assert "nothing carries the id 'nope'" in text and "order.id" in text
    _no_console_errors(dash_br)
