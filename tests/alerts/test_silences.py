"""Silences mute alerts by label matchers within their time range; maintenance windows too."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta

import pytest

from alerts.errors import SilenceError
from alerts.maintenance import active_window, maintenance_problems
from alerts.model import labels_of
from alerts.silences import LabelMatcher, Silence, muting, new_silence, parse_matcher
from catalog.model import MaintenanceWindow
from tests.alerts.conftest import T0

HOUR = timedelta(hours=1)
ALERT = labels_of({"alertname": "FlowSLOBudgetBurn", "flow": "order-to-cash",
                   "slo": "success-rate", "severity": "page", "owner": "payments-team"})


@pytest.mark.parametrize(
    ("name", "op", "value", "matches"),
    [
        pytest.param("flow", "=", "order-to-cash", True, id="an equal matcher matches its value"),
        pytest.param("flow", "=", "order", False, id="an equal matcher is not a prefix match"),
        pytest.param("flow", "!=", "lead-to-demo", True,
                     id="a not-equal matcher matches other values"),
        pytest.param("flow", "=~", "order-.*", True, id="a regex matcher matches"),
        pytest.param("flow", "=~", "order", False,
                     id="a regex matcher is anchored at both ends"),
        pytest.param("severity", "!~", "page|ticket", False,
                     id="a negative regex refuses what it matches"),
        pytest.param("rule", "=", "", True, id="an absent label reads as empty"),
        pytest.param("rule", "!=", "", False, id="an absent label is not different from empty"),
    ],
)
def test_a_matcher_compares_one_label(name: str, op: str, value: str, matches: bool) -> None:
    assert parse_matcher(name, op, value).matches(dict(ALERT)) is matches


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        pytest.param(("1flow", "=", "x"), "is not a label name",
                     id="a label name starting with a digit is refused"),
        pytest.param(("flow", "==", "x"), "unknown matcher operator",
                     id="an unknown operator is refused"),
        pytest.param(("flow", "=~", "order-(", ), "does not compile",
                     id="a regular expression that does not compile is refused"),
    ],
)
def test_a_bad_matcher_is_refused(args: tuple[str, str, str], fragment: str) -> None:
    with pytest.raises(SilenceError, match=fragment):
        parse_matcher(*args)


def silence(*matchers: LabelMatcher, starts: int = 0, hours: int = 1) -> Silence:
    return new_silence(id="s1", matchers=matchers, starts_at=T0 + starts * HOUR,
                       ends_at=T0 + (starts + hours) * HOUR, now=T0, created_by="ops")


@pytest.mark.parametrize(
    ("matchers", "fragment"),
    [
        pytest.param((), "at least one matcher", id="a silence without matchers is refused"),
        pytest.param((parse_matcher("flow", "=~", ".*"),), "would mute every alert",
                     id="a silence that matches every alert is refused"),
    ],
)
def test_a_silence_that_would_mute_everything_or_nothing_is_refused(
        matchers: tuple[LabelMatcher, ...], fragment: str) -> None:
    with pytest.raises(SilenceError, match=fragment):
        silence(*matchers)


@pytest.mark.parametrize(
    ("starts", "hours", "fragment"),
    [
        pytest.param(0, 0, "must end after it starts", id="an empty time range is refused"),
        pytest.param(-3, 1, "would end in the past", id="a silence ending in the past is refused"),
    ],
)
def test_a_silence_needs_a_future_end(starts: int, hours: int, fragment: str) -> None:
    with pytest.raises(SilenceError, match=fragment):
        silence(parse_matcher("flow", "=", "order-to-cash"), starts=starts, hours=hours)


@pytest.mark.parametrize(
    ("offset", "state", "mutes"),
    [
        pytest.param(timedelta(minutes=-1), "pending", False,
                     id="before it starts it mutes nothing"),
        pytest.param(timedelta(0), "active", True, id="from its start it mutes"),
        pytest.param(HOUR - timedelta(seconds=1), "active", True, id="until its end it mutes"),
        pytest.param(HOUR, "expired", False, id="at its end it has expired"),
    ],
)
def test_a_silence_mutes_only_within_its_range(offset: timedelta, state: str,
                                               mutes: bool) -> None:
    s = silence(parse_matcher("flow", "=", "order-to-cash"), parse_matcher("severity", "=", "page"))
    assert s.state(T0 + offset) == state
    assert s.mutes(ALERT, T0 + offset) is mutes


def test_every_matcher_of_a_silence_must_match() -> None:
    s = silence(parse_matcher("flow", "=", "order-to-cash"),
                parse_matcher("severity", "=", "ticket"))
    assert muting([s], ALERT, T0) == ()
    assert muting([s, silence(parse_matcher("owner", "=~", "pay.*"))], ALERT, T0) == ("s1",)


WEEKLY = MaintenanceWindow("FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=0;BYSECOND=0", HOUR,
                           "NetSuite weekly maintenance")
SUNDAY_2AM = T0.replace(day=1, hour=2)


@pytest.mark.parametrize(
    ("instant", "inside"),
    [
        pytest.param(SUNDAY_2AM, True, id="a maintenance window starts at its occurrence"),
        pytest.param(SUNDAY_2AM + timedelta(minutes=59), True,
                     id="a maintenance window covers its whole duration"),
        pytest.param(SUNDAY_2AM + HOUR, False, id="a maintenance window ends after its duration"),
        pytest.param(SUNDAY_2AM - timedelta(minutes=1), False,
                     id="before the occurrence there is no maintenance"),
    ],
)
def test_maintenance_windows_cover_their_occurrences(instant: datetime, inside: bool) -> None:
    assert (active_window([WEEKLY], instant) is WEEKLY) is inside


def test_a_maintenance_rule_that_cannot_be_expanded_is_reported_not_raised() -> None:
    broken = MaintenanceWindow(
        "DTSTART;TZID=Europe/Berlin:20260101T000000\nRRULE:FREQ=DAILY;UNTIL=20260401T000000", HOUR)
    assert active_window([broken], T0) is None
    (problem,) = maintenance_problems([broken], T0)
    assert "cannot be expanded" in problem


def test_a_backtracking_pattern_is_matched_in_linear_time() -> None:
    """``(.*.*.*)*z`` held Python's backtracking engine for minutes on 30 characters; the
    match runs in a child process so that a regression fails here instead of hanging."""
    script = (
        "from alerts.silences import parse_matcher\n"
        "m = parse_matcher('flow', '=~', '(.*.*.*)*z')\n"
        "assert not m.matches({'flow': 'order-to-cash-and-refund-to-ledger'})\n"
        "assert not m.matches({'flow': 'a' * 100_000})\n"
        "assert m.matches({'flow': 'a' * 100_000 + 'z'})\n"
    )
    done = subprocess.run([sys.executable, "-c", script], timeout=60, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
