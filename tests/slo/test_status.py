"""Assembling an SLO's status from counts: budget, windows, tiers, exhaustion (numbers by hand)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from catalog.model import LatencySpec, SLOSpec
from slo.periods import rolling_period
from slo.sli import Counts
from slo.status import EXHAUSTION_WINDOW, FlowStatus, SLOStatus, alert_windows, slo_status
from slo.window_loader import load_window_catalog

AT = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
M, H, D = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)
GOOGLE = load_window_catalog("google-30d")
SPEC = SLOSpec("success-rate", Decimal("99.9"), 30 * D)

# valid runs and bad runs per window, chosen so that exactly the 1h/5m page tier and the 3d/6h
# ticket tier fire at 99.9 % (thresholds 0.0144, 0.006, 0.003, 0.001).
WINDOWS = {5 * M: (100, 2), 30 * M: (500, 10), H: (1000, 20), 2 * H: (2000, 20),
           6 * H: (6000, 30), D: (24000, 40), 3 * D: (72000, 80)}


def counts(valid: int, bad: int) -> Counts:
    return Counts(valid - bad, valid)


def status(window_counts: dict[timedelta, Counts] | None = None, period: Counts | None = None,
           spec: SLOSpec = SPEC, slices: list[Counts] | None = None) -> SLOStatus:
    chosen = window_counts if window_counts is not None else {
        w: counts(*vb) for w, vb in WINDOWS.items()}
    return slo_status("order-to-cash", spec, at=AT, period=rolling_period(AT, 30 * D),
                      counts=period if period is not None else counts(100_000, 50),
                      window_counts=chosen, window_catalog=GOOGLE, slices=slices)


def test_budget_remaining_is_one_minus_error_ratio_over_budget() -> None:
    result = status()
    assert result.sli == pytest.approx(0.9995)
    assert result.error_ratio == pytest.approx(0.0005)
    assert result.budget_remaining == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("window", "error_ratio", "burn"),
    [
        pytest.param(5 * M, 0.02, 20.0, id="5m burns at 20"),
        pytest.param(H, 0.02, 20.0, id="1h burns at 20"),
        pytest.param(6 * H, 0.005, 5.0, id="6h burns at 5"),
        pytest.param(3 * D, 80 / 72000, 80 / 72000 / 0.001, id="3d burns at 1.11"),
    ],
)
def test_windows_carry_error_ratio_and_burn_rate(window: timedelta, error_ratio: float,
                                                 burn: float) -> None:
    result = status().window(window)
    assert result is not None
    assert result.error_ratio == pytest.approx(error_ratio)
    assert result.burn_rate == pytest.approx(burn)


def test_tiers_fire_when_both_windows_exceed_their_threshold() -> None:
    result = status()
    assert result.tiers is not None
    fired = [(r.tier.long_window, r.tier.short_window, r.firing) for r in result.tiers.results]
    assert fired == [(H, 5 * M, True), (6 * H, 30 * M, False), (D, 2 * H, False),
                     (3 * D, 6 * H, True)]
    assert [r.factor for r in result.tiers.results] == pytest.approx([14.4, 6, 3, 1])
    assert result.severity == "page"


def test_exhaustion_is_remaining_budget_times_period_over_the_hour_burn() -> None:
    assert status().exhaustion == timedelta(hours=18)  # 0.5 x 30 d / 20


@pytest.mark.parametrize(
    ("window_counts", "period", "expected"),
    [
        pytest.param({}, counts(1000, 0), None, id="no run in the last hour gives no exhaustion"),
        pytest.param({H: counts(100, 0)}, counts(1000, 0), None,
                     id="no burn in the last hour gives no exhaustion"),
        pytest.param({H: counts(100, 0)}, counts(1000, 5), timedelta(0),
                     id="an overspent budget is exhausted now"),
        pytest.param({}, Counts(0, 0), None, id="an empty period gives no exhaustion"),
    ],
)
def test_exhaustion_edges(window_counts: dict[timedelta, Counts], period: Counts,
                          expected: timedelta | None) -> None:
    assert status(window_counts, period).exhaustion == expected


def test_an_overspent_budget_is_negative_not_clamped() -> None:
    assert status(period=counts(1000, 3)).budget_remaining == pytest.approx(-2.0)


def test_windows_include_the_exhaustion_window_and_default_to_empty() -> None:
    result = status({})
    assert [w.window for w in result.windows] == list(alert_windows(GOOGLE))
    assert EXHAUSTION_WINDOW in alert_windows(None)
    assert all(w.counts == Counts(0, 0) and w.error_ratio is None for w in result.windows)
    assert result.tiers is not None and result.tiers.firing == ()


def test_timeslices_budget_counts_good_slices() -> None:
    spec = SLOSpec("slices", Decimal("75"), 30 * D, budgeting="timeslices",
                   timeslice=5 * M, timeslice_target=Decimal("0.9"))
    slices = [counts(10, 0), counts(10, 2), Counts(0, 0), counts(10, 1)]
    result = status(spec=spec, slices=slices)
    assert result.slices is not None
    assert (result.slices.good_slices, result.slices.slices_with_data) == (2, 3)
    assert result.sli == pytest.approx(2 / 3)
    assert result.budget_remaining == pytest.approx(1 - (1 / 3) / 0.25)


def test_ratio_timeslices_average_slice_ratios() -> None:
    spec = SLOSpec("ratio", Decimal("90"), 30 * D, budgeting="ratio_timeslices",
                   timeslice=5 * M)
    result = status(spec=spec, slices=[counts(10, 0), counts(2, 1), Counts(0, 0)])
    assert result.sli == pytest.approx(0.75)


def test_a_latency_slo_reports_its_warnings_and_the_flow_its_worst_severity() -> None:
    spec = SLOSpec("fast", Decimal("90"), 30 * D, latency=LatencySpec(2 * M))
    result = status(spec=spec)
    assert any("can never fire" in w for w in result.warnings)
    flow = FlowStatus("order-to-cash", AT, (result, status()))
    assert flow.severity == "page"
