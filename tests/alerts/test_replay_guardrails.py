"""The replay's pure guardrails (keys, limits, the rate window, the body), the signed call against
a real receiver, and the queue's figures on /metrics."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from prometheus_client import CollectorRegistry

from alerts.dispatch import SIGNATURE_HEADER, verify_signature
from alerts.queue_exposition import QueueCollector
from alerts.replay import RateWindow, check_key, check_limit, replay_body
from alerts.signals import RunCounts
from alerts.signed_call import post_signed
from catalog.errors import ParameterError
from catalog.model import Catalog, Flow
from catalog.operations import shown_url
from slo.dead_letters import DeadLetter, FailingStep
from tests.alerts.conftest import T0, Receiver

SECOND = timedelta(seconds=1)


@pytest.mark.parametrize(("key", "fragment"), [
    (None, "needs an Idempotency-Key header"), ("  ", "needs an Idempotency-Key header"),
    ("k" * 201, "at most 200 characters; got 201"), ("a\nb", "printable text")],
    ids=["missing", "blank", "too long", "not printable"])
def test_an_unusable_idempotency_key_is_refused_naming_the_header(key: str | None,
                                                                  fragment: str) -> None:
    with pytest.raises(ParameterError, match=fragment) as caught:
        check_key(key)
    assert caught.value.name == "Idempotency-Key"


def test_a_usable_key_is_kept_as_sent() -> None:
    assert check_key("2b1f-replay of A-1") == "2b1f-replay of A-1"


@pytest.mark.parametrize("limit", [None, 0, 101])
def test_a_bulk_replay_needs_a_limit_from_1_to_100(limit: int | None) -> None:
    with pytest.raises(ParameterError, match="from 1 to 100"):
        check_limit(limit)


def test_the_rate_window_allows_the_limit_per_minute_and_says_when_to_retry() -> None:
    window = RateWindow()
    assert [window.take("f", 3, T0 + i * SECOND) for i in range(3)] == [None, None, None]
    assert window.take("f", 3, T0 + 10 * SECOND) == 50  # the first leaves the window at +60 s
    assert window.take("other", 3, T0 + 10 * SECOND) is None  # flows are counted apart
    assert window.take("f", 3, T0 + 60 * SECOND) is None
    assert window.take("f", 3, T0 + 60.5 * SECOND) == 1


def test_a_seeded_window_counts_the_calls_made_before_a_restart() -> None:
    window = RateWindow()
    window.seed("f", [T0 - 30 * SECOND, T0 - 20 * SECOND])
    assert window.seeded("f")
    assert window.take("f", 2, T0) == 30


def test_the_replay_body_names_the_run_its_failing_step_and_keys() -> None:
    flow = Flow(name="order-to-cash", correlation_key="order.id")
    letter = DeadLetter("order-to-cash", "A-1", "waiting", 1_772_452_800_000_000_000, None,
                        FailingStep("erp-sync", "erp-sync", "erp-sync.dlq", "tax code"),
                        {"customer.id": ("C-42",)})
    body = json.loads(replay_body(flow, letter, key="k-1", actor="oncall", attempt=2,
                                  sent_at=T0, state="dead-lettered"))
    assert body == {
        "type": "flowscope.replay", "flow": "order-to-cash", "run": "A-1",
        "correlation_key": "order.id", "state": "dead-lettered",
        "failing_step": {"step": "erp-sync", "service": "erp-sync", "item": "erp-sync.dlq",
                         "error": "tax code"},
        "search_keys": {"customer.id": ["C-42"]},
        "dead_lettered_at": "2026-03-02T12:00:00.000000Z", "attempt": 2,
        "idempotency_key": "k-1", "requested_by": "oncall",
        "sent_at": "2026-03-02T12:00:00.000Z"}


def test_a_signed_call_carries_the_hmac_of_its_exact_body(receiver: Receiver) -> None:
    receiver.status = 202
    outcome = post_signed(receiver.url + "/replay", b'{"run":"A-1"}', secret=b"s3",
                          timeout=5 * SECOND, headers={"Idempotency-Key": "k"})
    assert (outcome.accepted, outcome.status, outcome.error) == (True, 202, "")
    got = receiver.to("/replay")[0]
    assert verify_signature(b"s3", got.body, got.headers[SIGNATURE_HEADER.lower()])
    assert got.headers["idempotency-key"] == "k"
    assert outcome.describe() == "accepted (202)"


def test_a_refusing_receiver_is_a_failed_outcome_with_its_printable_answer(
        receiver: Receiver) -> None:
    receiver.status, receiver.answer = 409, b"no such order\n\x00"
    outcome = post_signed(receiver.url + "/replay", b"{}", secret=b"s", timeout=5 * SECOND)
    assert not outcome.accepted and outcome.status == 409
    assert outcome.error == f"{receiver.url}/replay answered 409: no such order"


def test_a_silent_receiver_is_a_timeout(receiver: Receiver) -> None:
    receiver.delay = 2.0
    outcome = post_signed(receiver.url + "/replay", b"{}", secret=b"s",
                          timeout=timedelta(milliseconds=300))
    assert (outcome.accepted, outcome.status) == (False, 0)
    assert outcome.error == f"no answer from {receiver.url}/replay within 0.3 s"
    assert 250 <= outcome.latency_ms < 2000


def test_an_unreachable_receiver_names_the_url_without_its_credentials() -> None:
    outcome = post_signed("http://user:pw@127.0.0.1:9/replay", b"{}", secret=b"s",
                          timeout=2 * SECOND)
    assert not outcome.accepted
    assert outcome.error.startswith("cannot reach http://127.0.0.1:9/replay: ")
    assert "pw" not in outcome.error
    assert shown_url("https://a:b@host:8443/p?token=x") == "https://host:8443/p"


class Source:
    def run_totals(self, flow: str, at: datetime) -> RunCounts:
        return RunCounts(started=10, succeeded=7, failed=2)

    def waiting(self, flow: str) -> tuple[int, datetime | None]:
        if flow == "broken":
            raise ConnectionError("down")
        return (3, T0 - 90 * SECOND) if flow == "a" else (0, None)


def test_the_queue_collector_exposes_runs_dead_letters_and_maintenance() -> None:
    registry = CollectorRegistry()
    flows = tuple(Flow(name=n, correlation_key="k") for n in ("a", "b", "broken"))
    registry.register(QueueCollector(Catalog(flows=flows), source=lambda: Source(),
                                     in_maintenance=lambda flow, _at: flow == "b",
                                     clock=lambda: T0))

    def value(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, labels)

    assert value("flowscope_flow_runs_total", flow="a", outcome="failed") == 2
    assert value("flowscope_dead_letters_waiting", flow="a") == 3
    assert value("flowscope_dead_letter_oldest_age_seconds", flow="a") == 90
    assert value("flowscope_dead_letter_oldest_age_seconds", flow="b") == 0
    assert value("flowscope_flow_maintenance", flow="b") == 1
    assert value("flowscope_flow_maintenance", flow="broken") == 0
    assert value("flowscope_dead_letters_waiting", flow="broken") is None  # left out, logged
