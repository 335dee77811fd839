"""On-call health and the trace page's flow-time histogram: views, figures and sentences from
values worked out by hand, no browser and no engine."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from catalog.model import LatencySpec, SLOSpec
from dashboards.figures import ERROR_COLOUR, EVENT_COLOUR
from dashboards.model import FlowHealthCard, FlowTimeBar, FlowTimeView, InflowBar, StepLoad
from dashboards.run_figures import (
    dead_letter_figure,
    flow_time_figure,
    step_figure,
)
from dashboards.run_views import flow_time_view, health_card
from dashboards.wording import dead_letter_sentence, flow_time_sentence
from slo.flow_time_histogram import FlowTimeHistogram, RunFlowTime
from slo.health_query import DeadLetterBucket, FlowHealth, StepHealth
from slo.histogram import Buckets
from tests.slo.conftest import catalog_flow

END = datetime(2026, 3, 10, 12, tzinfo=UTC)
DAY, H = timedelta(days=1), timedelta(hours=1)
S = 1_000_000_000

CARD = FlowHealthCard(
    "order-to-cash", END - DAY, END, runs=40, dead_letter_inflow=3,
    inflow=(InflowBar(END - 2 * H, END - H, 1), InflowBar(END - H, END, 2)),
    oldest_dead_letter_seconds=11_550.0,
    steps=(StepLoad("checkout", 0, None, 0, 0, 0), StepLoad("payment", 2, 300.0, 4, 6, 0),
           StepLoad("erp-sync", 1, 90.0, 0, 0, 3)))
VIEW = FlowTimeView(
    "order-to-cash", "A-1042", END - 30 * DAY, END, runs=20,
    bars=(FlowTimeBar(0, 5, 4), FlowTimeBar(5, 10, 14), FlowTimeBar(10, 15, 1),
          FlowTimeBar(15, 20, 1, overflow=True)),
    outcome="succeeded", run_seconds=7.0, slower_than=0.2,
    thresholds=(("posted-in-2m", 120.0),))


@pytest.mark.parametrize(("card", "expected"), [
    (CARD, "3 runs dead-lettered in the last 24 h; oldest dead letter waiting 3 h 12 min"),
    (replace(CARD, dead_letter_inflow=1), "1 run dead-lettered in the last 24 h; oldest dead "
                                          "letter waiting 3 h 12 min"),
    (replace(CARD, dead_letter_inflow=0, oldest_dead_letter_seconds=None),
     "no run dead-lettered in the last 24 h; no dead letter waiting"),
], ids=["several dead letters and one waiting", "one dead letter", "nothing dead-lettered"])
def test_dead_letters_in_words(card: FlowHealthCard, expected: str) -> None:
    assert dead_letter_sentence(card) == expected


def test_the_inflow_bars_span_their_hours() -> None:
    (bars,) = dead_letter_figure(CARD).data
    assert list(bars.y) == [1, 2] and list(bars.x) == [END - 2 * H, END - H]
    assert list(bars.width) == [3_600_000, 3_600_000] and bars.offset == 0


def test_the_step_figure_draws_lag_on_a_human_axis_and_counts_per_step() -> None:
    fig = step_figure(CARD)
    lag, retried, extra, dead = fig.data
    assert list(lag.x) == ["checkout", "payment", "erp-sync"]
    assert list(lag.y) == [None, 300.0, 90.0]  # seconds, ticked every minute up to 6 min
    assert list(fig.layout.yaxis.ticktext) == ["0", "1 min", "2 min", "3 min", "4 min", "5 min",
                                               "6 min"]
    assert list(lag.text) == ["none waiting", "5 min (2 waiting)", "1 min 30 s (1 waiting)"]
    assert [retried.name, extra.name, dead.name] == ["runs retried", "extra attempts",
                                                     "dead letters"]
    assert (list(retried.y), list(extra.y), list(dead.y)) == ([0, 4, 0], [0, 6, 0], [0, 0, 3])
    assert fig.layout.annotations[0].text == "lag:<br>oldest waiting run"


def test_the_step_figure_says_when_no_run_waits() -> None:
    idle = replace(CARD, steps=tuple(replace(s, waiting=0, lag_seconds=None)
                                     for s in CARD.steps))
    fig = step_figure(idle)
    assert list(fig.data[0].y) == [None, None, None]
    assert fig.layout.annotations[0].text == "lag:<br>no run waits at any step"


def test_the_histogram_marks_the_run_and_the_slo_threshold() -> None:
    fig = flow_time_figure(VIEW)
    bars, overflow, threshold, run = fig.data
    # seconds on the axis; the threshold (120 s) is the longest line drawn: ticks every 30 s
    assert list(bars.x) == pytest.approx([2.5, 7.5, 12.5])
    assert list(bars.width) == pytest.approx([5] * 3) and list(bars.y) == [4, 14, 1]
    assert overflow.name == "15 s or more" and list(overflow.y) == [1]
    assert threshold.name == "SLO posted-in-2m: 2 min" and list(threshold.x) == [120, 120]
    assert run.name == "this run: 7 s" and list(run.x) == pytest.approx([7] * 2)
    assert run.line.color == EVENT_COLOUR
    assert list(run.y) == pytest.approx([0, 14 * 1.05])
    assert fig.layout.xaxis.title.text == "flow time"
    assert list(fig.layout.xaxis.ticktext) == ["0", "30 s", "1 min", "1 min 30 s", "2 min",
                                               "2 min 30 s"]


def test_a_run_beyond_the_last_bucket_is_marked_on_the_overflow_bar() -> None:
    fig = flow_time_figure(replace(VIEW, run_seconds=500.0, thresholds=()))
    run = fig.data[-1]
    assert run.name == "this run: 8 min 20 s"
    assert list(run.x) == pytest.approx([17.5] * 2)  # drawn on the overflow bar


@pytest.mark.parametrize("outcome", ["failed", "in flight", "unknown"])
def test_a_run_without_a_flow_time_has_no_marker(outcome: str) -> None:
    fig = flow_time_figure(replace(VIEW, outcome=outcome, run_seconds=None, slower_than=None))
    assert [t.name for t in fig.data] == ["runs", "15 s or more", "SLO posted-in-2m: 2 min"]
    assert all(t.line.color != ERROR_COLOUR for t in fig.data[2:])


@pytest.mark.parametrize(("view", "expected"), [
    (VIEW, "this run took 7 s, slower than 20 % of the 20 runs that succeeded in the last "
           "30 days"),
    (replace(VIEW, slower_than=0.999, run_seconds=72.0),
     "this run took 1 min 12 s, slower than 99 % of the 20 runs that succeeded in the last "
     "30 days"),
    (replace(VIEW, outcome="failed", run_seconds=None, slower_than=None),
     "this run counts as failed (it failed or was dead-lettered before any success; a later "
     "replay does not undo that), so it has no flow time to mark; the histogram shows the 20 "
     "runs that "
     "succeeded in the last 30 days"),
    (replace(VIEW, outcome="in flight", run_seconds=None, slower_than=None),
     "this run has not succeeded or failed yet, so it has no flow time to mark; the "
     "histogram shows the 20 runs that succeeded in the last 30 days"),
    (replace(VIEW, run_seconds=None, slower_than=None),
     "this run succeeded, but its start is unknown, so it has no flow time to mark; the "
     "histogram shows the 20 runs that succeeded in the last 30 days"),
    (replace(VIEW, outcome="unknown", run_seconds=None, slower_than=None, runs=1, bars=()),
     "this id is not among the runs of order-to-cash yet, so it has no flow time to mark; "
     "the histogram shows the 1 run that succeeded in the last 30 days"),
    (replace(VIEW, runs=0, bars=(), slower_than=None),
     "this run took 7 s; no run of order-to-cash succeeded in the last 30 days"),
], ids=["a succeeded run and its rank", "the rank is rounded down",
        "a failed run", "a run in flight", "a success without a start",
        "an id the flow does not know", "a run older than every success in the range"])
def test_flow_time_in_words(view: FlowTimeView, expected: str) -> None:
    assert flow_time_sentence(view) == expected


def test_the_health_card_keeps_the_steps_and_the_inflow() -> None:
    health = FlowHealth(
        "f", END - DAY, END, runs=5, succeeded=2, failed=2, in_flight=1, first_pass_yield=0.2,
        exceptions_per_1000_runs=400.0, dead_letter_inflow=1,
        oldest_dead_letter_age_seconds=5400.0,
        steps=(StepHealth("pay", 4, 3, 1, 60.0, 1, 2, 0, 6, 2),))
    card = health_card(health, (DeadLetterBucket(END - H, END, 1),))
    assert card == FlowHealthCard("f", END - DAY, END, 5, 1, (InflowBar(END - H, END, 1),),
                                  5400.0, (StepLoad("pay", 1, 60.0, 1, 2, 0),))


def test_the_flow_time_view_in_seconds_with_an_overflow_bar() -> None:
    flow = catalog_flow("order-to-cash", slos=(
        SLOSpec("success-rate", Decimal("99"), 30 * DAY),
        SLOSpec("posted-in-2m", Decimal("90"), 30 * DAY,
                latency=LatencySpec(timedelta(minutes=2))),
    ))
    found = FlowTimeHistogram("order-to-cash", END - 30 * DAY, END, 10, Buckets(5 * S, 5 * S, 2),
                              (3, 5), 2, RunFlowTime("A-1042", "succeeded", 12 * S), 3)
    view = flow_time_view(flow, found, "A-1042")
    assert view.bars == (FlowTimeBar(5, 10, 3), FlowTimeBar(10, 15, 5),
                         FlowTimeBar(15, 20, 2, overflow=True))
    assert (view.outcome, view.run_seconds, view.slower_than) == ("succeeded", 12.0, 0.3)
    assert view.thresholds == (("posted-in-2m", 120.0),)
    assert (view.runs, view.start, view.end) == (10, END - 30 * DAY, END)
