"""OpenSLO v1 import: flowscope-measured SLOs map onto catalog flows; anything else is refused
with its file, line and field, never silently dropped."""

from __future__ import annotations

import textwrap
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from catalog.check import check_file
from catalog.errors import CatalogFileError, CatalogSyntaxError, CatalogValidationError, Problem
from catalog.model import Catalog, LatencySpec, SLOSpec
from catalog.openslo import import_openslo, is_openslo, load_openslo, parse_openslo
from catalog.spec import parse_catalog

CATALOG = parse_catalog(textwrap.dedent("""\
    apiVersion: flowscope/v1
    flows:
      - name: order-to-cash
        correlation_key: order.id
        start: {event: OrderPlaced}
        success: {event: InvoicePosted}
        slos:
          - {name: success-rate, objective: 99.9, period: 30d}
      - name: lead-to-demo
        correlation_key: lead.id
        start: {event: LeadCreated}
        success: {event: DemoBooked}
      - name: no-outcome
        correlation_key: ticket.id
    """), filename="catalog.yaml")
FILE = "slos.yaml"


def source(flow: str = "order-to-cash", key: str = "runs", value: str = "success") -> str:
    """A one-line flowscope metricSource."""
    return f"{{metricSource: {{type: flowscope, spec: {{flow: {flow}, {key}: {value}}}}}}}"


RATIO = f"ratioMetric: {{good: {source()}, total: {source(value='all')}}}"
THRESHOLD = f"thresholdMetric: {source(key='metric', value='flow_time')}"
ROLLING = "{duration: 30d, isRolling: true}"
LATENCY = "{op: lte, value: 2m, target: 0.995}"
THRESHOLD_IN = "thresholdMetric: {{metricSource: {{type: flowscope, spec: {{flow: order-to-cash, " \
    "metric: flow_time, unit: {unit}}}}}}}"


def slo_document(*, budgeting: str = "Occurrences", window: str = ROLLING,
                 objective: str = "{target: 0.999}", metric: str = RATIO, extra: str = "",
                 name: str = "checkout") -> str:
    """An SLO document with a fixed layout: budgetingMethod on line 6, the time window on line
    8, the objective on line 10, the inline SLI's metric on line 13, ``extra`` spec keys from
    line 14."""
    return (
        "apiVersion: openslo/v1\n"
        "kind: SLO\n"
        "metadata:\n"
        f"  name: {name}\n"
        "spec:\n"
        f"  budgetingMethod: {budgeting}\n"
        "  timeWindow:\n"
        f"    - {window}\n"
        "  objectives:\n"
        f"    - {objective}\n"
        "  indicator:\n"
        "    spec:\n"
        f"      {metric}\n"
        f"{extra}"
    )


SLI_DOCUMENT = f"""\
apiVersion: openslo/v1
kind: SLI
metadata: {{name: flow-time}}
spec:
  {THRESHOLD}
"""
REF_SLO = slo_document(name="fast", objective=LATENCY, metric="").replace(
    "  indicator:\n    spec:\n      \n", "  indicatorRef: flow-time\n")


def imported(text: str) -> SLOSpec:
    """The SLO the text adds to order-to-cash (after its own success-rate SLO)."""
    catalog = import_openslo(text, filename=FILE, catalog=CATALOG)
    flow = catalog.flow("order-to-cash")
    assert flow is not None
    assert flow.slos[0] == CATALOG.flows[0].slos[0]
    (slo,) = flow.slos[1:]
    return slo


