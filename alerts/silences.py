"""Silences: label matchers with a time range that mute notifications of matching alerts.

A :class:`LabelMatcher` compares one label (an absent label reads as ``""``) with ``op``:
``=`` equal, ``!=`` not equal, ``=~`` matches the regular expression, ``!~`` does not. Regular
expressions are anchored at both ends, as Alertmanager's are (``order-.*`` matches
``order-to-cash`` but ``order`` does not), and use RE2 syntax, as Alertmanager's do: they are
compiled by :func:`catalog.patterns.compile_regex`, whose matching time is linear, so no
pattern can hold the evaluator (``(.*.*.*)*z`` is matched as fast as ``z``). Patterns longer
than 1,000 characters or that RE2 refuses (back-references, look-around) are refused.

A :class:`Silence` mutes an alert when **every** matcher matches its labels and
``starts_at <= at < ends_at``. Silenced alerts are still evaluated and their transitions
recorded; only notifications are held back.

:func:`new_silence` validates what a user asks for (the route calls it); a silence whose
matchers all match the empty string would mute every alert and is refused, as Alertmanager
refuses it. Pure: standard library and :mod:`catalog.patterns` (RE2) only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from alerts.errors import SilenceError
from alerts.model import Labels
from catalog.errors import PatternError
from catalog.patterns import compile_regex

MatchOp = Literal["=", "!=", "=~", "!~"]
MATCH_OPS: tuple[MatchOp, ...] = ("=", "!=", "=~", "!~")
SilenceState = Literal["pending", "active", "expired"]
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
"""Silences must lie within ``[EARLIEST, LATEST)`` (what the history tables can store)."""


@dataclass(frozen=True)
class LabelMatcher:
    """``name op value``, e.g. ``flow = order-to-cash`` or ``severity =~ page|ticket``."""

    name: str
    op: MatchOp
    value: str

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether ``labels`` satisfy this matcher (an absent label is ``""``)."""
        actual = labels.get(self.name, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        found = compile_regex(self.value).fullmatch(actual) is not None
        return found if self.op == "=~" else not found

    def __str__(self) -> str:
        return f"{self.name}{self.op}{self.value!r}"


@dataclass(frozen=True)
class Silence:
    """Mutes notifications of alerts matched by every one of ``matchers`` while
    ``starts_at <= at < ends_at``. ``created_by`` and ``comment`` say who and why."""

    id: str
    matchers: tuple[LabelMatcher, ...]
    starts_at: datetime
    ends_at: datetime
    created_by: str = ""
    comment: str = ""
    created_at: datetime | None = None

    def state(self, at: datetime) -> SilenceState:
        """``pending`` before it starts, ``active`` inside its range, ``expired`` after."""
        if at < self.starts_at:
            return "pending"
        return "active" if at < self.ends_at else "expired"

    def mutes(self, labels: Labels | Mapping[str, str], at: datetime) -> bool:
        """Whether this silence mutes an alert with ``labels`` at ``at``."""
        if self.state(at) != "active":
            return False
        values = labels if isinstance(labels, Mapping) else dict(labels)
        return all(m.matches(values) for m in self.matchers)


def muting(silences: Iterable[Silence], labels: Labels, at: datetime) -> tuple[str, ...]:
    """Ids of the silences that mute an alert with ``labels`` at ``at``, in the given order."""
    values = dict(labels)
    return tuple(s.id for s in silences if s.mutes(values, at))


def parse_matcher(name: str, op: str, value: str) -> LabelMatcher:
    """A validated matcher. Raises :class:`SilenceError` for an invalid label name, an unknown
    operator or a regular expression that RE2 refuses or that is too long."""
    if LABEL_NAME.fullmatch(name) is None:
        raise SilenceError(f"{name!r} is not a label name (letters, digits and _, not starting "
                           f"with a digit)")
    if op not in MATCH_OPS:
        raise SilenceError(f"unknown matcher operator {op!r}; use one of {', '.join(MATCH_OPS)}")
    chosen: MatchOp = next(o for o in MATCH_OPS if o == op)
    if chosen in ("=~", "!~"):
        try:
            compile_regex(value, what=f"the regular expression of label {name!r}")
        except PatternError as exc:
            raise SilenceError(str(exc)) from exc
    return LabelMatcher(name=name, op=chosen, value=value)


def new_silence(*, id: str, matchers: Sequence[LabelMatcher], starts_at: datetime,
                ends_at: datetime, now: datetime, created_by: str = "",
                comment: str = "") -> Silence:
    """A validated silence created at ``now``.

    Raises :class:`SilenceError` when there is no matcher, when every matcher matches the empty
    label set (it would mute everything), when ``ends_at`` is not after ``starts_at`` or not
    after ``now`` (it would never mute anything), or when it does not lie between
    :data:`EARLIEST` and :data:`LATEST`.
    """
    if not matchers:
        raise SilenceError("a silence needs at least one matcher")
    if all(m.matches({}) for m in matchers):
        raise SilenceError("at least one matcher must not match an empty label, or the silence "
                           "would mute every alert")
    if ends_at <= starts_at:
        raise SilenceError(f"the silence must end after it starts (ends_at "
                           f"{ends_at.isoformat()} is not after starts_at "
                           f"{starts_at.isoformat()})")
    if ends_at <= now:
        raise SilenceError(f"the silence would end in the past (starts_at "
                           f"{starts_at.isoformat()}, ends_at {ends_at.isoformat()})")
    if starts_at < EARLIEST or ends_at >= LATEST:
        raise SilenceError(f"a silence (starts_at, ends_at) must lie between {EARLIEST.year} "
                           f"and {LATEST.year}")
    return Silence(id=id, matchers=tuple(matchers), starts_at=starts_at, ends_at=ends_at,
                   created_by=created_by, comment=comment, created_at=now)
