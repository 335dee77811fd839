"""Multi-window, multi-burn-rate tiers: SRE workbook factors, thresholds and firing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from slo.burn import WindowCatalog, WindowTier, evaluate_tiers, tier_warnings
from slo.objective import exact_error_budget
from slo.sli import Counts
from slo.window_loader import load_window_catalog
from tests.slo.strategies import counts, objectives

H = timedelta(hours=1)
M = timedelta(minutes=1)
D = timedelta(days=1)

PAGE_1H = WindowTier("page", long_window=H, short_window=5 * M, budget_share=Decimal("0.02"))
PAGE_6H = WindowTier("page", long_window=6 * H, short_window=30 * M, budget_share=Decimal("0.05"))
TICKET_1D = WindowTier("ticket", long_window=D, short_window=2 * H, budget_share=Decimal("0.1"))
TICKET_3D = WindowTier("ticket", long_window=3 * D, short_window=6 * H,
                       budget_share=Decimal("0.1"))
TIERS = (PAGE_1H, PAGE_6H, TICKET_1D, TICKET_3D)
GOOGLE_30D = WindowCatalog(name="google-30d", period=30 * D, tiers=TIERS)


@pytest.mark.parametrize(
    ("tier", "period", "factor"),
    [
        pytest.param(PAGE_1H, 30 * D, 14.4, id="30d: 2 percent over 1h is 14.4"),
        pytest.param(PAGE_6H, 30 * D, 6.0, id="30d: 5 percent over 6h is 6"),
        pytest.param(TICKET_1D, 30 * D, 3.0, id="30d: 10 percent over 1d is 3"),
        pytest.param(TICKET_3D, 30 * D, 1.0, id="30d: 10 percent over 3d is 1"),
        pytest.param(PAGE_1H, 28 * D, 13.44, id="28d: 2 percent over 1h is 13.44"),
        pytest.param(PAGE_6H, 28 * D, 5.6, id="28d: 5 percent over 6h is 5.6"),
        pytest.param(TICKET_1D, 28 * D, 2.8, id="28d: 10 percent over 1d is 2.8"),
        pytest.param(TICKET_3D, 28 * D, 28 / 30, id="28d: 10 percent over 3d is 0.9333"),
    ],
)
def test_factors_match_the_sre_workbook(tier: WindowTier, period: timedelta, factor: float
                                        ) -> None:
    assert tier.factor(period) == pytest.approx(factor)


@pytest.mark.parametrize(
    ("name", "factors"),
    [
        pytest.param("google-30d", (14.4, 6.0, 3.0, 1.0), id="the built-in 30-day catalog"),
        pytest.param("google-28d", (13.44, 5.6, 2.8, 0.9333333), id="the built-in 28-day catalog"),
    ],
)
def test_built_in_catalogs_give_the_workbook_factors(name: str, factors: tuple[float, ...]
                                                     ) -> None:
    catalog = load_window_catalog(name)
    assert tuple(t.factor(catalog.period) for t in catalog.tiers) == pytest.approx(factors)
    assert [t.severity for t in catalog.tiers] == ["page", "page", "ticket", "ticket"]


@pytest.mark.parametrize(
    ("tier", "objective", "threshold"),
    [
        pytest.param(PAGE_1H, 0.999, 0.0144,
                     id="14.4 at 99.9 percent is an error ratio of 1.44 pc"),
        pytest.param(PAGE_6H, 0.999, 0.006, id="6 at 99.9 percent is 0.6 pc"),
        pytest.param(TICKET_3D, 0.99, 0.01, id="1 at 99 percent is the budget itself"),
        pytest.param(PAGE_1H, 0.95, 0.72, id="14.4 at 95 percent is 72 pc"),
    ],
)
def test_a_threshold_is_the_factor_times_the_budget(tier: WindowTier, objective: float,
                                                    threshold: float) -> None:
    assert tier.threshold(30 * D, objective) == pytest.approx(threshold)


def window_counts(long: tuple[int, int], short: tuple[int, int], tier: WindowTier
                  ) -> dict[timedelta, Counts]:
    """Counts as (bad, valid) for the tier's long and short windows."""
    return {tier.long_window: Counts(long[1] - long[0], long[1]),
            tier.short_window: Counts(short[1] - short[0], short[1])}