def spec(**changes: object) -> SLOSpec:
    """The SLOSpec of the default document, with ``changes``."""
    values: dict[str, object] = {"name": "checkout", "objective": Decimal("99.9"),
                                 "period": timedelta(days=30)}
    values.update(changes)
    return SLOSpec(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(slo_document(), spec(),
                     id="a rolling good/total ratio with target 0.999 is a 99.9 success rate"),
        pytest.param(slo_document(metric=f"ratioMetric: {{counter: true, bad: "
                                         f"{source(value='failure')}, total: "
                                         f"{source(value='all')}}}"),
                     spec(), id="bad/total of failed runs is the same success rate"),
        pytest.param(slo_document(objective="{targetPercent: 99.5}"),
                     spec(objective=Decimal("99.5")), id="targetPercent is kept as written"),
        pytest.param(slo_document(objective="{target: 0.99}"), spec(objective=Decimal("99")),
                     id="target 0.99 is an objective of exactly 99"),
        pytest.param(slo_document(metric=THRESHOLD, objective=LATENCY),
                     spec(objective=Decimal("99.5"),
                          latency=LatencySpec(threshold=timedelta(minutes=2))),
                     id="a threshold metric with op lte and value 2m is a 2m latency SLO"),
        pytest.param(slo_document(metric=THRESHOLD, objective="{op: lte, value: 500ms, "
                                                             "target: 0.9}"),
                     spec(objective=Decimal("90"),
                          latency=LatencySpec(threshold=timedelta(milliseconds=500))),
                     id="a threshold value in milliseconds says so"),
        pytest.param(slo_document(metric=THRESHOLD_IN.format(unit="s"),
                                  objective="{op: lte, value: 0.25, target: 0.9}"),
                     spec(objective=Decimal("90"),
                          latency=LatencySpec(threshold=timedelta(milliseconds=250))),
                     id="a bare value is read in the unit its metric source declares"),
        pytest.param(slo_document(metric=THRESHOLD_IN.format(unit="ms"),
                                  objective="{op: lte, value: 500, target: 0.9}"),
                     spec(objective=Decimal("90"),
                          latency=LatencySpec(threshold=timedelta(milliseconds=500))),
                     id="an upstream value 500 meant as milliseconds, declared so"),
        pytest.param(slo_document(window="{duration: 4w, isRolling: true}"),
                     spec(period=timedelta(weeks=4)), id="a rolling window in weeks"),
        pytest.param(slo_document(window="{duration: 1M, calendar: {startTime: 2026-01-01 "
                                         "00:00:00, timeZone: Europe/Berlin}}"),
                     spec(period=None, calendar="month", timezone="Europe/Berlin"),
                     id="a calendar month in a time zone"),
        pytest.param(slo_document(window="{duration: 1Q, isRolling: false, calendar: "
                                         "{startTime: '2025-07-01T00:00:00', timeZone: UTC}}"),
                     spec(period=None, calendar="quarter", timezone="UTC"),
                     id="a calendar quarter starting in July with isRolling false"),
        pytest.param(slo_document(window="{duration: 1w, calendar: {startTime: 2026-01-05, "
                                         "timeZone: America/New_York}}"),
                     spec(period=None, calendar="week", timezone="America/New_York"),
                     id="a calendar week starting on a Monday"),
        pytest.param(slo_document(window="{duration: 1Y, calendar: {startTime: 2024-01-01 "
                                         "00:00:00, timeZone: Asia/Tokyo}}"),
                     spec(period=None, calendar="year", timezone="Asia/Tokyo"),
                     id="a calendar year"),
        pytest.param(slo_document(budgeting="Timeslices", objective="{target: 0.999, "
                                  "timeSliceWindow: 5m, timeSliceTarget: 0.95}"),
                     spec(budgeting="timeslices", timeslice=timedelta(minutes=5),
                          timeslice_target=Decimal("0.95")),
                     id="Timeslices budgeting keeps the slice and its target"),
        pytest.param(slo_document(budgeting="RatioTimeslices", objective="{target: 0.999, "
                                  "timeSliceWindow: 10}"),
                     spec(budgeting="ratio_timeslices", timeslice=timedelta(minutes=10)),
                     id="RatioTimeslices with a slice given as a number of minutes"),
        pytest.param(slo_document(budgeting="Occurrences"), spec(budgeting="occurrences"),
                     id="Occurrences budgeting is the default"),
        pytest.param(SLI_DOCUMENT + "---\n" + REF_SLO,
                     spec(name="fast", objective=Decimal("99.5"),
                          latency=LatencySpec(threshold=timedelta(minutes=2))),
                     id="an SLI by reference to a kind SLI document before it"),
        pytest.param(REF_SLO + "---\n" + SLI_DOCUMENT,
                     spec(name="fast", objective=Decimal("99.5"),
                          latency=LatencySpec(threshold=timedelta(minutes=2))),
                     id="an SLI by reference to a kind SLI document after it"),
        pytest.param(slo_document(extra="  alertPolicies:\n"), spec(),
                     id="an empty alertPolicies, as the spec's examples write it, is accepted"),
        pytest.param("---\n" + slo_document(extra="  description: Checkout must work\n"
                                                  "  service: shop\n  alertPolicies: []\n")
                     .replace("  name: checkout\n", "  name: checkout\n  displayName: Checkout"
                              "\n  labels: {team: [payments]}\n  annotations: {a.io/b: c}\n")
                     + "---\n",
                     spec(), id="descriptive fields and empty documents change nothing"),
    ],
)
def test_a_valid_document_maps_to_the_expected_slo(text: str, expected: SLOSpec) -> None:
    assert imported(text) == expected


