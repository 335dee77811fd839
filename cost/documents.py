"""JSON bodies of the cost routes and the ``flowscope cost`` command. Pure.

Money is a decimal string. Totals are rounded to the currency's minor unit
(:func:`cost.currency.money_text`), and parts shown next to their total add up to the shown
total exactly (largest remainder, :func:`cost.breakdown.display_amounts`): the breakdown lines
to ``total_cost``, the categories to ``total_cost``, the failure lines to ``failure_cost``.
**Unit costs are exact** (:func:`cost.currency.unit_money_text`: the quotient as computed, to 18
places, never fewer places than the minor unit), so a sub-cent cost per success reads
``"0.000416666666666667"``, not ``"0.00"``: ``cost_per_success``, ``marginal_cost_per_run``,
``failure_cost_per_run``, ``baseline_cost_per_run`` and the breakdown's ``unit_price``.
Quantities (calls, CPU-seconds) are exact decimal strings. ``from`` is the first day, ``to``
the day after the last (a half-open range, like the query parameters). A figure that does not
exist (no success, no run, no baseline) is ``null``.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from cost.breakdown import CATEGORIES, CostBreakdown, CostLine, display_amounts
from cost.currency import money_text, unit_money_text
from cost.money import tidy
from cost.release import SideSummary
from cost.reports import FlowCost, FlowRoi, ReleaseResult, RoiReport
from cost.usage import DateRange


def _money(amount: Decimal | None, currency: str) -> str | None:
    return None if amount is None else money_text(amount, currency)


def _unit(amount: Decimal | None, currency: str) -> str | None:
    return None if amount is None else unit_money_text(amount, currency)


def _shown(amounts: dict[int, Decimal], currency: str) -> dict[int, str]:
    return {k: f"{v:f}" for k, v in display_amounts(amounts, currency).items()}


def range_json(period: DateRange) -> dict[str, str]:
    """``{"from": first day, "to": the day after the last}``."""
    return {"from": period.first.isoformat(),
            "to": (period.last + timedelta(days=1)).isoformat()}


def _lines(lines: tuple[CostLine, ...], currency: str) -> list[dict[str, Any]]:
    shown = _shown(dict(enumerate(line.amount for line in lines)), currency)
    return [{"category": line.category, "label": line.label, "step": line.step,
             "partner": line.partner, "quantity": f"{tidy(line.quantity):f}", "unit": line.unit,
             "unit_price": _unit(line.unit_price, currency),
             "amount": shown[i]} for i, line in enumerate(lines)]


def breakdown_json(cost: CostBreakdown) -> dict[str, Any]:
    """The figures of a breakdown (see the module docstring)."""
    currency = cost.currency
    categories = cost.by_category
    shown = _shown(dict(enumerate(categories.values())), currency)
    return {
        **range_json(cost.period),
        "currency": currency,
        "runs_started": cost.runs_started,
        "successes": cost.successes,
        "failures": cost.failures,
        "total_cost": money_text(cost.total, currency),
        "cost_per_success": _unit(cost.cost_per_success, currency),
        "failure_cost": money_text(cost.failure_cost, currency),
        "failure_cost_per_run": _unit(cost.failure_cost_per_run, currency),
        "marginal_cost_per_run": _unit(cost.marginal_cost_per_run, currency),
        "by_category": {c: shown[i] for i, c in enumerate(CATEGORIES)},
        "breakdown": _lines(cost.lines, currency),
        "failure_breakdown": _lines(cost.failure_lines, currency),
    }


def cost_json(found: FlowCost) -> dict[str, Any]:
    """``GET /api/v1/flows/{flow}/cost``."""
    usage = found.usage
    return {"flow": found.breakdown.flow, **breakdown_json(found.breakdown),
            "interventions": {"dead_letters": usage.dead_letters, "replays": usage.replays}}


def _payback(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def flow_roi_json(roi: FlowRoi) -> dict[str, Any]:
    """One flow of ``GET /api/v1/roi``."""
    currency, series = roi.currency, roi.series
    return {
        "flow": roi.flow,
        "currency": currency,
        "successes": roi.cost.successes,
        "baseline_cost": _money(roi.baseline_cost, currency),
        "actual_cost": money_text(roi.cost.total, currency),
        "savings": _money(roi.savings, currency),
        "baseline_cost_per_run": None if series is None else _unit(series.baseline_per_run,
                                                                    currency),
        "cost_per_success": _unit(roi.cost.cost_per_success, currency),
        "investment": None if series is None else money_text(series.build, currency),
        "net_return": None if series is None else money_text(series.net_return, currency),
        "payback_date": None if series is None else _payback(series.payback_date),
    }


def roi_json(report: RoiReport) -> dict[str, Any]:
    """``GET /api/v1/roi``: per flow, and ``total`` (``null`` when the flows use several
    currencies or none has a baseline)."""
    total: dict[str, Any] | None = None
    currency = report.currency
    if currency is not None and report.cost is not None:
        total = {
            "currency": currency,
            "baseline_cost": _money(report.baseline_cost, currency),
            "actual_cost": _money(report.cost, currency),
            "savings": _money(report.savings, currency),
            "net_return": _money(report.net_return, currency),
            "payback_date": _payback(report.payback_date),
        }
    return {**range_json(report.period), "flows": [flow_roi_json(f) for f in report.flows],
            "total": total}



def _side(side: SideSummary, days: DateRange, currency: str | None) -> dict[str, Any]:
    return {**range_json(days), "days_with_data": side.days, "successes": side.successes,
            "failures": side.failures,
            "success_rate": None if side.success_rate is None else float(side.success_rate),
            "cost": None if currency is None else money_text(side.cost, currency),
            "cost_per_success": None if currency is None else _unit(side.cost_per_success,
                                                                    currency)}


def release_json(result: ReleaseResult, currency: str | None) -> dict[str, Any]:
    """One release of ``GET /api/v1/flows/{flow}/releases``: ``comparison`` is ``null`` until
    the release day is complete; its sides cover as many calendar days each (``from``, ``to``:
    the first day and the day after the last), ``success_rate`` is a fraction of the runs that
    ended (``null`` when none did), the cost fields are ``null`` without a ``currency`` (a flow
    without cost model). ``cost_per_success_ratio`` is after / before (0.88: 12 % cheaper)."""
    release, days, found = result.release, result.days, result.comparison
    comparison: dict[str, Any] | None = None
    if days is not None and found is not None:
        before = DateRange(days.first, release.day - timedelta(days=1))
        ratio = None if currency is None else found.cost_per_success_ratio
        comparison = {
            "days_each_side": len(before),
            "before": _side(found.before, before, currency),
            "after": _side(found.after, DateRange(release.day, days.last), currency),
            "cost_per_success_change": None if currency is None else _unit(
                found.cost_per_success_change, currency),
            "cost_per_success_ratio": None if ratio is None else f"{tidy(ratio):f}",
        }
    return {"version": release.version, "date": release.day.isoformat(), "note": release.note,
            "comparison": comparison}


def releases_json(flow: str, currency: str | None, last: date,
                  results: tuple[ReleaseResult, ...]) -> dict[str, Any]:
    """``GET /api/v1/flows/{flow}/releases``: every release of the flow in catalog order,
    compared up to ``last`` (``to`` is the day after it)."""
    return {"flow": flow, "currency": currency, "to": (last + timedelta(days=1)).isoformat(),
            "releases": [release_json(r, currency) for r in results]}
