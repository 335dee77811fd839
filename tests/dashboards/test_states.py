"""Empty and error states, and the mount at ``/dashboards/``, without a browser or an engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from catalog.model import EMPTY_CATALOG, Catalog
from dashboards.callbacks import executive_body, trace_body
from dashboards.errors import NotReady
from dashboards.facade import ReadModel
from dashboards.model import PERIODS
from flowscope.app import create_app
from flowscope.settings import Settings
from tests.asgi import InProcessClient
from tests.cost.flows import ORDER_TO_CASH


def _text(component: Any) -> str:
    """Every string inside a component tree."""
    if isinstance(component, str):
        return component
    if isinstance(component, list | tuple):
        return " ".join(_text(c) for c in component)
    children = getattr(component, "children", None)
    return "" if children is None else _text(children)


def test_a_missing_warehouse_is_reported_not_raised_to_the_browser() -> None:
    model = ReadModel(Catalog(flows=(ORDER_TO_CASH,)), lambda: None)
    with pytest.raises(NotReady, match="not ready"):
        model.scorecard("30d")
    with pytest.raises(NotReady, match="not ready"):
        model.trace("A-1042")


@pytest.mark.parametrize(("render", "expected"), [
    (lambda m: executive_body(m, m.scorecard("7d")), "no flows in the catalog"),
    (lambda m: trace_body(m, "  "), "type an order id"),
], ids=["an empty catalog says to load one", "an empty search says what to type"])
def test_empty_states_say_what_to_do(render: Any, expected: str) -> None:
    model = ReadModel(EMPTY_CATALOG, lambda: None)
    assert expected in _text(render(model))


def test_every_period_has_a_name() -> None:
    assert set(PERIODS) == {"7d", "30d", "quarter"}


def test_the_dashboards_are_mounted_and_report_a_warehouse_that_is_not_ready(
        tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path, grpc_port=0),
                     catalog=Catalog(flows=(ORDER_TO_CASH,)))
    body = {"output": "exec-body.children", "outputs": {"id": "exec-body",
                                                         "property": "children"},
            "inputs": [{"id": "exec-period", "property": "value", "value": "30d"}],
            "changedPropIds": [], "state": []}

    client = InProcessClient(app)  # in process, no lifespan: never ready
    try:
        page = client.get("/dashboards/executive")
        layout = client.get("/dashboards/_dash-layout")
        update = client.post("/dashboards/_dash-update-component", json=body)
    finally:
        app.state.runtime.shutdown()
    assert page.status_code == 200 and "_dash-config" in page.text
    assert "/dashboards/_dash-component-suites/" in page.text
    assert layout.status_code == 200
    assert update.status_code == 200, update.text
    assert "the warehouse is not ready yet" in update.text