def test_slos_are_added_to_their_flows_in_file_order_and_the_input_is_untouched() -> None:
    text = (slo_document(name="a") + "---\n"
            + slo_document(name="b", metric=RATIO.replace("order-to-cash", "lead-to-demo"))
            + "---\n" + slo_document(name="c"))
    catalog = import_openslo(text, filename=FILE, catalog=CATALOG)
    assert [[s.name for s in f.slos] for f in catalog.flows] == [
        ["success-rate", "a", "c"], ["b"], []]
    assert [len(f.slos) for f in CATALOG.flows] == [1, 0, 0]
    assert catalog.redaction == CATALOG.redaction


def test_load_openslo_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / FILE
    path.write_text(slo_document())
    catalog = load_openslo(path, CATALOG)
    flow = catalog.flow("order-to-cash")
    assert flow is not None and flow.slos[-1] == spec()
    with pytest.raises(CatalogFileError, match="cannot read"):
        load_openslo(tmp_path / "absent.yaml", CATALOG)


RATIO_WITH = "ratioMetric: {{good: {good}, total: {total}}}"


@pytest.mark.parametrize(
    ("text", "line", "field", "fragment"),
    [
        pytest.param(slo_document().replace("openslo/v1", "openslo/v1alpha"), 1, "apiVersion",
                     "unsupported version 'openslo/v1alpha'; supported versions: openslo/v1",
                     id="another OpenSLO version is refused"),
        pytest.param(slo_document() + "---\napiVersion: openslo/v1\nkind: Service\n"
                     "metadata: {name: shop}\nspec: {}\n", 16, "kind",
                     "kind Service is not imported", id="a Service document is refused"),
        pytest.param("apiVersion: openslo/v1\nkind: AlertPolicy\nmetadata: {name: p}\nspec: {}\n",
                     2, "kind", "window catalog", id="an AlertPolicy document is refused"),
        pytest.param(slo_document(extra="  alertPolicies: [fast-burn]\n"), 14,
                     "spec.alertPolicies", "alert policies are not imported",
                     id="alert policies on an SLO are refused"),
        pytest.param(slo_document(metric=RATIO.replace("type: flowscope", "type: Datadog", 1)),
                     13, "spec.indicator.spec.ratioMetric.good.metricSource.type",
                     "must be 'flowscope'", id="a Datadog metric source is refused"),
        pytest.param(slo_document(metric=RATIO.replace("type: flowscope", "metricSourceRef: ds,"
                                                       " type: flowscope", 1)),
                     13, "spec.indicator.spec.ratioMetric.good.metricSource.metricSourceRef",
                     "DataSource references are not supported",
                     id="a metricSourceRef is refused"),
        pytest.param(slo_document(metric=RATIO.replace("{good:", "{rawType: success, good:")),
                     13, "spec.indicator.spec.ratioMetric.rawType",
                     "a precomputed ratio is not supported", id="a raw ratio is refused"),
        pytest.param(slo_document(metric=RATIO.replace("{good:", "{counter: false, good:")),
                     13, "spec.indicator.spec.ratioMetric.counter", "must be true or left out",
                     id="counter false is refused"),
        pytest.param(slo_document(metric=RATIO_WITH.format(good=source(value="all"),
                                                           total=source(value="all"))),
                     13, "spec.indicator.spec.ratioMetric.good.metricSource.spec.runs",
                     "must be 'success' (good counts the runs that succeeded), got 'all'",
                     id="good counting every run is refused"),
        pytest.param(slo_document(metric=RATIO_WITH.format(good=source(),
                                                           total=source("lead-to-demo", "runs",
                                                                        "all"))),
                     13, "spec.indicator.spec.ratioMetric.total.metricSource.spec.flow",
                     "must name the same flow as the other metric sources ('order-to-cash')",
                     id="good and total of different flows are refused"),
        pytest.param(slo_document(metric=f"ratioMetric: {{good: {source()}}}"), 13,
                     "spec.indicator.spec.ratioMetric.total", "is required",
                     id="a ratio without total is refused"),
        pytest.param(slo_document(metric=f"{RATIO}\n      {THRESHOLD}"), 14,
                     "spec.indicator.spec.thresholdMetric", "give ratioMetric or thresholdMetric",
                     id="both metrics at once are refused"),
        pytest.param(slo_document(metric=THRESHOLD.replace("flow_time", "step_time"),
                                  objective=LATENCY), 13,
                     "spec.indicator.spec.thresholdMetric.metricSource.spec.metric",
                     "must be 'flow_time'", id="an unknown threshold metric is refused"),
        pytest.param(slo_document(metric=THRESHOLD, objective="{op: lt, value: 2m, "
                                                             "target: 0.99}"),
                     10, "spec.objectives[0].op", "must be 'lte'",
                     id="a threshold with op lt is refused"),
        pytest.param(slo_document(metric=THRESHOLD, objective="{op: lte, target: 0.99}"),
                     10, "spec.objectives[0].value", "is required with a thresholdMetric",
                     id="a threshold without value is refused"),
        pytest.param(slo_document(metric=THRESHOLD_IN.format(unit="s"),
                                  objective="{op: lte, value: 0.0005, target: 0.99}"),
                     10, "spec.objectives[0].value", "whole number of milliseconds",
                     id="a threshold finer than a millisecond is refused"),
        pytest.param(slo_document(metric=THRESHOLD, objective="{op: lte, value: 500, "
                                                             "target: 0.99}"),
                     10, "spec.objectives[0].value",
                     "500 has no unit: it could be read as 500 seconds or as 500 milliseconds; "
                     "write the unit (value: 500ms or value: 500s) or declare it in the metric "
                     "source (spec: {flow: ..., metric: flow_time, unit: ms})",
                     id="a bare number without a declared unit is refused with both readings"),
        pytest.param(slo_document(metric=THRESHOLD, objective="{op: lte, value: 2 minutes, "
                                                             "target: 0.99}"),
                     10, "spec.objectives[0].value", 'must be a duration like "30d"',
                     id="a value that is no duration is refused"),
        pytest.param(slo_document(metric=THRESHOLD_IN.format(unit="ns"), objective=LATENCY),
                     13, "spec.indicator.spec.thresholdMetric.metricSource.spec.unit",
                     "must be one of ms, s, m, h, got 'ns'", id="an unknown unit is refused"),
        pytest.param(slo_document(metric=THRESHOLD, objective="{op: lte, value: 0, "
                                                             "target: 0.99}"),
                     10, "spec.objectives[0].value", "must be more than 0",
                     id="a threshold of zero is refused"),
        pytest.param(slo_document(objective="{op: lte, target: 0.99}"), 10,
                     "spec.objectives[0].op", "only applies to a thresholdMetric",
                     id="op on a ratio SLO is refused"),
        pytest.param(slo_document(objective="{target: 0.999, targetPercent: 99.9}"), 10,
                     "spec.objectives[0].targetPercent", "give target or targetPercent, not both",
                     id="target and targetPercent together are refused"),
        pytest.param(slo_document(objective="{displayName: x}"), 10, "spec.objectives[0].target",
                     "is required: give target", id="an objective without a target is refused"),
        pytest.param(slo_document(objective="{target: 99.9}"), 10, "spec.objectives[0].target",
                     "must be between 0 and 1 (exclusive), got 99.9",
                     id="a percentage written as target is refused"),
        pytest.param(slo_document(objective="{targetPercent: 100}"), 10,
                     "spec.objectives[0].targetPercent", "between 0 and 100 (exclusive)",
                     id="a targetPercent of 100 is refused"),
        pytest.param(slo_document(objective="{target: 0.99}\n    - {target: 0.9}"), 11,
                     "spec.objectives[1]", "one objective per SLO",
                     id="a second objective is refused"),
        pytest.param(slo_document(objective="{target: 0.99, compositeWeight: 2}"), 10,
                     "spec.objectives[0].compositeWeight", "composite SLOs are not supported",
                     id="a composite objective is refused"),
        pytest.param(slo_document(budgeting="Timeslices", objective="{target: 0.99, "
                                  "timeSliceWindow: 5m}"),
                     10, "spec.objectives[0].timeSliceTarget", "is required with Timeslices",
                     id="Timeslices without timeSliceTarget is refused"),
        pytest.param(slo_document(budgeting="RatioTimeslices", objective="{target: 0.99}"),
                     10, "spec.objectives[0].timeSliceWindow", "is required",
                     id="RatioTimeslices without timeSliceWindow is refused"),
        pytest.param(slo_document(budgeting="RatioTimeslices", objective="{target: 0.99, "
                                  "timeSliceWindow: 5m, timeSliceTarget: 0.9}"),
                     10, "spec.objectives[0].timeSliceTarget", "only applies to Timeslices",
                     id="timeSliceTarget with RatioTimeslices is refused"),
        pytest.param(slo_document(objective="{target: 0.99, timeSliceWindow: 5m}"), 10,
                     "spec.objectives[0].timeSliceWindow", "only applies to Timeslices and",
                     id="a timeslice with Occurrences budgeting is refused"),
        pytest.param(slo_document(budgeting="Timeslices", objective="{target: 0.99, "
                                  "timeSliceWindow: 7m, timeSliceTarget: 0.9}"),
                     10, "spec.objectives[0].timeSliceWindow",
                     "must cut the 30d period into whole slices, got 7m",
                     id="a slice that does not divide the period is refused"),
        pytest.param(slo_document(budgeting="Timeslices", objective="{target: 0.99, "
                                  "timeSliceWindow: 5m, timeSliceTarget: 0}"),
                     10, "spec.objectives[0].timeSliceTarget", "more than 0 and at most 1",
                     id="a timeSliceTarget of 0 is refused"),
        pytest.param(slo_document(budgeting="Errors"), 6, "spec.budgetingMethod",
                     "must be one of Occurrences, Timeslices, RatioTimeslices, got 'Errors'",
                     id="an unknown budgeting method is refused"),
        pytest.param(slo_document(window="{duration: 1M, isRolling: true}"), 8,
                     "spec.timeWindow[0].duration", "a rolling window must be in m, h, d or w",
                     id="a rolling month is refused"),
        pytest.param(slo_document(window="{duration: 30d}"), 8, "spec.timeWindow[0].isRolling",
                     "must be true for a window without calendar",
                     id="a window neither rolling nor calendar is refused"),
        pytest.param(slo_document(window="{duration: 30days, isRolling: true}"), 8,
                     "spec.timeWindow[0].duration", "must be an OpenSLO duration like",
                     id="a malformed duration is refused"),
        pytest.param(slo_document(window="{duration: 2M, calendar: {startTime: 2026-01-01, "
                                         "timeZone: UTC}}"),
                     8, "spec.timeWindow[0].duration", "must be 1w, 1M, 1Q or 1Y",
                     id="a two-month calendar window is refused"),
        pytest.param(slo_document(window="{duration: 1M, calendar: {startTime: 2020-01-21 "
                                         "12:30:00, timeZone: UTC}}"),
                     8, "spec.timeWindow[0].calendar.startTime",
                     "must begin a calendar month: the 1st of a month at 00:00",
                     id="a calendar start in mid-month is refused"),
        pytest.param(slo_document(window="{duration: 1M, calendar: {startTime: 2026-01-01 "
                                         "00:00:00, timeZone: Europe/Berln}}"),
                     8, "spec.timeWindow[0].calendar.timeZone", "did you mean 'Europe/Berlin'?",
                     id="an unknown time zone is refused"),
        pytest.param(slo_document(window="{duration: 1M, calendar: {startTime: 2026-01-01}}"),
                     8, "spec.timeWindow[0].calendar.timeZone", "is required",
                     id="a calendar window without time zone is refused"),
        pytest.param(slo_document(window=f"{ROLLING}\n    - {ROLLING}"), 8, "spec.timeWindow",
                     "must hold exactly one time window, got 2",
                     id="two time windows are refused"),
        pytest.param(slo_document().replace("  timeWindow:\n    - " + ROLLING + "\n", ""), 6,
                     "spec.timeWindow", "is required: flowscope needs the SLO's period",
                     id="an SLO without time window is refused"),
        pytest.param(REF_SLO, 11, "spec.indicatorRef",
                     "no kind: SLI document named 'flow-time' in this file (it has none)",
                     id="a reference to a missing SLI is refused"),
        pytest.param(SLI_DOCUMENT + "---\n" + SLI_DOCUMENT + "---\n" + REF_SLO, 9,
                     "metadata.name", "duplicate SLI name 'flow-time' (first defined on line 3)",
                     id="two SLIs with one name are refused"),
        pytest.param(slo_document().replace("name: checkout", "name: Checkout"), 4,
                     "metadata.name", "must be lowercase letters",
                     id="a name that is not a flowscope identifier is refused"),
        pytest.param(slo_document(extra="  owner: payments\n"), 14, "spec.owner",
                     "unknown key 'owner'", id="an unknown spec key is refused"),
    ],
)
def test_an_unsupported_or_invalid_part_is_refused_with_its_place(
        text: str, line: int, field: str, fragment: str) -> None:
    with pytest.raises(CatalogValidationError) as caught:
        import_openslo(text, filename=FILE, catalog=CATALOG)
    problems = caught.value.problems
    assert [(p.file, p.line, p.field) for p in problems] == [(FILE, line, field)], problems
    assert fragment in problems[0].message