@pytest.mark.parametrize(
    ("long", "short", "firing"),
    [
        pytest.param((20, 1000), (20, 1000), True, id="both windows above 1.44 pc fire"),
        pytest.param((20, 1000), (1, 1000), False,
                     id="a long window at 2 pc with a short window at 0.1 pc does not fire"),
        pytest.param((1, 1000), (20, 1000), False,
                     id="a short spike alone does not fire"),
        pytest.param((144, 10_000), (144, 10_000), False,
                     id="an error ratio exactly at the threshold does not fire"),
        pytest.param((145, 10_000), (145, 10_000), True,
                     id="one bad event over the threshold fires"),
        pytest.param((20, 1000), (0, 0), False, id="a short window without events does not fire"),
        pytest.param((0, 0), (5, 5), False, id="a long window without events does not fire"),
    ],
)
def test_the_fast_page_tier_fires_only_when_both_windows_exceed(
        long: tuple[int, int], short: tuple[int, int], firing: bool) -> None:
    catalog = WindowCatalog(name="fast", period=30 * D, tiers=(PAGE_1H,))
    result = evaluate_tiers(catalog, objective=0.999,
                            window_counts=window_counts(long, short, PAGE_1H))
    (tier,) = result.results
    assert tier.firing is firing
    assert tier.factor == pytest.approx(14.4)
    assert tier.threshold == pytest.approx(0.0144)
    assert result.warnings == ()


def test_a_result_reports_ratios_and_burn_rates_per_window() -> None:
    catalog = WindowCatalog(name="fast", period=30 * D, tiers=(PAGE_1H,))
    result = evaluate_tiers(catalog, objective=0.999,
                            window_counts=window_counts((20, 1000), (1, 1000), PAGE_1H))
    (tier,) = result.results
    assert tier.long_error_ratio == pytest.approx(0.02)
    assert tier.short_error_ratio == pytest.approx(0.001)
    assert tier.long_burn_rate == pytest.approx(20.0)
    assert tier.short_burn_rate == pytest.approx(1.0)
    assert tier.can_fire


def test_the_highest_firing_severity_wins() -> None:
    # 0.5 % errors everywhere: burn 5 at 99.9 - the 1d (3) and 3d (1) tickets fire, pages don't.
    steady = {w: Counts(995, 1000) for w in GOOGLE_30D.windows()}
    result = evaluate_tiers(GOOGLE_30D, objective=0.999, window_counts=steady)
    assert [r.firing for r in result.results] == [False, False, True, True]
    assert result.severity == "ticket"
    # 2 % errors: burn 20 - every tier fires and the page wins.
    burning = {w: Counts(980, 1000) for w in GOOGLE_30D.windows()}
    assert evaluate_tiers(GOOGLE_30D, objective=0.999, window_counts=burning).severity == "page"
    quiet = {w: Counts(1000, 1000) for w in GOOGLE_30D.windows()}
    assert evaluate_tiers(GOOGLE_30D, objective=0.999, window_counts=quiet).severity is None


def test_the_windows_to_count_are_listed_shortest_first() -> None:
    assert GOOGLE_30D.windows() == (5 * M, 30 * M, H, 2 * H, 6 * H, D, 3 * D)


def test_a_missing_window_is_a_warning_and_cannot_fire() -> None:
    counts_ = {w: Counts(0, 1000) for w in GOOGLE_30D.windows() if w != 5 * M}
    result = evaluate_tiers(GOOGLE_30D, objective=0.999, window_counts=counts_)
    assert not result.results[0].firing
    assert result.results[0].short_error_ratio is None
    assert result.warnings == ("no counts for window(s) 5m; tiers using them cannot fire",)


@pytest.mark.parametrize(
    ("objective", "never_firing"),
    [
        pytest.param(0.999, [], id="at 99.9 percent every google tier can fire"),
        pytest.param(0.95, [], id="at 95 percent 14.4 still fits (threshold 0.72)"),
        pytest.param(0.9, ["page-1h-5m"], id="at 90 percent the 14.4 tier can never fire"),
        pytest.param(0.8, ["page-1h-5m", "page-6h-30m"],
                     id="at 80 percent the 14.4 and 6 tiers can never fire"),
    ],
)
def test_a_tier_that_can_never_fire_is_warned_about(objective: float, never_firing: list[str]
                                                    ) -> None:
    warnings = tier_warnings(GOOGLE_30D, objective)
    assert [w.split()[1] for w in warnings] == never_firing
    result = evaluate_tiers(GOOGLE_30D, objective=objective,
                            window_counts={w: Counts(0, 10) for w in GOOGLE_30D.windows()})
    assert result.warnings == warnings
    assert [r.tier.key for r in result.results if not r.can_fire] == never_firing
    assert all(not r.firing for r in result.results if not r.can_fire)


