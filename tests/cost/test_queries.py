"""Usage queries on a real engine: runs, calls, CPU-seconds and interventions, hand-counted."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from catalog.model import Catalog
from cost.queries import flow_usage
from cost.reports import flow_cost, roi_report
from cost.usage import Activity, DailyUsage, DateRange
from tests.cost import scenario
from tests.cost.conftest import Recorder
from warehouse.port import Warehouse

FLOW = scenario.contract_flow()

EXPECTED = {
    scenario.DAY1: DailyUsage(
        day=scenario.DAY1, runs_started=3, successes=1, failures=2,
        activity=Activity(
            calls_by_step={"checkout": 4, "payment": 4, "erp-sync": 2},
            calls_by_partner={"stripe": 4, "netsuite": 2},
            cpu_seconds_by_step={"checkout": Decimal("2"), "payment": Decimal("2.5"),
                                 "erp-sync": Decimal("0.25")},
            invocations_by_step={"checkout": 1, "payment": 3, "erp-sync": 1},
            interventions=1),
        failed=Activity(
            calls_by_step={"checkout": 2, "payment": 3, "erp-sync": 1},
            calls_by_partner={"stripe": 3, "netsuite": 1},
            cpu_seconds_by_step={"payment": Decimal("1"), "erp-sync": Decimal("0.25")},
            invocations_by_step={"payment": 2, "erp-sync": 1},
            interventions=1)),
    scenario.DAY2: DailyUsage(
        day=scenario.DAY2, runs_started=1, successes=0, failures=0,
        activity=Activity(calls_by_step={"checkout": 1, "erp-sync": 1},
                          calls_by_partner={"netsuite": 1}, interventions=1),
        failed=Activity(calls_by_step={"erp-sync": 1}, calls_by_partner={"netsuite": 1},
                        interventions=1)),
}


def _plain(usage: DailyUsage) -> dict[str, object]:
    def activity(a: Activity) -> dict[str, object]:
        return {"calls_by_step": dict(a.calls_by_step),
                "calls_by_partner": dict(a.calls_by_partner),
                "cpu_seconds_by_step": {k: v for k, v in a.cpu_seconds_by_step.items() if v},
                "invocations_by_step": dict(a.invocations_by_step),
                "interventions": a.interventions}
    return {"day": usage.day, "runs_started": usage.runs_started,
            "successes": usage.successes, "failures": usage.failures,
            "activity": activity(usage.activity), "failed": activity(usage.failed)}


@pytest.fixture(scope="module")
def usage_wh(module_wh: Warehouse) -> Warehouse:
    scenario.record(Recorder(module_wh, FLOW.name))
    return module_wh


@pytest.mark.parametrize("day", [scenario.DAY1, scenario.DAY2],
                         ids=["the day with three runs is counted by hand",
                              "the replay day counts its replay and open run"])
def test_daily_usage_matches_the_hand_count(usage_wh: Warehouse, day: object) -> None:
    found = flow_usage(usage_wh, [FLOW], DateRange(scenario.DAY1, scenario.DAY2))[FLOW.name]
    by_day = {u.day: u for u in found.days}
    assert _plain(by_day[day]) == _plain(EXPECTED[day])  # type: ignore[index]


def test_usage_without_failed_activity_keeps_everything_else(usage_wh: Warehouse) -> None:
    found = flow_usage(usage_wh, [FLOW], DateRange(scenario.DAY1, scenario.DAY2),
                       failed=False)[FLOW.name]
    assert [_plain(u) for u in found.days] == [
        _plain(replace(EXPECTED[day], failed=Activity())) for day in (scenario.DAY1,
                                                                       scenario.DAY2)]
    assert (found.dead_letters, found.replays) == (1, 1)


def test_interventions_are_dead_letters_and_replays(usage_wh: Warehouse) -> None:
    found = flow_usage(usage_wh, [FLOW], DateRange(scenario.DAY1, scenario.DAY2))[FLOW.name]
    assert (found.dead_letters, found.replays) == (1, 1)


@pytest.mark.parametrize(("first", "last", "started"), [
    (scenario.DAY1, scenario.DAY1, 3),
    (scenario.DAY2, scenario.DAY2, 1),
], ids=["a range of the first day sees its three starts",
        "a range of the second day sees only its own start"])
def test_a_range_sees_only_its_days(usage_wh: Warehouse, first: object, last: object,
                                    started: int) -> None:
    found = flow_usage(usage_wh, [FLOW], DateRange(first, last))[FLOW.name]  # type: ignore[arg-type]
    assert [u.day for u in found.days] == [first]
    assert sum(u.runs_started for u in found.days) == started


def test_a_flow_without_data_has_no_usage(usage_wh: Warehouse) -> None:
    other = scenario.contract_flow("refund-to-ledger")
    found = flow_usage(usage_wh, [FLOW, other], DateRange(scenario.DAY1, scenario.DAY2))
    assert found[other.name].days == ()
    assert len(found[FLOW.name].days) == 2


def test_a_release_compares_equal_stretches_of_days(usage_wh: Warehouse) -> None:
    catalog = Catalog(flows=(FLOW,))
    report = roi_report(usage_wh, catalog, DateRange(scenario.DAY2, scenario.DAY2),
                        releases={FLOW.name: scenario.DAY2})
    comparison = report.flows[0].release
    assert comparison is not None and comparison.release == scenario.DAY2
    before, after = comparison.before, comparison.after
    # one day on each side: day 1 (1 success, 2 failures), day 2 (nothing ended)
    assert (before.first, before.days, before.successes, before.failures) == (
        scenario.DAY1, 1, 1, 2)
    assert (after.first, after.days, after.successes, after.failures) == (
        scenario.DAY2, 1, 0, 0)
    assert before.success_rate == Decimal("0.333333333333333333")
    assert after.success_rate is None
    # same licence day and one intervention each; day 1 adds 4 stripe calls (1.20), 2 erp-sync
    # calls (0.004) and 4.75 CPU-seconds (0.0002375); day 2 one erp-sync call (0.002)
    assert before.cost - after.cost == Decimal("1.2022375")
    both = flow_cost(usage_wh, catalog, FLOW, DateRange(scenario.DAY1, scenario.DAY2))
    assert before.cost + after.cost == both.breakdown.total
    assert before.cost_per_success == before.cost
    # reading further back for the release leaves the window and the return unchanged
    plain = roi_report(usage_wh, catalog, DateRange(scenario.DAY2, scenario.DAY2)).flows[0]
    assert (report.flows[0].cost, report.flows[0].series) == (plain.cost, plain.series)


def test_a_release_after_the_last_day_is_refused(usage_wh: Warehouse) -> None:
    with pytest.raises(ValueError, match="after the last day"):
        roi_report(usage_wh, Catalog(flows=(FLOW,)), DateRange(scenario.DAY1, scenario.DAY1),
                   releases={FLOW.name: scenario.DAY2})


def test_a_flow_without_a_release_has_no_comparison(usage_wh: Warehouse) -> None:
    report = roi_report(usage_wh, Catalog(flows=(FLOW,)),
                        DateRange(scenario.DAY1, scenario.DAY2), releases={"other": scenario.DAY2})
    assert report.flows[0].release is None
