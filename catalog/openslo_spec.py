"""The parts of OpenSLO v1 documents flowscope imports: metadata, SLIs and objectives.

Each ``read_*`` function reads composed YAML nodes with a :class:`~catalog.reader.SpecReader`,
records every problem (file, line, column, field path inside the document) and returns
``None`` when its part is unusable. :mod:`catalog.openslo` assembles them into SLOs and
documents the mapping; time windows are read by :mod:`catalog.openslo_windows`. Field names
follow the OpenSLO v1 specification exactly.

Pure: standard library, the YAML node classes and :mod:`catalog` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Literal

from yaml.nodes import MappingNode, Node

from catalog.errors import Problem
from catalog.model import Budgeting, LatencySpec
from catalog.openslo_threshold import UNITS, read_threshold
from catalog.openslo_windows import Window, read_slice
from catalog.reader import Fields, SpecReader, describe

MetricKind = Literal["ratio", "threshold"]

FLOWSCOPE_SOURCE = "flowscope"
BUDGETING: dict[str, Budgeting] = {
    "Occurrences": "occurrences", "Timeslices": "timeslices", "RatioTimeslices": "ratio_timeslices",
}
METADATA_KEYS = ("name", "displayName", "labels", "annotations")
SLI_SPEC_KEYS = ("description", "thresholdMetric", "ratioMetric")
RATIO_KEYS = ("counter", "good", "bad", "total", "rawType", "raw")
SOURCE_KEYS = ("metricSourceRef", "type", "spec")
RATIO_ROLES = {  # role → (its `runs` value, what it counts)
    "good": ("success", "the runs that succeeded"),
    "bad": ("failure", "the runs that failed"),
    "total": ("all", "every determinate run"),
}
OBJECTIVE_KEYS = (
    "displayName", "op", "value", "target", "targetPercent", "timeSliceTarget",
    "timeSliceWindow", "indicator", "indicatorRef", "compositeWeight",
)
OPS = ("lte", "gte", "lt", "gt")


@dataclass(frozen=True)
class Place:
    """Where a value was written: 1-based line and column, and its field path."""

    line: int
    column: int
    field: str


def place_of(node: Node, field: str) -> Place:
    """The :class:`Place` of ``node``."""
    mark = node.start_mark
    return Place(mark.line + 1, mark.column + 1, field) if mark else Place(0, 0, field)


@dataclass(frozen=True)
class Indicator:
    """An SLI measured by flowscope: the flow whose runs it counts and its metric kind; for a
    threshold metric, the unit its source declares for bare objective values (or None)."""

    flow: str
    flow_at: Place
    kind: MetricKind
    unit: str | None = None


@dataclass(frozen=True)
class Objective:
    """The one objective of an SLO: percent, latency threshold and timeslice settings."""

    objective: Decimal
    latency: LatencySpec | None
    timeslice: timedelta | None
    timeslice_target: Decimal | None


def read_metadata(r: SpecReader, node: Node, path: str) -> tuple[str, Place] | None:
    """``metadata``: the object's ``name`` and where it is written."""
    f = r.mapping(node, path, allowed=METADATA_KEYS, required=("name",))
    if f is None:
        return None
    f.read("displayName", r.text)
    for key in ("labels", "annotations"):
        value = f.node(key)
        if value is not None and not isinstance(value, MappingNode):
            r.report(value, f.field(key), f"must be a mapping, got {describe(value)}")
    name = f.read("name", r.identifier)
    name_node = f.node("name")
    return None if name is None or name_node is None else (name, place_of(name_node,
                                                                          f.field("name")))


# -- indicators ---------------------------------------------------------------------------


def read_sli_spec(r: SpecReader, node: Node, path: str) -> Indicator | None:
    """An SLI ``spec``: a ``ratioMetric`` or a ``thresholdMetric`` measured by flowscope."""
    f = r.mapping(node, path, allowed=SLI_SPEC_KEYS)
    if f is None:
        return None
    f.read("description", r.text)
    if "ratioMetric" in f and "thresholdMetric" in f:
        r.report(f.key_node("thresholdMetric"), f.field("thresholdMetric"),
                 "give ratioMetric or thresholdMetric, not both")
        return None
    ratio = f.node("ratioMetric")
    if ratio is not None:
        return _ratio(r, ratio, f.field("ratioMetric"))
    threshold = f.node("thresholdMetric")
    if threshold is not None:
        flow = _source(r, threshold, f.field("thresholdMetric"), "metric", "flow_time",
                       "the time from a run's start to its success, the latency flowscope "
                       "measures", units=True)
        return None if flow is None else Indicator(flow[0], flow[1], "threshold", flow[2])
    r.report(node, path, "give ratioMetric (a success rate) or thresholdMetric (a latency)")
    return None


