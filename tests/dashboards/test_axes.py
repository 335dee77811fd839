"""Duration axes: ticks at round human steps, labelled in human units."""

from __future__ import annotations

import pytest

from dashboards.axes import duration_axis, tick_step


@pytest.mark.parametrize(("longest", "step"), [
    pytest.param(0.5, 0.1, id="half a second ticks every 100 ms"),
    pytest.param(10, 2, id="ten seconds every 2 s"),
    pytest.param(2_490, 600, id="41 min 30 s every 10 min"),
    pytest.param(5 * 3_600, 3_600, id="five hours every hour"),
    pytest.param(40 * 86_400, 7 * 86_400, id="forty days every week"),
    pytest.param(400 * 86_400, 90 * 86_400, id="past the steps, whole months of 30 days"),
])
def test_the_step_is_the_smallest_round_one_that_fits(longest: float, step: float) -> None:
    assert tick_step(longest) == step


def test_a_waterfall_axis_in_milliseconds_reads_in_minutes() -> None:
    axis = duration_axis(2_489.593, per_second=1000)
    assert axis["ticktext"] == ["0", "10 min", "20 min", "30 min", "40 min", "50 min"]
    assert axis["tickvals"] == [0, 600_000, 1_200_000, 1_800_000, 2_400_000, 3_000_000]


def test_an_empty_range_still_has_a_zero_tick() -> None:
    assert duration_axis(0)["ticktext"] == ["0", "1 ms"]
