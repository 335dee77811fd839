"""Catalog durations: ``<integer><unit>`` to timedelta and back."""

from __future__ import annotations

from datetime import timedelta

import pytest

from catalog.durations import format_duration, human_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("500ms", timedelta(milliseconds=500), id="milliseconds"),
        pytest.param("45s", timedelta(seconds=45), id="seconds"),
        pytest.param("2m", timedelta(minutes=2), id="m means minutes"),
        pytest.param("1h", timedelta(hours=1), id="hours"),
        pytest.param("30d", timedelta(days=30), id="days"),
        pytest.param("28d", timedelta(days=28), id="four weeks in days"),
        pytest.param("7d", timedelta(weeks=1), id="a week in days"),
        pytest.param("2w", timedelta(days=14), id="weeks"),
        pytest.param(" 90m ", timedelta(minutes=90), id="surrounding blanks are ignored"),
    ],
)
def test_a_duration_is_read(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        pytest.param("30", "must be a duration like", id="a number without unit is refused"),
        pytest.param("30days", "must be a duration like", id="a spelled-out unit is refused"),
        pytest.param("1h30m", "must be a duration like", id="two units are refused"),
        pytest.param("1.5h", "must be a duration like", id="a fraction is refused"),
        pytest.param("-5m", "must be a duration like", id="a negative duration is refused"),
        pytest.param("1M", "must be a duration like", id="months are not a unit"),
        pytest.param("0s", "must be a positive duration", id="zero is refused"),
        pytest.param("", "must be a duration like", id="an empty text is refused"),
    ],
)
def test_a_malformed_duration_is_refused(text: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        parse_duration(text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(timedelta(days=7), "1w", id="a week is 1w"),
        pytest.param(timedelta(days=30), "30d", id="thirty days stay in days"),
        pytest.param(timedelta(minutes=90), "90m", id="ninety minutes stay in minutes"),
        pytest.param(timedelta(milliseconds=1500), "1500ms", id="fractions of seconds in ms"),
    ],
)
def test_a_duration_is_written_in_its_largest_whole_unit(value: timedelta, expected: str) -> None:
    assert format_duration(value) == expected
    assert parse_duration(expected) == value


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(timedelta(0), id="zero cannot be written"),
        pytest.param(timedelta(microseconds=1), id="microseconds cannot be written"),
    ],
)
def test_an_unwritable_duration_is_refused(value: timedelta) -> None:
    with pytest.raises(ValueError):
        format_duration(value)


@pytest.mark.parametrize(("value", "expected"), [
    pytest.param(0.0004, "0.4 ms", id="under 10 ms with one decimal"),
    pytest.param(0.002, "2 ms", id="a whole number of milliseconds drops the decimal"),
    pytest.param(0.4, "400 ms", id="milliseconds"),
    pytest.param(0.9996, "1 s", id="rounds up to a second"),
    pytest.param(9.46, "9.5 s", id="one decimal under 10 s"),
    pytest.param(42.4, "42 s", id="whole seconds under a minute"),
    pytest.param(59.6, "1 min", id="rounds up to a minute"),
    pytest.param(2_490, "41 min 30 s", id="minutes and seconds"),
    pytest.param(2_489.593, "41 min 30 s", id="seconds rounded before splitting"),
    pytest.param(2_520, "42 min", id="a whole number of minutes"),
    pytest.param(3_600, "1 h", id="a whole hour"),
    pytest.param(11_550, "3 h 12 min", id="hours and minutes, seconds truncated"),
    pytest.param(90_061, "1 d 1 h", id="days and hours"),
    pytest.param(45 * 86_400, "45 d", id="days stay days"),
    pytest.param(timedelta(minutes=41, seconds=30), "41 min 30 s", id="a timedelta"),
    pytest.param(-90, "-1 min 30 s", id="a negative duration keeps its sign"),
])
def test_a_duration_reads_in_human_units(value: float | timedelta, expected: str) -> None:
    assert human_duration(value) == expected
