"""Rollups add up like the SQL merges them (pure)."""

from __future__ import annotations

from slo.rollup import NEVER_NS, Rollup, from_row, merge_all


def test_counts_add_arrays_add_element_wise_and_maps_by_key() -> None:
    a = Rollup(entered=2, valid=(3, 1), flow_time_hist={5: 1}, step_waiting_since=(10, NEVER_NS))
    b = Rollup(entered=1, valid=(1,), flow_time_hist={5: 2, 6: 1}, step_waiting_since=(20, 7, 9))
    both = a.merge(b)
    assert both.entered == 3
    assert both.valid == (4, 1)
    assert dict(both.flow_time_hist) == {5: 3, 6: 1}
    assert both.step_waiting_since == (10, 7, 9)


def test_merging_nothing_is_empty() -> None:
    assert merge_all([]) == Rollup()


def test_bad_runs_are_read_by_mode_and_step() -> None:
    rollup = Rollup(bad_steps={0 * 65536 + 2: 3, 1 * 65536 + 0: 1, 1 * 65536 + 2: 4})
    assert rollup.bad_by_step(0) == {2: 3}
    assert rollup.bad_by_step(1) == {0: 1, 2: 4}


def test_a_row_becomes_a_rollup_of_the_columns_named() -> None:
    rollup = from_row(["Entered", "Valid", "FlowTimeHist"], [5, [2, 1], {3: 1}])
    assert (rollup.entered, rollup.valid, dict(rollup.flow_time_hist)) == (5, (2, 1), {3: 1})
    assert rollup.good_in(0) == 0 and rollup.valid_in(1) == 1 and rollup.valid_in(7) == 0