def test_the_never_fire_warning_explains_itself() -> None:
    (warning,) = tier_warnings(GOOGLE_30D, 0.9)
    assert warning == (
        "tier page-1h-5m of window catalog 'google-30d' can never fire for objective 90 %: its "
        "factor 14.4 is not below 1 / (1 - objective) = 10, so its threshold 1.44 is at least 1 "
        "and no error ratio can exceed it")


def test_a_threshold_of_exactly_one_can_never_fire() -> None:
    # factor 10 (10 percent over 3 days of 300 days) at 90 percent: threshold exactly 1.
    tier = WindowTier("ticket", long_window=3 * D, short_window=6 * H,
                      budget_share=Decimal("0.1"))
    catalog = WindowCatalog(name="long", period=300 * D, tiers=(tier,))
    result = evaluate_tiers(catalog, objective=0.9,
                            window_counts={3 * D: Counts(0, 5), 6 * H: Counts(0, 5)})
    assert result.results[0].threshold == pytest.approx(1.0)
    assert not result.results[0].firing
    assert len(result.warnings) == 1


def test_factors_scale_to_the_slo_period_when_given() -> None:
    result = evaluate_tiers(GOOGLE_30D, objective=0.999, period=31 * D,
                            window_counts={w: Counts(1, 1) for w in GOOGLE_30D.windows()})
    assert result.results[0].factor == pytest.approx(0.02 * 31 * 24)
    assert result.period == 31 * D


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        pytest.param({"severity": "critical"}, "severity", id="an unknown severity"),
        pytest.param({"short_window": H}, "shorter than", id="a short window as long as the long"),
        pytest.param({"budget_share": Decimal(0)}, "budget_share", id="a zero share"),
        pytest.param({"budget_share": Decimal(2)}, "budget_share", id="a share above one"),
        pytest.param({"long_window": -H}, "positive", id="a negative window"),
    ],
)
def test_an_impossible_tier_cannot_be_built(kwargs: dict[str, object], fragment: str) -> None:
    fields: dict[str, object] = {"severity": "page", "long_window": H, "short_window": 5 * M,
                                 "budget_share": Decimal("0.02")}
    fields.update(kwargs)
    with pytest.raises(ValueError, match=fragment):
        WindowTier(**fields)  # type: ignore[arg-type]


@given(objectives, counts(), counts(), st.sampled_from(TIERS), st.sampled_from([28, 30]))
def test_a_tier_fires_iff_both_windows_exceed_its_threshold(
        objective: float, long: Counts, short: Counts, tier: WindowTier, days: int) -> None:
    catalog = WindowCatalog(name="one", period=days * D, tiers=(tier,))
    result = evaluate_tiers(catalog, objective=objective,
                            window_counts={tier.long_window: long, tier.short_window: short})
    threshold = (Fraction(tier.budget_share) * Fraction(days * 24 * 3600)
                 / Fraction(int(tier.long_window.total_seconds())) * exact_error_budget(objective))

    def exceeds(c: Counts) -> bool:
        return c.valid > 0 and Fraction(c.bad, c.valid) > threshold

    assert result.results[0].firing is (exceeds(long) and exceeds(short))


@given(objectives, counts(min_valid=1), st.integers(0, 1000), st.sampled_from(TIERS))
def test_more_bad_events_never_stop_a_tier_firing(objective: float, window: Counts,
                                                  extra_bad: int, tier: WindowTier) -> None:
    catalog = WindowCatalog(name="one", period=30 * D, tiers=(tier,))
    worse = Counts(window.good, window.valid + extra_bad)
    before = evaluate_tiers(catalog, objective=objective,
                            window_counts={tier.long_window: window, tier.short_window: window})
    after = evaluate_tiers(catalog, objective=objective,
                           window_counts={tier.long_window: worse, tier.short_window: worse})
    assert after.results[0].firing or not before.results[0].firing
