"""Every table the pages show, defined once: what a person reads and what a spreadsheet gets.

Each builder turns read-model values into a :class:`TableView`: per cell the text the page
shows (``99.87 %``, ``USD 0.000417``, ``41 min 30 s``, by :mod:`dashboards.wording`) and the
plain value its CSV download carries (``99.873015873``, ``0.000416666666666667``, ``2490``), so
a figure is never re-typed from the page. Percentages in CSV are percent numbers (the column
says ``_percent``), money exact decimal strings with a ``currency`` column, durations seconds.
Pure: values in, table out; :meth:`TableView.csv` renders the CSV text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from cost.currency import unit_money_text
from dashboards.figures import failing_items, waits
from dashboards.model import AlertRow, FlowHealthCard, Scorecard
from dashboards.wording import change, duration, money, percent
from warehouse.correlations import Timeline


@dataclass(frozen=True)
class Column:
    """A column: its ``title`` on the page and its ``name`` in the CSV header; ``page=False``
    for a column only the CSV has (the currency beside plain amounts)."""

    title: str
    name: str
    page: bool = True


@dataclass(frozen=True)
class Cell:
    """What the page shows (``shown``), what the CSV gets (``value``), and the ``status``
    (``good``, ``bad``, ``warn`` or empty) the page marks it with."""

    shown: str
    value: str
    status: str = ""


@dataclass(frozen=True)
class TableView:
    """A table called ``name`` (its download is ``<name>.csv``)."""

    name: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]

    def page_columns(self) -> list[int]:
        """Positions of the columns the page shows."""
        return [i for i, c in enumerate(self.columns) if c.page]

    def csv(self) -> str:
        """The table as CSV (RFC 4180, CRLF line ends): the column names, then the values."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([c.name for c in self.columns])
        writer.writerows([cell.value for cell in row] for row in self.rows)
        return out.getvalue()


def text(value: object) -> Cell:
    """A cell that reads the same on the page and in the CSV (``None`` is empty)."""
    shown = "" if value is None else str(value)
    return Cell(shown, shown)


def _points(fraction: float | Decimal | None) -> str:
    """A fraction as a plain percent number: ``0.99873`` → ``99.873`` (empty for ``None``)."""
    if fraction is None:
        return ""
    exact = fraction if isinstance(fraction, Decimal) else Decimal(repr(fraction))
    return f"{(exact * 100).normalize():f}"


def _pct(fraction: float | Decimal | None, against: Sequence[float | Decimal] = (),
         status: str = "") -> Cell:
    return Cell(percent(fraction, against), _points(fraction), status)


def _unit(amount: Decimal | None, currency: str | None) -> Cell:
    if amount is None or currency is None:
        return Cell("n/a", "")
    return Cell(money(amount, currency, unit=True), unit_money_text(amount, currency))


def _total(amount: Decimal | None, currency: str | None) -> Cell:
    if amount is None or currency is None:
        return Cell("n/a", "")
    return Cell(money(amount, currency), f"{amount:f}")


def _seconds(seconds: float | None, missing: str = "") -> Cell:
    if seconds is None:
        return Cell(missing, "")
    return Cell(duration(seconds), f"{Decimal(repr(seconds)).normalize():f}")


def verdict(sli: float | None, objective: float) -> Cell:
    """``✓ meeting`` or ``✗ missing`` an objective, ``no runs`` without an SLI."""
    if sli is None:
        return Cell("no runs", "no runs")
    return (Cell("✓ meeting", "meeting", "good") if sli >= objective
            else Cell("✗ missing", "missing", "bad"))


def scorecard_table(card: Scorecard) -> TableView:
    """One row per SLO of every flow: its verdict, attainment against the objective, budget
    left, and the flow's cost per success, savings and payback over the period."""
    columns = (Column("flow", "flow"), Column("SLO", "slo"), Column("status", "status"),
               Column("objective", "objective_percent"),
               Column("attainment", "attainment_percent"),
               Column("budget left", "budget_left_percent"),
               Column("cost per success", "cost_per_success"), Column("savings", "savings"),
               Column("currency", "currency", page=False), Column("payback", "payback"))
    rows = []
    for c in card.flows:
        for s in c.slos:
            left = s.budget_remaining
            payback = (c.payback.isoformat() if c.payback else
                       "not yet" if c.savings is not None else "n/a")
            rows.append((text(c.flow), text(s.name), verdict(s.sli, s.objective),
                         Cell(percent(s.objective, exact=True), _points(s.objective)),
                         _pct(s.sli, (s.objective,)),
                         _pct(left, status="bad" if left is not None and left <= 0 else ""),
                         _unit(c.cost_per_success, c.currency), _total(c.savings, c.currency),
                         text(c.currency), Cell(payback, payback if c.payback else "")))
    return TableView("scorecard", columns, tuple(rows))