@pytest.mark.parametrize(
    ("text", "line", "field", "fragment"),
    [
        pytest.param(slo_document(metric=RATIO.replace("order-to-cash", "order-to-kash")), 13,
                     "spec.indicator.spec.ratioMetric.good.metricSource.spec.flow",
                     "unknown flow 'order-to-kash'; flows in the catalog: order-to-cash, "
                     "lead-to-demo, no-outcome", id="an unknown flow is refused"),
        pytest.param(slo_document(metric=RATIO.replace("order-to-cash", "no-outcome")), 13,
                     "spec.indicator.spec.ratioMetric.good.metricSource.spec.flow",
                     "flow 'no-outcome' needs both start and success",
                     id="a flow that cannot count runs is refused"),
        pytest.param(slo_document(name="success-rate"), 4, "metadata.name",
                     "flow 'order-to-cash' already has an SLO named 'success-rate'",
                     id="a name the flow already uses is refused"),
        pytest.param(slo_document() + "---\n" + slo_document(), 18, "metadata.name",
                     "already has an SLO named 'checkout'",
                     id="two SLOs with one name for one flow are refused"),
    ],
)
def test_an_slo_that_does_not_fit_the_catalog_is_refused(text: str, line: int, field: str,
                                                         fragment: str) -> None:
    parse_openslo(text, filename=FILE)  # valid on its own
    with pytest.raises(CatalogValidationError) as caught:
        import_openslo(text, filename=FILE, catalog=CATALOG)
    (problem,) = caught.value.problems
    assert (problem.file, problem.line, problem.field) == (FILE, line, field)
    assert fragment in problem.message


