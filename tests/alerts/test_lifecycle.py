"""The lifecycle state machine: inactive → pending → firing → resolved, deduplicated."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alerts.lifecycle import RESOLVED_RETENTION, advance
from alerts.model import Alert, Observation, fingerprint, labels_of
from tests.alerts.conftest import T0

LABELS = labels_of({"alertname": "FlowNoSuccess", "flow": "order-to-cash", "severity": "page"})
RULE = "order-to-cash/rule/no-invoices"
MINUTE = timedelta(minutes=1)


def observation(active: bool, *, for_minutes: int = 0, summary: str = "s",
                labels: tuple[tuple[str, str], ...] = LABELS, rule: str = RULE) -> Observation:
    return Observation(rule=rule, labels=labels,
                       annotations=labels_of({"summary": summary}) if active else (),
                       active=active, for_duration=for_minutes * MINUTE)


def run(steps: list[tuple[int, bool | None]], for_minutes: int) -> tuple[list[str], list[str]]:
    """Feed one observation per step (minute offset, holds? None: no observation) and return
    the alert's status after each step and every transition as "from>to"."""
    alerts: tuple[Alert, ...] = ()
    statuses, transitions = [], []
    for minute, active in steps:
        seen = [] if active is None else [observation(active, for_minutes=for_minutes)]
        evaluation = advance(alerts, seen, T0 + minute * MINUTE)
        alerts = evaluation.alerts
        statuses.append(alerts[0].status if alerts else "-")
        transitions += [f"{t.from_status}>{t.to_status}" for t in evaluation.transitions]
    return statuses, transitions


@pytest.mark.parametrize(
    ("steps", "for_minutes", "statuses", "transitions"),
    [
        pytest.param(
            [(0, True), (1, True), (2, False)], 0,
            ["firing", "firing", "resolved"], ["inactive>firing", "firing>resolved"],
            id="without a for duration an alert fires at once and resolves when it stops",
        ),
        pytest.param(
            [(0, True), (4, True), (5, True), (6, True)], 5,
            ["pending", "pending", "firing", "firing"], ["inactive>pending", "pending>firing"],
            id="an alert fires once its condition has held for the whole for duration",
        ),
        pytest.param(
            [(0, True), (3, False), (4, True)], 5,
            ["pending", "-", "pending"],
            ["inactive>pending", "pending>inactive", "inactive>pending"],
            id="a blip shorter than the for duration never fires",
        ),
        pytest.param(
            [(0, True), (1, False), (2, True)], 0,
            ["firing", "resolved", "firing"],
            ["inactive>firing", "firing>resolved", "resolved>firing"],
            id="a resolved alert that holds again fires again",
        ),
        pytest.param(
            [(0, True), (1, None)], 0,
            ["firing", "resolved"], ["inactive>firing", "firing>resolved"],
            id="an alert whose rule says nothing any more resolves",
        ),
        pytest.param(
            [(0, True), (1, False), (2, False), (1 + 15, False), (2 + 15, False)], 0,
            ["firing", "resolved", "resolved", "resolved", "-"],
            ["inactive>firing", "firing>resolved"],
            id="a resolved alert is listed for fifteen minutes then dropped",
        ),
        pytest.param(
            [(0, False), (1, False)], 5, ["-", "-"], [],
            id="a condition that never holds makes no alert and no transition",
        ),
    ],
)
def test_an_alert_moves_through_its_states(steps: list[tuple[int, bool | None]],
                                           for_minutes: int, statuses: list[str],
                                           transitions: list[str]) -> None:
    assert run(steps, for_minutes) == (statuses, transitions)


def test_the_resolved_retention_is_fifteen_minutes() -> None:
    assert RESOLVED_RETENTION == 15 * MINUTE


def test_observations_with_the_same_labels_are_one_alert() -> None:
    evaluation = advance((), [observation(False), observation(True, summary="second"),
                              observation(True, summary="third")], T0)
    assert len(evaluation.alerts) == 1
    assert evaluation.alerts[0].annotation("summary") == "second"
    assert evaluation.alerts[0].fingerprint == fingerprint(LABELS)
    assert len(evaluation.transitions) == 1


def test_an_alert_of_a_rule_without_data_keeps_its_state() -> None:
    firing = advance((), [observation(True)], T0).alerts
    kept = advance(firing, [], T0 + MINUTE, unknown_rules={RULE})
    assert kept.alerts == firing
    assert kept.transitions == ()


def test_a_resolved_alert_keeps_the_annotations_it_fired_with() -> None:
    firing = advance((), [observation(True, summary="3.2% failed")], T0).alerts
    resolved = advance(firing, [observation(False)], T0 + MINUTE)
    alert = resolved.alerts[0]
    assert (alert.status, alert.annotation("summary")) == ("resolved", "3.2% failed")
    assert alert.resolved_at == T0 + MINUTE
    assert alert.fired_at == T0
    assert resolved.transitions[0].annotations == labels_of({"summary": "3.2% failed"})


def test_transitions_carry_what_a_restart_needs() -> None:
    pending = advance((), [observation(True, for_minutes=5)], T0)
    fired = advance(pending.alerts, [observation(True, for_minutes=5)], T0 + 5 * MINUTE)
    (transition,) = fired.transitions
    assert (transition.active_since, transition.fired_at, transition.for_duration) == (
        T0, T0 + 5 * MINUTE, 5 * MINUTE)


def test_fingerprints_depend_on_labels_only() -> None:
    reordered = labels_of(dict(reversed(LABELS)))
    assert fingerprint(reordered) == fingerprint(LABELS)
    other = labels_of({**dict(LABELS), "severity": "ticket"})
    assert fingerprint(other) != fingerprint(LABELS)
    assert labels_of({"slo": "", "flow": "f"}) == (("flow", "f"),)
