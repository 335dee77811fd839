"""The user-facing catalog spec (``apiVersion: flowscope/v1``) and its mapping to the model.

:func:`parse_catalog` composes the YAML into nodes (keeping line and column of everything),
then one mapping function per spec version (:func:`catalog_from_v1`) reads the nodes into the
frozen :mod:`catalog.model`, collecting every problem of the file before raising
:class:`~catalog.errors.CatalogValidationError`. The spec is extended, never renamed; keys
starting with ``x-`` are free-form extensions allowed anywhere.

Pure except :func:`load_catalog`, which reads the file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from yaml.nodes import MappingNode, Node

from catalog.alerting import read_alerting
from catalog.economics import read_baseline, read_cost, read_investment
from catalog.errors import (
    CatalogFileError,
    CatalogSyntaxError,
    CatalogValidationError,
    PatternError,
    Problem,
)
from catalog.model import (
    Catalog,
    FailureMatcher,
    Flow,
    LatencySpec,
    MaintenanceWindow,
    Matcher,
    RedactionRule,
    Release,
    SLOSpec,
    Step,
)
from catalog.operations import read_pause, read_replay, read_search_keys
from catalog.patterns import compile_glob
from catalog.reader import Fields, SpecReader
from catalog.recurrence import check_rrule
from catalog.yaml_source import compose, read_source

V1 = "flowscope/v1"
ROOT_KEYS = ("apiVersion", "redaction", "flows")
REDACTION_KEYS = ("key", "action")
REDACTION_ACTIONS = ("hash", "drop")
FLOW_KEYS = (
    "name", "owner", "correlation_key", "runbook_url", "start", "success", "failure", "steps",
    "slos", "alerting", "maintenance", "cost", "baseline", "investment", "releases",
    "search_keys", "replay", "pause",
)
MATCHER_KEYS = ("event", "events", "service", "span")
FAILURE_KEYS = ("event", "events", "dead_letter")
STEP_KEYS = ("name", "service", "span", "partner")
SLO_KEYS = ("name", "objective", "period", "latency", "runbook_url")
CALENDAR_KEYS = ("calendar", "timezone")
CALENDARS = ("month", "quarter", "week", "year")
DEFAULT_TIMEZONE = "UTC"
MAINTENANCE_KEYS = ("rrule", "duration", "reason")
RELEASE_KEYS = ("version", "date", "note")


def load_catalog(path: Path) -> Catalog:
    """Read and validate the catalog file at ``path``.

    Raises :class:`CatalogFileError` (unreadable), :class:`CatalogSyntaxError` (not YAML) or
    :class:`CatalogValidationError` (every spec problem of the file).
    """
    return parse_catalog(read_source(path, CatalogFileError), filename=str(path))


def parse_catalog(text: str, *, filename: str = "<string>") -> Catalog:
    """Validate catalog YAML ``text`` into the model; ``filename`` only names it in problems.

    Raises :class:`CatalogSyntaxError` or :class:`CatalogValidationError`.
    """
    root = compose(text, filename, CatalogSyntaxError)
    reader = SpecReader(filename)
    catalog = read_catalog_document(reader, root)
    if reader.problems or catalog is None:
        raise CatalogValidationError(reader.sorted_problems())
    return catalog


def read_catalog_document(r: SpecReader, root: Node | None) -> Catalog | None:
    """One catalog document (``None``: the file is empty) by its ``apiVersion``'s mapping
    function; ``None`` with problems recorded in ``r`` when anything is wrong."""
    if root is None:
        r.problems.append(Problem(r.filename, 1, 1, "", f"the catalog is empty; it must be a "
                                  f"mapping starting with 'apiVersion: {V1}'"))
        return None
    if not isinstance(root, MappingNode):
        r.report(root, "", f"the catalog must be a mapping starting with 'apiVersion: {V1}'")
        return None
    version_node = next((v for k, v in root.value if k.value == "apiVersion"), None)
    if version_node is None:
        r.report(root, "apiVersion", f"is required; supported versions: {', '.join(VERSIONS)}")
    else:
        version = r.text(version_node, "apiVersion")
        if version is None:
            return None
        if version not in VERSIONS:
            r.report(version_node, "apiVersion",
                     f"unsupported version {version!r}; supported versions: {', '.join(VERSIONS)}")
            return None
        return VERSIONS[version](r, root)
    return catalog_from_v1(r, root)  # no version given: still report what v1 would say


def catalog_from_v1(r: SpecReader, root: MappingNode) -> Catalog | None:
    """The mapping function from a ``flowscope/v1`` document to the model.

    Returns ``None`` (with problems recorded in ``r``) when anything is wrong.
    """
    f = r.mapping(root, "", allowed=ROOT_KEYS)
    if f is None:
        return None
    redaction = f.read("redaction", lambda n, p: r.unique_items(
        n, p, lambda i, q: _redaction(r, i, q), field="key", what="redaction rule for"))
    flows = f.read("flows", lambda n, p: _flows(r, n, p, redaction or ())) or ()
    if r.problems:
        return None
    return Catalog(flows=flows, redaction=redaction or ())


def _redaction(r: SpecReader, node: Node, path: str) -> RedactionRule | None:
    f = r.mapping(node, path, allowed=REDACTION_KEYS, required=REDACTION_KEYS)
    if f is None:
        return None
    key = f.read("key", lambda n, p: _redaction_key(r, n, p))
    action = f.read("action", lambda n, p: r.choice(n, p, REDACTION_ACTIONS))
    if key is None or action is None:
        return None
    return RedactionRule(key=key, action="hash" if action == "hash" else "drop")


def _redaction_key(r: SpecReader, node: Node, path: str) -> str | None:
    """A redaction key: an attribute key or a glob RE2 can match (:mod:`catalog.patterns`)."""
    key = r.text(node, path)
    if key is None:
        return None
    try:
        compile_glob(key, what="the key")
    except PatternError as exc:
        r.report(node, path, str(exc))
        return None
    return key


def _flows(r: SpecReader, node: Node, path: str, redaction: tuple[RedactionRule, ...] = ()
           ) -> tuple[Flow, ...] | None:
    return r.unique_items(node, path, lambda i, q: _flow(r, i, q, redaction), field="name",
                          what="flow name")


def _flow(r: SpecReader, node: Node, path: str, redaction: tuple[RedactionRule, ...] = ()
          ) -> Flow | None:
    f = r.mapping(node, path, allowed=FLOW_KEYS, required=("name", "correlation_key"))
    if f is None:
        return None
    before = len(r.problems)
    name = f.read("name", r.identifier)
    owner = f.read("owner", r.text)
    correlation_key = f.read("correlation_key", r.text)
    runbook_url = f.read("runbook_url", r.url)
    start = f.read("start", lambda n, p: _matcher(r, n, p)) or Matcher()
    success = f.read("success", lambda n, p: _matcher(r, n, p)) or Matcher()
    failure = f.read("failure", lambda n, p: _failure(r, n, p)) or FailureMatcher()
    steps = f.read("steps", lambda n, p: _steps(r, n, p))
    slos = f.read("slos", lambda n, p: _slos(r, n, p)) or ()
    if "slos" in f and ("start" not in f or "success" not in f):
        r.report(f.key_node("slos"), f.field("slos"),
                 "a flow with SLOs needs both start and success to count its runs")
    alerting = f.read("alerting", lambda n, p: read_alerting(
        r, n, p, slos if "slos" not in f or slos else None))
    maintenance = f.read("maintenance", lambda n, p: r.items(n, p, lambda i, q: _window(r, i, q)))
    cost = f.read("cost", lambda n, p: read_cost(r, n, p, steps if "steps" in f else ()))
    baseline = f.read("baseline", lambda n, p: read_baseline(r, n, p))
    investment = f.read("investment", lambda n, p: read_investment(r, n, p))
    releases = f.read("releases", lambda n, p: r.unique_items(
        n, p, lambda i, q: _release(r, i, q), field="version", what="release version"))
    search_keys = f.read("search_keys", lambda n, p: read_search_keys(
        r, n, p, correlation_key, redaction))
    replay = f.read("replay", lambda n, p: read_replay(r, n, p))
    pause = f.read("pause", lambda n, p: read_pause(r, n, p))
    if len(r.problems) > before or name is None or correlation_key is None:
        return None
    return Flow(
        name=name, correlation_key=correlation_key, owner=owner, start=start, success=success,
        failure=failure, steps=steps or (), slos=slos,
        alerting_windows=alerting.windows if alerting else None,
        alert_rules=alerting.rules if alerting else (), cost=cost,
        baseline=baseline, investment=investment, maintenance=maintenance or (),
        runbook_url=runbook_url, releases=tuple(sorted(releases or (), key=lambda x: x.day)),
        search_keys=search_keys or (), replay=replay, pause=pause,
    )


def _events(r: SpecReader, f: Fields) -> tuple[str, ...]:
    """``event: X`` or ``events: [X, Y]`` (not both)."""
    if "event" in f and "events" in f:
        r.report(f.key_node("events"), f.field("events"), "give event or events, not both")
        return ()
    single = f.read("event", r.text)
    if single is not None:
        return (single,)
    return f.read("events", r.texts) or ()


def _matcher(r: SpecReader, node: Node, path: str) -> Matcher | None:
    f = r.mapping(node, path, allowed=MATCHER_KEYS)
    if f is None:
        return None
    events = _events(r, f)
    service = f.read("service", r.text)
    span = f.read("span", r.text)
    by_event = "event" in f or "events" in f
    by_span = "service" in f or "span" in f
    if by_event and by_span:
        r.report(node, path, "match either by event/events or by service/span, not both")
    elif not by_event and not by_span:
        r.report(node, path, "give {event: Type}, {events: [...]} or {service: S, span: N}")
    return Matcher(events=events, service=service, span=span)


def _failure(r: SpecReader, node: Node, path: str) -> FailureMatcher | None:
    f = r.mapping(node, path, allowed=FAILURE_KEYS)
    if f is None:
        return None
    events = _events(r, f)
    dead_letter = f.read("dead_letter", r.boolean)
    if not any(k in f for k in FAILURE_KEYS):
        r.report(node, path, "give events and/or dead_letter")
    return FailureMatcher(events=events, dead_letter=bool(dead_letter))


def _steps(r: SpecReader, node: Node, path: str) -> tuple[Step, ...] | None:
    return r.unique_items(node, path, lambda i, q: _step(r, i, q), field="name", what="step name")


def _step(r: SpecReader, node: Node, path: str) -> Step | None:
    f = r.mapping(node, path, allowed=STEP_KEYS, required=("name", "service"))
    if f is None:
        return None
    name = f.read("name", r.text)
    service = f.read("service", r.text)
    span = f.read("span", r.text)
    partner = f.read("partner", r.text)
    if name is None or service is None or ("span" in f and span is None) or (
            "partner" in f and partner is None):
        return None
    return Step(name=name, service=service, span=span, partner=partner)


def _slos(r: SpecReader, node: Node, path: str) -> tuple[SLOSpec, ...] | None:
    return r.unique_items(node, path, lambda i, q: _slo(r, i, q), field="name", what="SLO name")


def _slo(r: SpecReader, node: Node, path: str) -> SLOSpec | None:
    f = r.mapping(node, path, allowed=SLO_KEYS, required=("name", "objective", "period"))
    if f is None:
        return None
    name = f.read("name", r.identifier)
    objective = f.read("objective", r.number)
    objective_node = f.node("objective")
    if objective is not None and objective_node is not None and not 0 < objective < 100:
        r.report(objective_node, f.field("objective"), f"must be between 0 and 100 (exclusive), "
                 f"got {objective}")
        objective = None
    period_node = f.node("period")
    period = calendar = timezone = None
    if isinstance(period_node, MappingNode):
        cf = r.mapping(period_node, f.field("period"), allowed=CALENDAR_KEYS,
                       required=("calendar",))
        if cf is not None:
            calendar = cf.read("calendar", lambda n, p: r.choice(n, p, CALENDARS))
            timezone = cf.read("timezone", r.timezone) if "timezone" in cf else DEFAULT_TIMEZONE
    elif period_node is not None:
        period = r.duration(period_node, f.field("period"))
    latency = f.read("latency", lambda n, p: _latency(r, n, p))
    runbook_url = f.read("runbook_url", r.url)
    if name is None or objective is None or (period is None and calendar is None) or (
            "latency" in f and latency is None):
        return None
    return SLOSpec(name=name, objective=objective, period=period, calendar=calendar,
                   timezone=timezone, latency=latency, runbook_url=runbook_url)


def _latency(r: SpecReader, node: Node, path: str) -> LatencySpec | None:
    f = r.mapping(node, path, allowed=("threshold",), required=("threshold",))
    threshold = f.read("threshold", r.duration) if f is not None else None
    return None if threshold is None else LatencySpec(threshold=threshold)


def _window(r: SpecReader, node: Node, path: str) -> MaintenanceWindow | None:
    f = r.mapping(node, path, allowed=MAINTENANCE_KEYS, required=("rrule", "duration"))
    if f is None:
        return None
    rrule = f.read("rrule", r.text)
    rrule_node = f.node("rrule")
    if rrule is not None and rrule_node is not None:
        reasons = check_rrule(rrule)
        for message in reasons:
            r.report(rrule_node, f.field("rrule"), message)
        if reasons:
            rrule = None
    duration = f.read("duration", r.duration)
    reason = f.read("reason", r.text)
    if rrule is None or duration is None or ("reason" in f and reason is None):
        return None
    return MaintenanceWindow(rrule=rrule, duration=duration, reason=reason)


def _release(r: SpecReader, node: Node, path: str) -> Release | None:
    f = r.mapping(node, path, allowed=RELEASE_KEYS, required=("version", "date"))
    if f is None:
        return None
    version = f.read("version", r.text)
    day = f.read("date", r.day)
    note = f.read("note", r.text)
    if version is None or day is None or ("note" in f and note is None):
        return None
    return Release(version=version, day=day, note=note)


VERSIONS: dict[str, Callable[[SpecReader, MappingNode], Catalog | None]] = {V1: catalog_from_v1}
