"""Plotly figure builders. Pure: read-model values in, :class:`plotly.graph_objects.Figure` out.

Burn rates are multiples of the budget rate (1 = spending the budget exactly over the period);
budgets are fractions of the period's error budget; waterfall times are milliseconds since the
first item of the run, on an axis ticked in human units (:mod:`dashboards.axes`). Hover texts
use the pages' number rules (:mod:`dashboards.wording`); colours come from
:mod:`dashboards.style`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import plotly.graph_objects as go

from dashboards import style
from dashboards.axes import duration_axis
from dashboards.model import BudgetPoint, FlowCard, TierBurn
from dashboards.wording import duration, money, percent
from warehouse.correlations import Timeline, TimelineItem

OK_COLOUR = style.GOOD
ERROR_COLOUR = style.BAD
EVENT_COLOUR = style.NEUTRAL
WAIT_COLOUR = style.QUIET
MIN_BAR_MS = 1.0
"""Spans shorter than this are drawn this long so they stay visible."""


def apply_layout(fig: go.Figure, title: str, **axes: object) -> go.Figure:
    """The pages' common look on ``fig`` (white template, the pages' font, small margins that
    grow to fit long labels, legend in a row above the plot), its ``title`` (the pages show it
    as a caption, :func:`dashboards.layouts.graph`) and any axis settings; returns ``fig``."""
    fig.update_layout(title={"text": title, "font": {"size": style.FIGURE_FONT_SIZE * 1.2}},
                      template="plotly_white",
                      font={"family": style.FONT, "size": style.FIGURE_FONT_SIZE},
                      margin={"l": 10, "r": 10, "t": 40, "b": 10},
                      legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0},
                      **axes)
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    return fig


def attainment_figure(cards: Sequence[FlowCard]) -> go.Figure:
    """One bar per SLO (``flow / slo``): its SLI in percent, with the objective as a marker."""
    names, slis, objectives, colours, texts = [], [], [], [], []
    for card in cards:
        for slo in card.slos:
            names.append(f"{card.flow}<br>{slo.name}")
            slis.append(None if slo.sli is None else slo.sli * 100)
            objectives.append(slo.objective * 100)
            met = slo.sli is not None and slo.sli >= slo.objective
            colours.append(OK_COLOUR if met else ERROR_COLOUR)
            texts.append(f"{'✓' if met else '✗'} {percent(slo.sli, (slo.objective,))} against "
                         f"{percent(slo.objective, exact=True)}")
    fig = go.Figure([
        go.Bar(name="SLO attainment", x=names, y=slis, marker_color=colours, customdata=texts,
               hovertemplate="%{x}<br>%{customdata}<extra></extra>"),
        go.Scatter(name="objective", x=names, y=objectives, mode="markers",
                   marker={"symbol": "line-ew-open", "size": 40, "color": EVENT_COLOUR,
                           "line": {"width": 3}}, hoverinfo="skip"),
    ])
    low = min([*[s for s in slis if s is not None], *objectives], default=90.0)
    return apply_layout(fig, "SLO attainment against objective (%)",
                        yaxis={"range": [max(0.0, low - 2), 100.5]})


def budget_figure(cards: Sequence[FlowCard]) -> go.Figure:
    """One bar per SLO: the error budget remaining, in percent (negative when overspent)."""
    names = [f"{c.flow}<br>{s.name}" for c in cards for s in c.slos]
    values = [None if s.budget_remaining is None else s.budget_remaining * 100
              for c in cards for s in c.slos]
    colours = [ERROR_COLOUR if v is not None and v < 0 else OK_COLOUR for v in values]
    texts = [percent(s.budget_remaining) for c in cards for s in c.slos]
    fig = go.Figure([go.Bar(name="budget remaining", x=names, y=values, marker_color=colours,
                            customdata=texts,
                            hovertemplate="%{x}<br>%{customdata} left<extra></extra>")])
    return apply_layout(fig, "Error budget remaining (%)")


PARTNER_COLOURS = style.SERIES
"""Colours of the partner groups, in order of first appearance."""


def partner_budget_figure(cards: Sequence[FlowCard]) -> go.Figure:
    """One horizontal bar per SLO (``flow / slo``) stacked by partner group: the percent of the
    SLO's error budget each consumed (:mod:`slo.attribution`), with 100 % (all of it) drawn."""
    rows = [f"{c.flow}<br>{p.slo}" for c in cards for p in c.partners]
    names = list(dict.fromkeys(rows))
    groups = list(dict.fromkeys(p.partner for c in cards for p in c.partners))
    traces = []
    for i, group in enumerate(groups):
        found = [(f"{c.flow}<br>{p.slo}", p) for c in cards for p in c.partners
                 if p.partner == group]
        traces.append(go.Bar(
            name=group, orientation="h", y=[name for name, _ in found],
            x=[None if p.consumed is None else p.consumed * 100 for _, p in found],
            customdata=[[p.bad, ", ".join(p.steps) or "no step reached", percent(p.consumed)]
                        for _, p in found],
            hovertemplate=(f"{group}<br>%{{customdata[2]}} of the budget<br>%{{customdata[0]}} "
                           "bad runs at %{customdata[1]}<extra></extra>"),
            marker_color=PARTNER_COLOURS[i % len(PARTNER_COLOURS)]))
    fig = go.Figure(traces)
    fig.add_vline(x=100, line_dash="dash", line_color=ERROR_COLOUR)
    fig.update_yaxes(categoryorder="array", categoryarray=names, autorange="reversed")
    fig.update_layout(barmode="stack", height=max(260, 120 + 40 * len(names)),
                      showlegend=True)  # name the partner even when there is only one
    return apply_layout(fig, "Error budget used, by partner (% of each SLO's budget)",
                        xaxis={"title": "% of the budget (100 = all of it)"})


