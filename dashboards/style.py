"""The pages' look, in one place: status colours, the type scale and spacing the layouts and
figures share.

Status colours come from the Okabe-Ito palette, chosen to stay apart for the common forms of
colour blindness (blue against vermillion, not green against red), and every status also has
a word or a mark beside its colour (:data:`STATUS_MARKS`), so nothing is told by colour alone.
:func:`dashboards.layouts.status_legend` shows them on every page. The stylesheet
``dashboards/assets/flowscope.css`` repeats these values as CSS variables; Bootstrap 5 (served
locally, see :mod:`dashboards.app`) does the rest. Pure: constants only.
"""

from __future__ import annotations

GOOD = "#0072B2"
"""Meeting the objective, within budget, a span that worked (Okabe-Ito blue)."""
BAD = "#D55E00"
"""Missing the objective, budget spent, a failure, a firing tier (Okabe-Ito vermillion)."""
WARN = "#E69F00"
"""At risk: retried, recovered after a failure, pending (Okabe-Ito orange)."""
NEUTRAL = "#555555"
"""Events, thresholds and other marks that carry no verdict."""
QUIET = "#BBBBBB"
"""Waits and the "before" side of a comparison."""
GOOD_LIGHT = "#56B4E9"
"""The second bar of a good pair (short window, Okabe-Ito sky blue)."""
THRESHOLD = "#CC79A7"
"""SLO thresholds drawn on a figure (Okabe-Ito reddish purple)."""

SERIES = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
          "#000000")
"""Colours of unordered groups (partners), in order of first appearance."""

STATUS_MARKS: dict[str, tuple[str, str, str]] = {
    "good": ("✓", GOOD, "meeting the objective / within budget / worked"),
    "bad": ("✗", BAD, "missing the objective / budget spent / failed / firing"),
    "warn": ("!", WARN, "at risk / retried / recovered / pending"),
}
"""Each status: its mark, colour and what it means (the legend's lines)."""

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
"""Font of the pages and figures."""
FIGURE_FONT_SIZE = 13
"""Base font size of the figures, px (titles are 1.2 x)."""