def _ratio(r: SpecReader, node: Node, path: str) -> Indicator | None:
    f = r.mapping(node, path, allowed=RATIO_KEYS)
    if f is None:
        return None
    before = len(r.problems)
    for key in ("raw", "rawType"):
        if key in f:
            r.report(f.key_node(key), f.field(key), "a precomputed ratio is not supported: "
                     "flowscope counts runs; give good (or bad) and total")
    counter = f.read("counter", r.boolean)
    if counter is False:
        r.report(f.node("counter") or node, f.field("counter"),
                 "must be true or left out: flowscope run counts only grow")
    if "good" in f and "bad" in f:
        r.report(f.key_node("bad"), f.field("bad"), "give good or bad, not both")
    elif "raw" not in f and "good" not in f and "bad" not in f:
        r.report(node, f.field("good"), "is required: give good (runs: success) or bad "
                 "(runs: failure), with total (runs: all)")
    if "raw" not in f and "total" not in f:
        r.report(node, f.field("total"), "is required: total (runs: all) counts every "
                 "determinate run")
    flows = []
    for role, (runs, counts) in RATIO_ROLES.items():
        value = f.node(role)
        if value is not None:
            flows.append(_source(r, value, f.field(role), "runs", runs, f"{role} counts {counts}"))
    named = [flow for flow in flows if flow is not None]
    for flow, place, _ in named[1:]:
        if flow != named[0][0]:
            report_at(r, place, f"must name the same flow as the other metric sources "
                                f"({named[0][0]!r}), got {flow!r}")
    if len(r.problems) > before or not named:
        return None
    return Indicator(named[0][0], named[0][1], "ratio")


def _source(r: SpecReader, node: Node, path: str, key: str, expected: str, meaning: str, *,
            units: bool = False) -> tuple[str, Place, str | None] | None:
    """``{metricSource: {type: flowscope, spec: {flow: F, <key>: <expected>}}}``, with an
    optional ``unit`` in the spec when ``units``: (flow, where it is written, unit)."""
    f = r.mapping(node, path, allowed=("metricSource",), required=("metricSource",))
    source = None if f is None else f.node("metricSource")
    if f is None or source is None:
        return None
    s = r.mapping(source, f.field("metricSource"), allowed=SOURCE_KEYS, required=("spec",))
    if s is None:
        return None
    if "metricSourceRef" in s:
        r.report(s.key_node("metricSourceRef"), s.field("metricSourceRef"),
                 f"DataSource references are not supported: give type: {FLOWSCOPE_SOURCE} and "
                 "spec")
    kind = s.read("type", r.text)
    if "type" not in s:
        r.report(source, s.field("type"), f"is required: type: {FLOWSCOPE_SOURCE}")
    elif kind is not None and kind != FLOWSCOPE_SOURCE:
        r.report(s.node("type") or source, s.field("type"), f"must be {FLOWSCOPE_SOURCE!r}: "
                 f"only SLIs flowscope measures from flow runs are imported, got {kind!r}")
    spec = s.node("spec")
    allowed = ("flow", key, "unit") if units else ("flow", key)
    sf = None if spec is None else r.mapping(spec, s.field("spec"), allowed=allowed,
                                             required=("flow", key))
    if sf is None:
        return None
    flow = sf.read("flow", r.identifier)
    value = sf.read(key, r.text)
    value_node = sf.node(key)
    if value is not None and value != expected and value_node is not None:
        r.report(value_node, sf.field(key), f"must be {expected!r} ({meaning}), got {value!r}")
    unit = sf.read("unit", lambda n, p: r.choice(n, p, UNITS))
    flow_node = sf.node("flow")
    if flow is None or flow_node is None or ("unit" in sf and unit is None):
        return None
    return flow, place_of(flow_node, sf.field("flow")), unit


# -- objectives ---------------------------------------------------------------------------


def read_objective(r: SpecReader, node: Node, path: str, indicator: Indicator | None,
                   budgeting: Budgeting | None, window: Window | None) -> Objective | None:
    """``spec.objectives``: exactly one objective, read for the SLI ``indicator`` and the
    ``budgeting`` method (``None`` when those are broken: their checks are skipped)."""
    entries = r.sequence(node, path)
    if entries is None:
        return None
    if not entries:
        r.report(node, path, "must hold one objective")
        return None
    for extra, extra_path in entries[1:]:
        r.report(extra, extra_path, "flowscope imports one objective per SLO; write one SLO "
                 "document per objective")
    item, item_path = entries[0]
    f = r.mapping(item, item_path, allowed=OBJECTIVE_KEYS)
    if f is None:
        return None
    before = len(r.problems)
    f.read("displayName", r.text)
    for key in ("indicator", "indicatorRef", "compositeWeight"):
        if key in f:
            r.report(f.key_node(key), f.field(key), "composite SLOs are not supported; give "
                     "the SLI in spec.indicator or spec.indicatorRef")
    target = _target(r, f, item)
    latency = _latency(r, f, item, indicator)
    timeslice, slice_target = _timeslices(r, f, item, budgeting, window)
    if len(r.problems) > before or target is None:
        return None
    return Objective(target, latency, timeslice, slice_target)


