"""Maintenance recurrence rules (RFC 5545 RRULE) are checked before they are stored."""

from __future__ import annotations

import pytest

from catalog.recurrence import check_rrule


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=0", id="a bare weekly rule"),
        pytest.param("RRULE:FREQ=MONTHLY;BYMONTHDAY=-1", id="a prefixed rule on the last day"),
        pytest.param("DTSTART;TZID=Europe/Berlin:20260104T020000\nRRULE:FREQ=WEEKLY;BYDAY=SU",
                     id="a rule with a local start"),
        pytest.param("DTSTART:20260101T000000Z\nRRULE:FREQ=DAILY;INTERVAL=2;COUNT=10",
                     id="a rule with a UTC start and a count"),
        pytest.param("FREQ=YEARLY;BYMONTH=12;BYDAY=-1FR;UNTIL=20301231", id="ordinal weekdays"),
        pytest.param("freq=daily;byhour=3", id="lowercase is accepted"),
    ],
)
def test_a_valid_rule_has_no_problem(text: str) -> None:
    assert check_rrule(text) == []


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        pytest.param("", "must be a recurrence rule", id="an empty rule is refused"),
        pytest.param("BYHOUR=2", "FREQ is required", id="a rule without frequency is refused"),
        pytest.param("FREQ=HOURLY;BYHOUR=24", "BYHOUR item '24' must be an integer in 0..23",
                     id="an hour out of range is refused"),
        pytest.param("FREQ=MONTHLY;BYMONTHDAY=0", "must be an integer in ±1..31",
                     id="month day zero is refused"),
        pytest.param("FREQ=WEEKLY;BYDAY=SUN", "BYDAY item 'SUN' must be like",
                     id="a three-letter weekday is refused"),
        pytest.param("FREQ=DAILY;COUNT=3;UNTIL=20260101", "COUNT and UNTIL cannot both",
                     id="count and until together are refused"),
        pytest.param("FREQ=DAILY;FREQ=WEEKLY", "given twice", id="a repeated part is refused"),
        pytest.param("FREQ=DAILY;BYWHEN=1", "unknown rule part 'BYWHEN'",
                     id="an unknown part is refused"),
        pytest.param("FREQ=DAILY;INTERVAL=0", "INTERVAL must be a positive integer",
                     id="a zero interval is refused"),
        pytest.param("DTSTART;TZID=Mars/Olympus:20260101T000000\nRRULE:FREQ=DAILY",
                     "unknown time zone 'Mars/Olympus'", id="an unknown start zone is refused"),
        pytest.param("DTSTART:2026-01-01\nRRULE:FREQ=DAILY", "DTSTART must be",
                     id="an ISO dashed start is refused"),
        pytest.param("RRULE:FREQ=DAILY\nRRULE:FREQ=WEEKLY", "exactly one RRULE",
                     id="two rules are refused"),
        pytest.param("every sunday", "unexpected line", id="prose is refused"),
    ],
)
def test_an_invalid_rule_is_explained(text: str, fragment: str) -> None:
    problems = check_rrule(text)
    assert any(fragment in p for p in problems), problems
