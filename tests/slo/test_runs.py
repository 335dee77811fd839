"""The run rules in Python: terminal item, flow time, determination, operation keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from catalog.model import Matcher, Step
from slo.runs import (
    Determination,
    OperationMatch,
    RunTimes,
    determination,
    flow_time,
    is_dead_letter,
    operation_key,
    span_match,
    step_match,
)

T0 = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
TWO = timedelta(minutes=2)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("run", "threshold", "dead_letter_fails", "expected"),
    [
        pytest.param(RunTimes(start=at(0), success=at(1)), None, False,
                     Determination(at(1), True), id="a success counts good at the success"),
        pytest.param(RunTimes(start=at(0), failure=at(1)), None, False,
                     Determination(at(1), False), id="a failure counts bad at the failure"),
        pytest.param(RunTimes(start=at(0)), None, False, None,
                     id="an open run never counts without a threshold"),
        pytest.param(RunTimes(success=at(1)), None, False, Determination(at(1), True),
                     id="a success-rate SLO does not need the start"),
        pytest.param(RunTimes(start=at(0), success=at(3), failure=at(2)), None, False,
                     Determination(at(2), False), id="the first terminal item decides"),
        pytest.param(RunTimes(start=at(0), success=at(2), failure=at(2)), None, False,
                     Determination(at(2), False), id="a failure at the same instant wins"),
        pytest.param(RunTimes(start=at(0), success=at(5), dead_letter=at(1)), None, True,
                     Determination(at(1), False),
                     id="a dead letter fails the run when the flow says so"),
        pytest.param(RunTimes(start=at(0), success=at(5), dead_letter=at(1)), None, False,
                     Determination(at(5), True),
                     id="a dead letter is ignored when the flow does not fail on it"),
        pytest.param(RunTimes(start=at(0), success=at(1)), TWO, False,
                     Determination(at(1), True), id="a success within the threshold is good"),
        pytest.param(RunTimes(start=at(0), success=at(2)), TWO, False,
                     Determination(at(2), True), id="a success exactly at the threshold is good"),
        pytest.param(RunTimes(start=at(0), success=at(3)), TWO, False,
                     Determination(at(2), False),
                     id="a run that outlives its threshold counts bad at start plus threshold"),
        pytest.param(RunTimes(start=at(0)), TWO, False, Determination(at(2), False),
                     id="an open run becomes determinate by outliving its threshold"),
        pytest.param(RunTimes(start=at(0), failure=at(1)), TWO, False,
                     Determination(at(1), False), id="a failure before the deadline is bad"),
        pytest.param(RunTimes(failure=at(1)), TWO, False, Determination(at(1), False),
                     id="a failure without a start still counts bad"),
        pytest.param(RunTimes(success=at(1)), TWO, False, None,
                     id="a success without a start has no flow time and does not count"),
        pytest.param(RunTimes(start=at(5), success=at(4)), TWO, False,
                     Determination(at(4), True),
                     id="a success stamped before its start has flow time zero"),
    ],
)
def test_determination(run: RunTimes, threshold: timedelta | None, dead_letter_fails: bool,
                       expected: Determination | None) -> None:
    assert determination(run, threshold=threshold, dead_letter_fails=dead_letter_fails) == expected


@pytest.mark.parametrize(
    ("run", "expected"),
    [
        pytest.param(RunTimes(start=at(0), success=at(1.5)), timedelta(seconds=90),
                     id="flow time is success minus start"),
        pytest.param(RunTimes(start=at(2), success=at(1)), timedelta(0),
                     id="clock skew gives zero, never negative"),
        pytest.param(RunTimes(success=at(1)), None, id="no start, no flow time"),
    ],
)
def test_flow_time(run: RunTimes, expected: timedelta | None) -> None:
    assert flow_time(run) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("OrderDeadLettered", True, id="a DeadLettered event type"),
        pytest.param("erp-sync.dlq", True, id="a dlq queue name"),
        pytest.param("publish dead-letter", True, id="a dead-letter span"),
        pytest.param("dead_letter", True, id="snake case"),
        pytest.param("DLQ publish", True, id="upper case dlq word"),
        pytest.param("dlqueue", False, id="dlq inside a longer word is not a dead letter"),
        pytest.param("PaymentFailed", False, id="a failure is not a dead letter"),
    ],
)
def test_dead_letter_names(name: str, expected: bool) -> None:
    assert is_dead_letter(name) is expected


@pytest.mark.parametrize(
    ("match", "key", "expected"),
    [
        pytest.param(step_match(Step("pay", service="payments")),
                     operation_key("payments", "charge", "span"), True,
                     id="a step matches every operation of its service"),
        pytest.param(step_match(Step("pay", service="payments")),
                     operation_key("payments", "PaymentCaptured", "event"), True,
                     id="a step matches the events of its service too"),
        pytest.param(step_match(Step("checkout", service="storefront", span="checkout")),
                     operation_key("storefront", "GET /cart", "span"), False,
                     id="a step with a span name matches only that span"),
        pytest.param(span_match(Matcher(service="support-desk", span="refund.approve")),
                     operation_key("support-desk", "refund.approve", "event"), False,
                     id="a span matcher ignores events of the same name"),
        pytest.param(span_match(Matcher(span="refund.approve")),
                     operation_key("any", "refund.approve", "span"), True,
                     id="a span matcher without service matches the span anywhere"),
        pytest.param(OperationMatch(), operation_key("a", "b", "span"), False,
                     id="an empty match matches nothing"),
    ],
)
def test_operation_matches(match: OperationMatch | None, key: str, expected: bool) -> None:
    assert match is not None
    assert match.matches(key) is expected


def test_a_matcher_by_event_has_no_span_match() -> None:
    assert span_match(Matcher(events=("OrderPlaced",))) is None