def _target(r: SpecReader, f: Fields, item: Node) -> Decimal | None:
    """``target`` (a fraction) or ``targetPercent``, as a percentage."""
    if "target" in f and "targetPercent" in f:
        r.report(f.key_node("targetPercent"), f.field("targetPercent"),
                 "give target or targetPercent, not both")
        return None
    if "targetPercent" in f:
        percent = f.read("targetPercent", r.number)
        if percent is not None and not 0 < percent < 100:
            r.report(f.node("targetPercent") or item, f.field("targetPercent"),
                     f"must be between 0 and 100 (exclusive), got {percent}")
            return None
        return percent
    fraction = f.read("target", r.number)
    if "target" not in f:
        r.report(item, f.field("target"), "is required: give target (e.g. 0.999) or "
                 "targetPercent (e.g. 99.9)")
    elif fraction is not None and not 0 < fraction < 1:
        r.report(f.node("target") or item, f.field("target"),
                 f"must be between 0 and 1 (exclusive), got {fraction}")
    elif fraction is not None:
        percent = fraction * 100
        return percent.quantize(Decimal(1)) if percent == percent.to_integral_value() else (
            percent.normalize())
    return None


def _latency(r: SpecReader, f: Fields, item: Node, indicator: Indicator | None
             ) -> LatencySpec | None:
    """``op: lte`` and ``value`` of a thresholdMetric (:mod:`catalog.openslo_threshold`);
    refused with a ratioMetric."""
    kind = indicator.kind if indicator is not None else None
    if kind == "ratio":
        for key in ("op", "value"):
            if key in f:
                r.report(f.key_node(key), f.field(key), "only applies to a thresholdMetric; a "
                         "ratioMetric SLO counts good runs among all runs")
        return None
    if indicator is None:
        return None
    op = f.read("op", lambda n, p: r.choice(n, p, OPS))
    if "op" not in f:
        r.report(item, f.field("op"), "is required with a thresholdMetric: op: lte")
    elif op is not None and op != "lte":
        r.report(f.node("op") or item, f.field("op"), "must be 'lte': a run is good when its "
                 f"flow time is at most value, got {op!r}")
    if "value" not in f:
        r.report(item, f.field("value"), "is required with a thresholdMetric: the latency "
                 "threshold with its unit, e.g. 500ms or 2m")
        return None
    threshold = f.read("value", lambda n, p: read_threshold(r, n, p, indicator.unit))
    return None if threshold is None else LatencySpec(threshold=threshold)


def _timeslices(r: SpecReader, f: Fields, item: Node, budgeting: Budgeting | None,
                window: Window | None) -> tuple[timedelta | None, Decimal | None]:
    """``timeSliceWindow`` and ``timeSliceTarget``, as the budgeting method requires."""
    if budgeting is None:
        return None, None
    slice_key, target_key = "timeSliceWindow", "timeSliceTarget"
    if budgeting != "timeslices" and target_key in f:
        r.report(f.key_node(target_key), f.field(target_key), "only applies to Timeslices "
                 "budgeting")
    if budgeting == "occurrences":
        if slice_key in f:
            r.report(f.key_node(slice_key), f.field(slice_key), "only applies to Timeslices "
                     "and RatioTimeslices budgeting")
        return None, None
    size = f.read(slice_key, lambda n, p: read_slice(r, n, p, window))
    if slice_key not in f:
        r.report(item, f.field(slice_key), "is required with Timeslices and RatioTimeslices "
                 "budgeting: the length of a slice, e.g. 5m")
    if budgeting == "ratio_timeslices":
        return size, None
    target = f.read(target_key, r.number)
    if target_key not in f:
        r.report(item, f.field(target_key), "is required with Timeslices budgeting: the "
                 "fraction of good runs that makes a slice good, e.g. 0.95")
    elif target is not None and not 0 < target <= 1:
        r.report(f.node(target_key) or item, f.field(target_key),
                 f"must be more than 0 and at most 1, got {target}")
        target = None
    return size, target


def report_at(r: SpecReader, place: Place, message: str) -> None:
    """Record a problem at ``place``."""
    r.problems.append(Problem(r.filename, place.line, place.column, place.field, message))
