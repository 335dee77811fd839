"""Runs found by a search key, and the dead-letter queue, on a real engine.

One flow, built by hand (times relative to AT):

==== ===================================================================== ===================
run  items                                                                 expected
==== ===================================================================== ===================
W1   start -50m (customer C-42), erp-sync span "erp-sync.dead-letter" -40m  waiting, oldest
     with status message "NetSuite refused: tax code"
W2   start -30m (customer C-7), OrderDeadLettered event -20m, data          waiting
     {"reason": "invoice rejected"}
R1   start -60m (customer C-42), dead letter -55m, replay accepted -50m,    replayed
     InvoicePosted -45m
S1   start -25m (customer C-42), InvoicePosted -24m                         succeeded, not in
                                                                           the queue
D1   start -15m, dead letter -14m, InvoicePosted -10m, no replay            resolved
==== ===================================================================== ===================
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, cast

import pytest

from catalog.model import Catalog, Flow
from collector.model import BusinessEvent, events_to_arrow
from collector.search_rules import publish_search_rules
from slo.dead_letters import event_reason, hour_ranges, matches, read_queue
from slo.replay_log import ReplayAttempt, record_attempt
from slo.rings import to_ns
from slo.run_states import state_of
from slo.search_query import search_runs
from tests.slo.conftest import AT, Recorder, catalog_flow, flow_name
from warehouse.errors import InvalidCursor
from warehouse.port import Warehouse

M = timedelta(minutes=1)


def ago(minutes: float) -> datetime:
    return AT - minutes * M


def event(runs: Recorder, cid: str, type_: str, at: datetime, *, outcome: str = "",
          service: str = "", attributes: tuple[tuple[str, str], ...] = (),
          data: object = None) -> None:
    stored = BusinessEvent(event_id=uuid.uuid4().hex, source="/test", type=type_,
                           time_ns=to_ns(at), flow=runs.flow, correlation_id=cid,
                           outcome=outcome, service=service, attributes=attributes,
                           data_json=json.dumps(data) if data is not None else "")
    runs.wh.insert_arrow("business_events", events_to_arrow([stored], to_ns(at) // 10**6),
                         dedup_token=uuid.uuid4().hex)


def dead_letter_span(runs: Recorder, cid: str, at: datetime, message: str) -> None:
    runs.wh.command(
        "INSERT INTO otel_traces (Timestamp, TraceId, SpanId, ServiceName, SpanName, SpanKind, "
        "SpanAttributes, Duration, StatusCode, StatusMessage) SELECT "
        "fromUnixTimestamp64Nano({ts:Int64}), {trace:String}, {span:String}, 'erp-sync', "
        "'erp-sync.dead-letter', 'Producer', map('flowscope.flow', {flow:String}, "
        "'flowscope.correlation_id', {cid:String}), 1000, 'Error', {message:String}",
        {"ts": to_ns(at), "trace": uuid.uuid4().hex, "span": uuid.uuid4().hex[:16],
         "flow": runs.flow, "cid": cid, "message": message})


def customer(value: str) -> tuple[tuple[str, str], ...]:
    return (("customerid", value),)


@pytest.fixture(scope="module")
def queue(migrated: Warehouse) -> Recorder:
    runs = Recorder(migrated, flow_name())
    flow = replace(catalog_flow(runs.flow), search_keys=("customer.id",))
    publish_search_rules(migrated, Catalog(flows=(flow,)), clock_ns=time.time_ns)
    event(runs, "W1", "OrderPlaced", ago(50), outcome="start", service="storefront",
          attributes=customer("C-42"))
    dead_letter_span(runs, "W1", ago(40), "NetSuite refused: tax code")
    event(runs, "W2", "OrderPlaced", ago(30), outcome="start", service="storefront",
          data={"customer": {"id": "C-7"}})
    event(runs, "W2", "OrderDeadLettered", ago(20), service="erp-sync",
          data={"reason": "invoice rejected"})
    event(runs, "R1", "OrderPlaced", ago(60), outcome="start", attributes=customer("C-42"))
    dead_letter_span(runs, "R1", ago(55), "timeout")
    record_attempt(migrated, ReplayAttempt(runs.flow, "R1", ago(50), uuid.uuid4().hex, "k1",
                                           "alice", "erp-sync", "accepted", 202, 35))
    event(runs, "R1", "InvoicePosted", ago(45), outcome="success", service="erp-sync")
    event(runs, "S1", "OrderPlaced", ago(25), outcome="start", attributes=customer("C-42"))
    event(runs, "S1", "InvoicePosted", ago(24), outcome="success")
    event(runs, "D1", "OrderPlaced", ago(15), outcome="start")
    dead_letter_span(runs, "D1", ago(14), "")
    event(runs, "D1", "InvoicePosted", ago(10), outcome="success")
    return runs


def flow_of(runs: Recorder) -> Flow:
    return replace(catalog_flow(runs.flow), search_keys=("customer.id",))


def test_the_waiting_queue_lists_the_oldest_dead_letter_first_with_its_failing_step(
        queue: Recorder) -> None:
    page = read_queue(queue.wh, flow_of(queue), "waiting")
    assert [d.correlation_id for d in page.items] == ["W1", "W2"]
    assert page.total == 2
    w1, w2 = page.items
    assert w1.dead_lettered_at == to_ns(ago(40))
    assert w1.failing is not None
    assert (w1.failing.step, w1.failing.item, w1.failing.error) == (
        "erp-sync", "erp-sync.dead-letter", "NetSuite refused: tax code")
    assert w1.search_keys == {"customer.id": ("C-42",)}
    assert w2.failing is not None
    assert (w2.failing.step, w2.failing.item, w2.failing.error) == (
        "erp-sync", "OrderDeadLettered", "invoice rejected")
    assert w2.search_keys == {"customer.id": ("C-7",)}
    assert all(d.state == "waiting" and d.left_at is None for d in page.items)


@pytest.mark.parametrize(("state", "expected"), [("replayed", ["R1"]), ("resolved", ["D1"])])
def test_runs_that_left_the_queue_are_replayed_or_resolved(queue: Recorder, state: str,
                                                           expected: list[str]) -> None:
    page = read_queue(queue.wh, flow_of(queue), state,
                      start_ns=to_ns(ago(120)), end_ns=to_ns(AT))
    assert [d.correlation_id for d in page.items] == expected
    assert page.items[0].left_at is not None
    if state == "replayed":
        assert [(a.actor, a.outcome, a.status) for a in page.items[0].replays] == [
            ("alice", "accepted", 202)]


def test_a_window_that_ends_before_the_success_lists_nothing(queue: Recorder) -> None:
    page = read_queue(queue.wh, flow_of(queue), "replayed",
                      start_ns=to_ns(ago(120)), end_ns=to_ns(ago(46)))
    assert page.items == ()


@pytest.mark.parametrize(("q", "expected"), [("c-7", ["W2"]), ("w1", ["W1"]), ("zzz", [])])
def test_q_keeps_runs_whose_id_or_search_key_holds_it(queue: Recorder, q: str,
                                                      expected: list[str]) -> None:
    page = read_queue(queue.wh, flow_of(queue), "waiting", q=q)
    assert [d.correlation_id for d in page.items] == expected


def test_the_waiting_queue_is_paged_by_cursor(queue: Recorder) -> None:
    flow = flow_of(queue)
    first = read_queue(queue.wh, flow, "waiting", limit=1)
    assert [d.correlation_id for d in first.items] == ["W1"]
    assert first.next_cursor is not None
    second = read_queue(queue.wh, flow, "waiting", limit=1,
                        cursor=first.next_cursor)
    assert [d.correlation_id for d in second.items] == ["W2"]
    assert second.next_cursor is None
    with pytest.raises(InvalidCursor):
        read_queue(queue.wh, flow, "waiting", cursor="nonsense")


def test_the_on_call_page_lists_the_oldest_waiting_and_counts_them_all(
        queue: Recorder, monkeypatch: pytest.MonkeyPatch) -> None:
    import dashboards.operator
    from dashboards.operator import OperatorViews

    monkeypatch.setattr(dashboards.operator, "PAGE_LETTERS", 1)
    views = OperatorViews(Catalog(flows=(flow_of(queue),)), lambda: queue.wh,
                          replays=cast(Any, None), maintenance=cast(Any, None),
                          stored=lambda _key, value: value, clock=lambda: AT)
    letters, total, warnings = views.waiting("")
    assert ([d.correlation_id for d in letters], total, warnings) == (["W1"], 2, [])
    letters, total, _ = views.waiting("c-7")
    assert ([d.correlation_id for d in letters], total) == (["W2"], 1)


def test_a_search_lists_the_runs_carrying_the_value_newest_first_with_states(
        queue: Recorder) -> None:
    flow = flow_of(queue)
    page = search_runs(queue.wh, [flow], "customer.id", "C-42",
                       to_ns(ago(24 * 60)), to_ns(AT))
    assert [(h.correlation_id, h.state.state if h.state else None) for h in page.hits] == [
        ("S1", "succeeded"), ("W1", "dead-lettered"), ("R1", "replayed")]
    assert page.total == 3
    w1 = page.hits[1].state
    assert w1 is not None and w1.started_at == to_ns(ago(50))
    assert w1.last_step == "erp-sync" and w1.last_step_at == to_ns(ago(40))


def test_a_search_is_bounded_by_its_window_and_paged(queue: Recorder) -> None:
    flow = flow_of(queue)
    window = search_runs(queue.wh, [flow], "customer.id", "C-42",
                         to_ns(ago(30)), to_ns(AT))
    assert [h.correlation_id for h in window.hits] == ["S1"]
    first = search_runs(queue.wh, [flow], "customer.id", "C-42",
                        to_ns(ago(24 * 60)), to_ns(AT), limit=2)
    assert [h.correlation_id for h in first.hits] == ["S1", "W1"]
    rest = search_runs(queue.wh, [flow], "customer.id", "C-42",
                       to_ns(ago(24 * 60)), to_ns(AT), limit=2, cursor=first.next_cursor)
    assert [h.correlation_id for h in rest.hits] == ["R1"]
    assert rest.next_cursor is None


def test_an_unknown_value_finds_nothing(queue: Recorder) -> None:
    page = search_runs(queue.wh, [flow_of(queue)], "customer.id",
                       "C-404", 0, to_ns(AT))
    assert (page.hits, page.total, page.next_cursor) == ((), 0, None)


@pytest.mark.parametrize(
    ("facts", "expected"),
    [({"outcome": 0, "open_dead": False, "dead_at": None, "replay_at": None}, "running"),
     ({"outcome": 1, "open_dead": False, "dead_at": None, "replay_at": None}, "succeeded"),
     ({"outcome": 2, "open_dead": False, "dead_at": None, "replay_at": None}, "failed"),
     ({"outcome": 2, "open_dead": True, "dead_at": 5, "replay_at": None}, "dead-lettered"),
     ({"outcome": 2, "open_dead": False, "dead_at": 5, "replay_at": 9}, "replayed")],
    ids=["open", "succeeded", "failed", "dead-lettered", "replayed after a dead letter"])
def test_a_run_state_follows_its_ledger_facts(facts: dict[str, object], expected: str) -> None:
    assert state_of(**facts) == expected


def test_consecutive_hours_join_into_ranges() -> None:
    assert hour_ranges([7200, 0, 3600, 14400]) == [(0, 10800), (14400, 18000)]
    assert hour_ranges([]) == []


@pytest.mark.parametrize(
    ("attributes", "data", "expected"),
    [({}, '{"reason": "tax code"}', "tax code"),
     ({"reason": "from the extension"}, '{"reason": "tax code"}', "from the extension"),
     ({}, '{"error": {"message": "boom"}}', "boom"),
     ({}, '{"status": "x"}', ""), ({}, "not json", ""), ({}, '"a string"', "")],
    ids=["data reason", "extension first", "error.message", "none", "not JSON", "not an object"])
def test_an_event_reason_is_read_from_its_attributes_then_its_data(
        attributes: dict[str, str], data: str, expected: str) -> None:
    assert event_reason(attributes, data) == expected


def test_q_matches_ids_and_values_case_insensitively() -> None:
    assert matches("c-4", "A-1", ["C-42"])
    assert matches("a-1", "A-1", [])
    assert not matches("x", "A-1", ["C-42"])
