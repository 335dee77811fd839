"""Which notifications each channel gets, and how they are encoded and signed."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from alerts.dispatch import (
    ChannelPolicy,
    alertmanager_payload,
    plan_notifications,
    signature,
    verify_signature,
    webhook_body,
)
from alerts.model import Alert, AlertStatus, labels_of
from tests.alerts.conftest import T0

MINUTE = timedelta(minutes=1)
LABELS = labels_of({"alertname": "FlowSLOBudgetBurn", "flow": "order-to-cash",
                    "slo": "success-rate", "severity": "page", "owner": "payments-team"})
ALERT = Alert(fingerprint="fp1", rule="r", labels=LABELS,
              annotations=labels_of({"summary": "3.2% failed"}), status="firing",
              for_duration=timedelta(0), active_since=T0, fired_at=T0, resolved_at=None,
              updated_at=T0)
AM = ChannelPolicy(resend_every=MINUTE, valid_for=4 * MINUTE)
HOOK = ChannelPolicy(resend_every=None)


def alert(status: AlertStatus) -> Alert:
    return replace(ALERT, status=status,
                   resolved_at=T0 + 3 * MINUTE if status == "resolved" else None)


@pytest.mark.parametrize(
    ("status", "sent", "muted", "policy", "expected", "still_sent"),
    [
        pytest.param("firing", None, False, AM, "firing", True,
                     id="a new firing alert is announced"),
        pytest.param("firing", T0 + 2 * MINUTE, False, AM, None, True,
                     id="a firing alert is not repeated before the resend interval"),
        pytest.param("firing", T0 + MINUTE, False, AM, "firing", True,
                     id="a firing alert is resent to alertmanager every interval"),
        pytest.param("firing", T0, False, HOOK, None, True,
                     id="a webhook hears of a firing alert once"),
        pytest.param("firing", None, True, AM, None, False,
                     id="a muted alert is not announced"),
        pytest.param("firing", T0, True, AM, None, True,
                     id="an announced alert that is muted now is not repeated"),
        pytest.param("resolved", T0, False, HOOK, "resolved", False,
                     id="a resolved alert is announced to channels that heard it fire"),
        pytest.param("resolved", T0, True, AM, "resolved", False,
                     id="a resolve is announced even while muted"),
        pytest.param("resolved", None, False, AM, None, False,
                     id="a resolve nobody heard fire is not announced"),
        pytest.param("pending", None, False, AM, None, False,
                     id="a pending alert is not announced"),
    ],
)
def test_a_channel_hears_what_it_must_and_no_more(
        status: AlertStatus, sent: datetime | None, muted: bool, policy: ChannelPolicy,
        expected: str | None, still_sent: bool) -> None:
    at = T0 + 2 * MINUTE
    plan = plan_notifications([alert(status)], muted={"fp1"} if muted else set(), at=at,
                              sent={} if sent is None else {"fp1": sent}, policy=policy)
    assert [n.status for n in plan.notifications] == ([expected] if expected else [])
    assert ("fp1" in plan.sent) is still_sent


def test_firing_notifications_expire_unless_renewed_and_resolves_carry_their_end() -> None:
    at = T0 + 2 * MINUTE
    (firing,) = plan_notifications([alert("firing")], muted=set(), at=at, sent={},
                                   policy=AM).notifications
    assert (firing.starts_at, firing.ends_at) == (T0, at + 4 * MINUTE)
    (resolved,) = plan_notifications([alert("resolved")], muted=set(), at=at,
                                     sent={"fp1": T0}, policy=AM).notifications
    assert (resolved.starts_at, resolved.ends_at) == (T0, T0 + 3 * MINUTE)


def test_the_alertmanager_payload_is_a_list_of_postable_alerts() -> None:
    plan = plan_notifications([alert("firing")], muted=set(), at=T0, sent={}, policy=AM)
    assert alertmanager_payload(plan.notifications, generator_url="http://fs/alerts") == [{
        "labels": dict(LABELS),
        "annotations": {"summary": "3.2% failed"},
        "startsAt": "2026-03-02T12:00:00.000Z",
        "endsAt": "2026-03-02T12:04:00.000Z",
        "generatorURL": "http://fs/alerts",
    }]


def test_the_webhook_body_says_firing_when_any_alert_fires() -> None:
    firing = plan_notifications([alert("firing")], muted=set(), at=T0, sent={},
                                policy=HOOK).notifications
    resolved = plan_notifications([replace(alert("resolved"), fingerprint="fp2")], muted=set(),
                                  at=T0, sent={"fp2": T0}, policy=HOOK).notifications
    body = json.loads(webhook_body(firing + resolved, sent_at=T0))
    assert body["status"] == "firing"
    assert [a["status"] for a in body["alerts"]] == ["firing", "resolved"]
    assert body["alerts"][0]["labels"] == dict(LABELS)
    assert body["alerts"][1]["endsAt"] == "2026-03-02T12:03:00.000Z"
    assert json.loads(webhook_body(resolved, sent_at=T0))["status"] == "resolved"


@pytest.mark.parametrize(
    ("secret", "body", "header", "valid"),
    [
        pytest.param(b"s3cret", b'{"a":1}', None, True, id="our own signature verifies"),
        pytest.param(b"s3cret", b'{"a":2}', "sha256=" + "0" * 64, False,
                     id="a forged signature does not verify"),
        pytest.param(b"other", b'{"a":1}', None, False,
                     id="a signature made with another secret does not verify"),
    ],
)
def test_webhook_signatures_are_hmac_sha256_of_the_body(secret: bytes, body: bytes,
                                                        header: str | None,
                                                        valid: bool) -> None:
    made = header or signature(secret, body)
    assert made.startswith("sha256=") and len(made) == 7 + 64
    assert verify_signature(b"s3cret", b'{"a":1}', made) is valid