def partner_table(card: Scorecard) -> TableView:
    """Per SLO and partner group: the bad runs attributed to it and the budget they used."""
    columns = (Column("flow", "flow"), Column("SLO", "slo"), Column("partner", "partner"),
               Column("bad runs", "bad_runs"), Column("budget used", "budget_used_percent"),
               Column("steps", "steps"))
    return TableView("partners", columns, tuple(
        (text(c.flow), text(p.slo), text(p.partner), text(p.bad), _pct(p.consumed),
         Cell(", ".join(p.steps) or "-", " ".join(p.steps)))
        for c in card.flows for p in c.partners))


def release_table(card: Scorecard) -> TableView:
    """Per flow with a release: success rate and cost per success before and after it."""
    columns = (Column("flow", "flow"), Column("release", "version"), Column("day", "date"),
               Column("days each side", "days_each_side"),
               Column("success rate before", "success_rate_before_percent"),
               Column("success rate after", "success_rate_after_percent"),
               Column("cost per success before", "cost_per_success_before"),
               Column("cost per success after", "cost_per_success_after"),
               Column("cost per success", "cost_per_success_ratio"),
               Column("currency", "currency", page=False))
    rows = []
    for c in card.flows:
        if c.release is None:
            continue
        before, after = c.release.comparison.before, c.release.comparison.after
        ratio = c.release.comparison.cost_per_success_ratio
        rows.append((
            text(c.flow), text(c.release.version), text(c.release.day.isoformat()),
            text(after.days),
            _pct(before.success_rate, () if after.success_rate is None
                 else (after.success_rate,)),
            _pct(after.success_rate, () if before.success_rate is None
                 else (before.success_rate,)),
            _unit(before.cost_per_success, c.currency), _unit(after.cost_per_success, c.currency),
            Cell(change(ratio), "" if ratio is None else f"{ratio.normalize():f}"),
            text(c.currency)))
    return TableView("releases", columns, tuple(rows))


def alerts_table(alerts: Sequence[AlertRow]) -> TableView:
    """The alerts the evaluator holds: firing ones marked bad, pending ones at risk."""
    columns = (Column("alert", "alert"), Column("flow", "flow"), Column("severity", "severity"),
               Column("status", "status"), Column("since", "since"),
               Column("summary", "summary"))
    marks = {"firing": "bad", "pending": "warn"}
    return TableView("alerts", columns, tuple(
        (text(a.name), text(a.flow), text(a.severity),
         Cell(a.status, a.status, marks.get(a.status, "")),
         Cell(f"{a.since:%Y-%m-%d %H:%M:%S} UTC" if a.since else "",
              a.since.isoformat() if a.since else ""), text(a.summary))
        for a in alerts))


def steps_table(card: FlowHealthCard) -> TableView:
    """Per step of one flow over the health range: waiting runs, lag, retries, dead letters."""
    columns = (Column("step", "step"), Column("waiting", "waiting"),
               Column("lag (oldest waiting)", "lag_seconds"),
               Column("runs retried", "runs_retried"), Column("extra attempts", "extra_attempts"),
               Column("dead letters", "dead_letters"))
    return TableView(f"steps-{card.flow}", columns, tuple(
        (text(s.step), text(s.waiting), _seconds(s.lag_seconds, "none waiting"),
         Cell(str(s.retried_runs), str(s.retried_runs), "warn" if s.retried_runs else ""),
         text(s.retries),
         Cell(str(s.dead_letters), str(s.dead_letters), "bad" if s.dead_letters else ""))
        for s in card.steps))


def trace_table(timeline: Timeline) -> TableView:
    """Every item of one run in time order: when, how long after the first item, how long the
    run waited before it (nothing in progress), what it was, how long it took, its status."""
    columns = (Column("#", "index"), Column("time (UTC)", "time"),
               Column("+offset", "offset_seconds"), Column("waited", "waited_seconds"),
               Column("kind", "kind"), Column("service", "service"), Column("name", "name"),
               Column("took", "duration_seconds"), Column("status", "status"))
    items = timeline.items
    waited = {w.before: w.length_ms / 1000 for w in waits(items)}
    failed = set(failing_items(timeline))
    rows = []
    for i, it in enumerate(items):
        offset = (it.time - items[0].time).total_seconds()
        rows.append((
            text(i + 1),
            Cell(f"{it.time:%Y-%m-%d %H:%M:%S.%f}"[:-3], it.time.isoformat()),
            _seconds(offset), _seconds(waited.get(i)), text(it.kind),
            text(it.service or it.event_source), text(it.name),
            _seconds(it.duration_ms / 1000) if it.kind == "span" else Cell("", ""),
            Cell(it.status, it.status, "bad" if i in failed else "")))
    return TableView(f"trace-{timeline.correlation_id}", columns, tuple(rows))
