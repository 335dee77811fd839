"""Figures of a flow's runs: dead-letter inflow and step load for on-call, the flow-time
histogram for the trace page. Pure: read-model values in, :class:`plotly.graph_objects.Figure`
out.

Durations are drawn in seconds on axes ticked in human units (:func:`dashboards.axes.
duration_axis`: ``0``, ``30 s``, ``1 min``, ...); counts are runs.
"""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboards import style
from dashboards.axes import duration_axis
from dashboards.figures import ERROR_COLOUR, EVENT_COLOUR, OK_COLOUR, WAIT_COLOUR, apply_layout
from dashboards.model import FlowHealthCard, FlowTimeBar, FlowTimeView
from dashboards.wording import duration

RETRY_COLOUR = style.WARN
THRESHOLD_COLOUR = style.THRESHOLD


def _runs_axis(most: int) -> dict[str, object]:
    """A y axis of runs: from zero, whole numbers when there are few."""
    return {"title": "runs", "rangemode": "tozero", **({"dtick": 1} if most < 5 else {})}


def dead_letter_figure(card: FlowHealthCard) -> go.Figure:
    """Runs first dead-lettered per bucket (one bar per bucket, drawn over its time span)."""
    bars = card.inflow
    fig = go.Figure([go.Bar(
        name="runs dead-lettered", x=[b.start for b in bars], y=[b.runs for b in bars],
        width=[(b.end - b.start).total_seconds() * 1000 for b in bars], offset=0,
        marker_color=ERROR_COLOUR, customdata=[f"{b.start:%H:%M}-{b.end:%H:%M}" for b in bars],
        hovertemplate="%{customdata} UTC<br>%{y} runs dead-lettered<extra></extra>")])
    fig.update_layout(height=280, bargap=0.1)
    return apply_layout(fig, f"{card.flow}: runs dead-lettered per hour, last 24 h",
                        yaxis=_runs_axis(max((b.runs for b in bars), default=0)))


def step_figure(card: FlowHealthCard) -> go.Figure:
    """Per step: the lag (how long the oldest waiting run has waited, left) and the runs
    retried, the extra attempts and the dead letters (right)."""
    steps = [s.step for s in card.steps]
    longest = max((s.lag_seconds or 0.0 for s in card.steps), default=0.0)
    waiting = any(s.lag_seconds is not None for s in card.steps)
    fig = make_subplots(rows=1, cols=2, subplot_titles=(
        "lag:<br>oldest waiting run" if waiting else "lag:<br>no run waits at any step",
        "retries and<br>dead letters (runs)"))
    fig.add_trace(go.Bar(
        name="lag", x=steps, marker_color=WAIT_COLOUR,
        y=[s.lag_seconds for s in card.steps],
        text=["none waiting" if s.lag_seconds is None else
              f"{duration(s.lag_seconds)} ({s.waiting} waiting)" for s in card.steps],
        textposition="auto"), row=1, col=1)
    for name, colour, values in (
            ("runs retried", RETRY_COLOUR, [s.retried_runs for s in card.steps]),
            ("extra attempts", OK_COLOUR, [s.retries for s in card.steps]),
            ("dead letters", ERROR_COLOUR, [s.dead_letters for s in card.steps])):
        fig.add_trace(go.Bar(name=name, x=steps, y=values, marker_color=colour), row=1, col=2)
    fig.update_yaxes(rangemode="tozero")
    if waiting:
        fig.update_yaxes(duration_axis(longest), row=1, col=1)
    if max((max(s.retried_runs, s.retries, s.dead_letters) for s in card.steps), default=0) < 5:
        fig.update_yaxes(dtick=1, row=1, col=2)
    fig.update_layout(barmode="group", height=340)
    apply_layout(fig, f"{card.flow}: steps over the last 24 h")
    # the subplot titles sit where the legend would: the legend goes below the plots
    fig.update_layout(legend={"y": -0.2, "yanchor": "top"}, margin={"b": 10, "t": 70})
    return fig


def _bars(name: str, bars: Sequence[FlowTimeBar], colour: str) -> go.Bar:
    return go.Bar(
        name=name, x=[(b.start_s + b.end_s) / 2 for b in bars],
        width=[b.end_s - b.start_s for b in bars], y=[b.runs for b in bars],
        marker_color=colour,
        customdata=[f"{duration(b.start_s)} or more" if b.overflow else
                    f"{duration(b.start_s)} to {duration(b.end_s)}" for b in bars],
        hovertemplate="%{customdata}<br>%{y} runs<extra></extra>")


def flow_time_figure(view: FlowTimeView) -> go.Figure:
    """The flow-time histogram: a bar per bucket (the overflow bar grey), this run as a
    vertical line when it has a flow time (at the overflow bar when it lies beyond), and each
    latency SLO's threshold as a dashed line."""
    regular = [b for b in view.bars if not b.overflow]
    overflow = [b for b in view.bars if b.overflow]
    longest = max([*(b.end_s for b in view.bars), *(t for _, t in view.thresholds),
                   view.run_seconds or 0.0])
    top = max((b.runs for b in view.bars), default=0) * 1.05 or 1.0
    traces = [_bars("runs", regular, OK_COLOUR)]
    if overflow:
        traces.append(_bars(f"{duration(overflow[0].start_s)} or more", overflow, WAIT_COLOUR))
    for name, seconds in view.thresholds:
        traces.append(go.Scatter(
            name=f"SLO {name}: {duration(seconds)}", x=[seconds] * 2, y=[0, top],
            mode="lines", line={"color": THRESHOLD_COLOUR, "dash": "dash", "width": 2}))
    if view.run_seconds is not None:
        at = view.run_seconds
        if overflow and at >= overflow[0].start_s:
            at = (overflow[0].start_s + overflow[0].end_s) / 2
        traces.append(go.Scatter(
            name=f"this run: {duration(view.run_seconds)}", x=[at] * 2, y=[0, top],
            mode="lines", line={"color": EVENT_COLOUR if view.outcome == "succeeded"
                                else ERROR_COLOUR, "width": 3}))
    fig = go.Figure(traces)
    fig.update_layout(bargap=0.05, height=340)
    days = round((view.end - view.start).total_seconds() / 86_400)
    return apply_layout(fig, f"{view.flow}: flow time of the runs that succeeded in the last "
                        f"{days} days", xaxis={"title": "flow time", **duration_axis(longest)},
                        yaxis=_runs_axis(max((b.runs for b in view.bars), default=0)))