def release_figure(cards: Sequence[FlowCard]) -> go.Figure:
    """Per flow with a release: success rate (percent) before and after it, as grouped bars;
    the cost per success of each side in the hover text."""
    shown = [c for c in cards if c.release is not None]
    names = [f"{c.flow} {c.release.version}" for c in shown if c.release is not None]
    traces = []
    for side, colour in (("before", WAIT_COLOUR), ("after", OK_COLOUR)):
        summaries = [getattr(c.release.comparison, side) for c in shown
                     if c.release is not None]
        traces.append(go.Bar(
            name=f"{side} the release", x=names, marker_color=colour,
            y=[None if s.success_rate is None else float(s.success_rate) * 100
               for s in summaries],
            customdata=[[f"{s.days} days", money(s.cost_per_success, c.currency, unit=True),
                          percent(s.success_rate)]
                         for c, s in zip(shown, summaries, strict=True)],
            hovertemplate=(f"{side}: %{{customdata[2]}} succeeded over %{{customdata[0]}}<br>"
                           "cost per success %{customdata[1]}<extra></extra>")))
    fig = go.Figure(traces)
    fig.update_layout(barmode="group")
    low = min([float(s.success_rate) * 100 for c in shown if c.release is not None
               for s in (c.release.comparison.before, c.release.comparison.after)
               if s.success_rate is not None], default=90.0)
    return apply_layout(fig, "Success rate before and after the latest release (%)",
                        yaxis={"range": [max(0.0, low - 2), 100.5]})


def burn_rate_figure(tiers: Sequence[TierBurn]) -> go.Figure:
    """Per tier, one row: the long- and short-window burn rates as horizontal bars and the
    tier's threshold (its factor) as a tick; a tier fires when both bars pass the tick. The
    burn-rate axis is logarithmic, so thresholds of 1 and 14.4 stay readable beside a burn of
    300 (a burn of 0 draws no bar)."""
    names = [f"{t.flow} / {t.slo}<br>{t.tier}" for t in tiers]  # two short lines: fits a phone
    fig = go.Figure([
        go.Bar(name="long window", orientation="h", y=names, x=[t.long_burn for t in tiers],
               marker_color=[ERROR_COLOUR if t.firing else OK_COLOUR for t in tiers]),
        go.Bar(name="short window", orientation="h", y=names, x=[t.short_burn for t in tiers],
               marker_color=[ERROR_COLOUR if t.firing else style.GOOD_LIGHT for t in tiers]),
        go.Scatter(name="threshold", y=names, x=[t.factor for t in tiers], mode="markers",
                   marker={"symbol": "line-ns-open", "size": 22, "color": EVENT_COLOUR,
                           "line": {"width": 3}}),
    ])
    fig.update_yaxes(categoryorder="array", categoryarray=names, autorange="reversed")
    fig.update_layout(barmode="group", height=max(300, 120 + 44 * len(names)))
    return apply_layout(fig, "Burn rate per alert tier (threshold drawn)",
                        xaxis={"type": "log", "title": "burn rate (1 = on budget)"})


def burndown_figure(points: Sequence[BudgetPoint]) -> go.Figure:
    """One line per SLO: budget remaining (percent) over the period, with zero drawn."""
    series: dict[str, list[BudgetPoint]] = {}
    for p in points:
        series.setdefault(f"{p.flow} / {p.slo}", []).append(p)
    fig = go.Figure([
        go.Scatter(name=name, x=[p.at for p in found], mode="lines+markers",
                   y=[None if p.remaining is None else p.remaining * 100 for p in found])
        for name, found in series.items()])
    fig.add_hline(y=0, line_dash="dash", line_color=ERROR_COLOUR)
    return apply_layout(fig, "Error budget burn-down (% remaining)")