def test_every_problem_of_a_file_is_reported_at_once_in_file_order() -> None:
    text = (slo_document(budgeting="Errors") + "---\n"
            + slo_document(name="other", window="{duration: 1M, isRolling: true}"))
    with pytest.raises(CatalogValidationError) as caught:
        import_openslo(text, filename=FILE, catalog=CATALOG)
    assert [(p.line, p.field) for p in caught.value.problems] == [
        (6, "spec.budgetingMethod"), (22, "spec.timeWindow[0].duration")]


def test_problems_against_the_catalog_come_in_the_same_pass_as_the_others() -> None:
    text = (slo_document(metric=THRESHOLD, objective="{op: lte, value: 500, target: 0.99}")
            + "---\n" + slo_document(name="checkout", budgeting="Errors",
                                     metric=RATIO.replace("order-to-cash", "order-to-kash")))
    with pytest.raises(CatalogValidationError) as caught:
        import_openslo(text, filename=FILE, catalog=CATALOG)
    assert [(p.line, p.field.rsplit(".", 1)[-1]) for p in caught.value.problems] == [
        (10, "value"), (20, "budgetingMethod"), (27, "flow")]
    assert "500 has no unit" in caught.value.problems[0].message
    assert "unknown flow 'order-to-kash'" in caught.value.problems[2].message


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        pytest.param("", Problem(FILE, 1, 1, "", "no OpenSLO document; expected "
                                 "'apiVersion: openslo/v1' documents of kind SLO"),
                     id="an empty file is refused"),
        pytest.param("- 1\n", Problem(FILE, 1, 1, "", "must be a mapping, got a list"),
                     id="a document that is not a mapping is refused"),
    ],
)
def test_a_file_without_slos_is_refused(text: str, problem: Problem) -> None:
    with pytest.raises(CatalogValidationError) as caught:
        parse_openslo(text, filename=FILE)
    assert caught.value.problems == (problem,)


