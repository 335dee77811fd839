"""Parameters as users type them in a URL, a form or a request body: instants, days, ranges,
durations, ids and flow names, each checked against what flowscope can store and compute; and
the one spelling of the times every answer gives (:func:`rfc3339`).

Every check raises :class:`catalog.errors.ParameterError` naming the parameter and saying what
is wrong (:class:`catalog.errors.NotFound` for a flow the catalog does not have), never echoing
more than :data:`ECHO_CHARS` characters of what was sent. The HTTP layer answers them with 400
and 404 (``flowscope.http_errors``); the dashboards show their message.

Bounds: instants and days lie in ``[EARLIEST, LATEST)`` (1970 to 2200: what the tables'
``DateTime64`` columns hold, with room for the longest SLO period on either side); durations
are at most :data:`MAX_DURATION` (100 years); ids are at most :data:`MAX_ID_CHARS` characters.
Pure: the standard library and :mod:`catalog.model`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

from catalog.durations import parse_duration
from catalog.errors import NotFound, ParameterError
from catalog.model import Catalog, Flow

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
"""First instant a parameter may name."""
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
"""Instants must lie before this one."""
MAX_DURATION = timedelta(days=36_500)
"""Longest duration a parameter may give (100 years of 365 days)."""
MAX_ID_CHARS = 512
"""Longest id (correlation id, trace id typed in a page) in characters."""
ECHO_CHARS = 60
"""At most this many characters of a refused value are quoted back in a message."""


def shown(value: object) -> str:
    """``repr`` of ``value`` cut to :data:`ECHO_CHARS` characters (with ``…`` and the length
    when cut), for messages that quote what a user sent."""
    text = value if isinstance(value, str) else str(value)
    if len(text) <= ECHO_CHARS:
        return repr(text)
    return f"{text[:ECHO_CHARS]!r}… ({len(text):,} characters)"


def within(name: str, moment: datetime) -> datetime:
    """``moment`` (aware) as UTC when it lies in ``[EARLIEST, LATEST)``; else ParameterError."""
    if moment.tzinfo is None:
        raise ParameterError(name, f"{name} must carry a time zone")
    try:
        utc = moment.astimezone(UTC)
    except (OverflowError, ValueError):
        utc = None
    if utc is None or not EARLIEST <= utc < LATEST:
        raise ParameterError(name, f"{name} must lie between {EARLIEST:%Y-%m-%d} and "
                                   f"{LATEST:%Y-%m-%d}; got {shown(moment.isoformat())}")
    return utc


def instant(name: str, text: str | None, default: datetime, *, clamp: bool = False) -> datetime:
    """An RFC 3339 instant with a time zone (``2026-11-27T10:00:00Z``) as aware UTC, or
    ``default`` when absent or blank. With ``clamp`` an instant outside ``[EARLIEST, LATEST)``
    is held at the nearer bound instead of refused (for listings where "from year 1" means
    "from the start")."""
    if text is None or text.strip() == "":
        return default
    try:
        moment: datetime | None = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ParameterError(name, f"{name} must be an RFC 3339 time with a time zone, like "
                                   f"2026-11-27T10:00:00Z; got {shown(text)}")
    if clamp:
        return _held(moment)
    return within(name, moment)


def _held(moment: datetime) -> datetime:
    """``moment`` (aware) as UTC, held within ``[EARLIEST, LATEST - 1 µs]``."""
    try:
        utc = moment.astimezone(UTC)
    except (OverflowError, ValueError):  # within a day of year 1 or year 9999
        return EARLIEST if moment.year < EARLIEST.year else LATEST - timedelta(microseconds=1)
    return min(max(utc, EARLIEST), LATEST - timedelta(microseconds=1))


_Point = TypeVar("_Point", date, datetime)


def ordered(start: _Point, stop: _Point) -> None:
    """Nothing when ``start`` is before ``stop`` (instants or days); else ParameterError on
    ``from``: the range must end after it starts."""
    if start >= stop:
        raise ParameterError("from", f"the range must end after it starts: to ({stop.isoformat()})"
                                     f" must be after from ({start.isoformat()})")


def rfc3339(moment: datetime, timespec: str = "auto") -> str:
    """``moment`` in RFC 3339 as every answer gives times: UTC, with a ``Z``
    (``2026-11-27T10:00:00Z``, ``2026-11-27T10:00:00.123456Z``). ``timespec`` is
    :meth:`datetime.isoformat`'s (``"milliseconds"``: ``2026-11-27T10:00:00.000Z``, as the
    alert routes and Alertmanager write them). A naive ``moment`` is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec=timespec).replace("+00:00", "Z")


def day(name: str, text: str | None, default: date) -> date:
    """A UTC day: ``YYYY-MM-DD``, or an RFC 3339 instant at midnight UTC; ``default`` when
    absent or blank."""
    if text is None or text.strip() == "":
        return default
    value = text.strip()
    try:
        if len(value) == 10:
            moment: datetime | None = datetime.combine(date.fromisoformat(value),
                                                       datetime.min.time(), UTC)
        else:
            moment = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ParameterError(name, f"{name} must be a day like 2026-03-01 (or an RFC 3339 time "
                                   f"at midnight UTC); got {shown(text)}")
    moment = within(name, moment)
    if moment.time() != datetime.min.time():
        raise ParameterError(name, f"{name} must fall on midnight UTC (costs are per UTC day); "
                                   f"got {shown(text)}")
    return moment.date()


def day_within(name: str, value: date) -> date:
    """``value`` when its midnight UTC lies in ``[EARLIEST, LATEST)``; else ParameterError."""
    within(name, datetime.combine(value, datetime.min.time(), UTC))
    return value


def duration(name: str, text: str) -> timedelta:
    """A catalog duration (``30d``, ``2h``, ``500ms``) of at most :data:`MAX_DURATION`."""
    try:
        value = parse_duration(text)
    except ValueError as exc:
        raise ParameterError(name, f"{name} {exc}") from exc
    if value > MAX_DURATION:
        raise ParameterError(name, f"{name} may be at most {MAX_DURATION.days:,}d; got "
                                   f"{shown(text)}")
    return value


def ends(name: str, start: datetime, length: timedelta) -> datetime:
    """``start + length`` (``start`` aware) when it lies before :data:`LATEST`; else
    ParameterError on ``name`` (the parameter that gave ``length``)."""
    if length >= LATEST - start:
        raise ParameterError(name, f"{name} would end after {LATEST:%Y-%m-%d}")
    return start + length


def flow(catalog: Catalog, name: str) -> Flow:
    """The flow of ``catalog`` called ``name``; NotFound naming it and the catalog's flows."""
    found = catalog.flow(name)
    if found is None:
        known = ", ".join(f.name for f in catalog.flows) or "none"
        raise NotFound(f"no flow named {shown(name)} in the catalog (flows: {known})")
    return found


def identifier(name: str, text: str) -> str:
    """``text`` stripped, when it has 1 to :data:`MAX_ID_CHARS` characters."""
    value = text.strip()
    if not value:
        raise ParameterError(name, f"{name} must not be empty")
    if len(value) > MAX_ID_CHARS:
        raise ParameterError(name, f"{name} may have at most {MAX_ID_CHARS} characters; got "
                                   f"{len(value):,}")
    return value