@dataclass(frozen=True)
class Wait:
    """Idle time before item ``before`` (its index): from ``start_ms`` for ``length_ms``."""

    before: int
    start_ms: float
    length_ms: float


def _offset_ms(item: TimelineItem, origin: TimelineItem) -> float:
    return (item.time - origin.time).total_seconds() * 1000


def waits(items: Sequence[TimelineItem]) -> tuple[Wait, ...]:
    """Gaps where nothing of the run was in progress: between the latest end so far and the
    next item's start (items in time order)."""
    if not items:
        return ()
    found: list[Wait] = []
    busy_until = 0.0
    for i, item in enumerate(items):
        start = _offset_ms(item, items[0])
        if i and start > busy_until:
            found.append(Wait(i, busy_until, start - busy_until))
        busy_until = max(busy_until, start + item.duration_ms)
    return tuple(found)


def row_label(index: int, item: TimelineItem) -> str:
    """The waterfall row of an item on two short lines (so that a phone keeps room for the
    bars): ``3. charge<br>payments`` (events get a ``◆``)."""
    mark = "◆ " if item.kind == "event" else ""
    return f"{index + 1}. {mark}{item.name}<br>{item.service or item.event_source}"


def waterfall_figure(timeline: Timeline) -> go.Figure:
    """The run as a waterfall: spans as bars, events as diamonds, waits as grey bars, every
    failing item in red. One row per item, in time order, top to bottom."""
    items = timeline.items
    labels = [row_label(i, item) for i, item in enumerate(items)]
    spans = [i for i, item in enumerate(items) if item.kind == "span"]
    events = [i for i, item in enumerate(items) if item.kind != "span"]
    gaps = waits(items)

    def colour(i: int) -> str:
        return ERROR_COLOUR if items[i].status == "error" else (
            OK_COLOUR if items[i].kind == "span" else EVENT_COLOUR)

    def offset(i: int) -> float:
        return _offset_ms(items[i], items[0])

    fig = go.Figure([
        go.Bar(name="wait", orientation="h", y=[labels[w.before] for w in gaps],
               base=[w.start_ms for w in gaps], x=[w.length_ms for w in gaps],
               marker_color=WAIT_COLOUR, opacity=0.6,
               text=[f"wait {duration(w.length_ms / 1000)}" for w in gaps],
               textposition="inside",
               hovertemplate="%{y}<br>%{text}<extra></extra>"),
        go.Bar(name="span", orientation="h", y=[labels[i] for i in spans],
               base=[offset(i) for i in spans],
               x=[max(items[i].duration_ms, MIN_BAR_MS) for i in spans],
               marker_color=[colour(i) for i in spans],
               customdata=[[duration(items[i].duration_ms / 1000),
                            duration(offset(i) / 1000), items[i].status_message]
                           for i in spans],
               hovertemplate=("%{y}<br>took %{customdata[0]}, from +%{customdata[1]}"
                              "<br>%{customdata[2]}<extra></extra>")),
        go.Scatter(name="event", mode="markers", y=[labels[i] for i in events],
                   x=[offset(i) for i in events],
                   customdata=[duration(offset(i) / 1000) for i in events],
                   hovertemplate="%{y}<br>at +%{customdata}<extra></extra>",
                   marker={"symbol": "diamond", "size": 12,
                           "color": [colour(i) for i in events]}),
    ])
    fig.update_yaxes(categoryorder="array", categoryarray=labels, autorange="reversed")
    fig.update_layout(barmode="overlay", height=max(300, 80 + 40 * len(items)))
    longest = max((offset(i) + items[i].duration_ms for i in range(len(items))), default=0.0)
    return apply_layout(fig, f"{timeline.correlation_id} ({timeline.flow or 'no flow'})",
                        xaxis={"title": "time since the first item",
                               **duration_axis(longest / 1000, per_second=1000)})


def succeeded_after(timeline: Timeline, index: int) -> bool:
    """True when a success event (outcome ``success``) follows item ``index``: the run
    recovered, by a retry or a manual replay, from the failure there."""
    return any(item.outcome == "success" for item in timeline.items[index + 1 :])


def failing_items(timeline: Timeline) -> tuple[int, ...]:
    """Indexes of the items that failed (span status or event outcome ``error``)."""
    return tuple(i for i, item in enumerate(timeline.items) if item.status == "error")