def test_unparsable_yaml_is_a_syntax_error_at_its_position() -> None:
    with pytest.raises(CatalogSyntaxError) as caught:
        parse_openslo(slo_document() + "---\nspec: [\n", filename=FILE)
    (problem,) = caught.value.problems
    assert (problem.file, problem.line) == (FILE, 16)
    assert problem.message.startswith("invalid YAML")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(slo_document(), True, id="an openslo/v1 document is recognised"),
        pytest.param("# x\n---\napiVersion: 'openslo/v1alpha'\n", True,
                     id="any OpenSLO version is recognised, to be refused precisely"),
        pytest.param("apiVersion: flowscope/v1\n# apiVersion: openslo/v1\n", False,
                     id="a flowscope catalog is not OpenSLO"),
    ],
)
def test_openslo_files_are_recognised(text: str, expected: bool) -> None:
    assert is_openslo(text) is expected


def test_check_lists_the_slos_of_a_valid_openslo_file(tmp_path: Path) -> None:
    path = tmp_path / FILE
    path.write_text(SLI_DOCUMENT + "---\n" + REF_SLO + "---\n" + slo_document(
        budgeting="Timeslices", objective="{target: 0.999, timeSliceWindow: 5m, "
        "timeSliceTarget: 0.95}", window="{duration: 1M, calendar: {startTime: 2026-01-01, "
        "timeZone: Europe/Berlin}}"))
    report = check_file(path)
    assert report.ok and (report.flows, report.slos) == (1, 2)
    assert report.render().splitlines() == [
        f"OK {path}: OpenSLO v1, 2 SLOs for 1 flow (flows not checked: no catalog given)",
        "  order-to-cash/fast: 99.5% of runs within 2m over 30d rolling, occurrences",
        "  order-to-cash/checkout: 99.9% over each calendar month in Europe/Berlin, timeslices "
        "of 5m at 0.95",
    ]
    checked = check_file(path, CATALOG)
    assert checked.ok and checked.render().splitlines()[0] == (
        f"OK {path}: OpenSLO v1, 2 SLOs for 1 flow")
    assert checked.to_dict()["format"] == "openslo/v1"
    assert checked.to_dict()["flow_names"] == ["order-to-cash"]


def test_check_reports_the_problems_of_an_openslo_file(tmp_path: Path) -> None:
    path = tmp_path / FILE
    path.write_text(slo_document(metric=RATIO.replace("order-to-cash", "order-to-kash")))
    assert check_file(path).ok  # the flow can only be checked against a catalog
    report = check_file(path, CATALOG)
    assert not report.ok and report.imported is None
    lines = report.render().splitlines()
    assert lines[0] == f"INVALID {path}: 1 problem"
    assert lines[1].startswith(f"{path}:13:")
    assert "spec.indicator.spec.ratioMetric.good.metricSource.spec.flow: unknown flow" in lines[1]


def test_the_default_catalog_type_is_kept_for_flowscope_files() -> None:
    report = check_file(Path(__file__).resolve().parents[2] / "examples" / "catalog.yaml")
    assert report.ok and report.imported is None
    assert report.to_dict()["format"] == "flowscope/v1"
    assert isinstance(CATALOG, Catalog)
