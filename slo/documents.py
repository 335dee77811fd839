"""JSON bodies of the flow and SLO routes, from catalog flows and SLO values. Pure.

Conventions: instants are RFC 3339 in UTC (``2026-11-27T10:00:00Z``); durations in windows,
periods and thresholds are catalog durations (``5m``, ``30d``); ratios are fractions (``sli``
0.9993) except ``objective``, a percentage as the catalog writes it (99.9); ``target`` is the
same objective as a fraction. Unknown values (an empty window) are ``null``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from catalog.durations import format_duration
from catalog.model import Flow, Matcher, SLOSpec
from catalog.operations import shown_url
from catalog.parameters import rfc3339
from slo.attribution_report import FlowAttribution, SloAttribution
from slo.health_query import FlowHealth
from slo.latency_query import FlowLatency, LatencySummary
from slo.status import FlowStatus, SLOStatus, WindowResult


def duration_text(value: timedelta) -> str:
    """``"5m"``; durations that are no whole number of milliseconds as seconds (``"1.5us"``
    cannot occur in a catalog, so this is only a fallback)."""
    try:
        return format_duration(value)
    except ValueError:
        return f"{value.total_seconds():g}s"


def _matcher(matcher: Matcher) -> dict[str, Any]:
    return {"events": list(matcher.events), "service": matcher.service, "span": matcher.span}


def flow_json(flow: Flow) -> dict[str, Any]:
    """The catalog summary of a flow (the fields of ``GET /api/v1/flows``)."""
    return {
        "name": flow.name,
        "owner": flow.owner,
        "correlation_key": flow.correlation_key,
        "steps": [{"name": s.name, "service": s.service, "partner": s.partner}
                  for s in flow.steps],
    }


def slo_spec_json(spec: SLOSpec) -> dict[str, Any]:
    """An SLO as the catalog declares it."""
    return {
        "name": spec.name,
        "objective": float(spec.objective),
        "period": duration_text(spec.period) if spec.period is not None else spec.calendar,
        "timezone": spec.timezone if spec.period is None else None,
        "latency_threshold": (duration_text(spec.latency.threshold)
                              if spec.latency is not None else None),
        "budgeting": spec.budgeting,
        "runbook_url": spec.runbook_url,
    }


def flow_detail_json(flow: Flow, status: FlowStatus | None) -> dict[str, Any]:
    """``GET /api/v1/flows/{flow}``: the flow's catalog entry and its current status."""
    return {
        **flow_json(flow),
        "runbook_url": flow.runbook_url,
        "start": _matcher(flow.start),
        "success": _matcher(flow.success),
        "failure": {"events": list(flow.failure.events),
                    "dead_letter": flow.failure.dead_letter},
        "steps": [{"name": s.name, "service": s.service, "span": s.span, "partner": s.partner}
                  for s in flow.steps],
        "slos": [slo_spec_json(s) for s in flow.slos],
        "alerting_windows": flow.alerting_windows,
        "maintenance": [{"rrule": m.rrule, "duration": duration_text(m.duration),
                         "reason": m.reason} for m in flow.maintenance],
        "search_keys": list(flow.search_keys),
        "replay": None if flow.replay is None else {
            "url": shown_url(flow.replay.url), "timeout": duration_text(flow.replay.timeout),
            "max_per_minute": flow.replay.max_per_minute},
        "pause": None if flow.pause is None else {"url": shown_url(flow.pause.url)},
        "status": status_summary_json(status),
    }


def status_summary_json(status: FlowStatus | None) -> dict[str, Any] | None:
    """A flow's status in brief: the most urgent firing severity and each SLO's SLI and
    budget; ``None`` when unknown (the warehouse is not ready)."""
    if status is None:
        return None
    return {
        "at": rfc3339(status.at),
        "severity": status.severity,
        "slos": [{"name": s.name, "sli": s.sli, "budget_remaining": s.budget_remaining,
                  "severity": s.severity} for s in status.slos],
        "warnings": list(status.warnings),
    }


def _window(result: WindowResult) -> dict[str, Any]:
    return {"good": result.counts.good, "bad": result.counts.bad,
            "error_ratio": result.error_ratio, "burn_rate": result.burn_rate}


def slo_json(status: SLOStatus) -> dict[str, Any]:
    """One SLO of ``GET /api/v1/flows/{flow}/slos``."""
    spec = status.spec
    alerts = []
    if status.tiers is not None:
        for result in status.tiers.results:
            tier = result.tier
            alerts.append({
                "severity": tier.severity,
                "long_window": duration_text(tier.long_window),
                "short_window": duration_text(tier.short_window),
                "budget_percent": float(tier.budget_share * 100),
                "factor": result.factor,
                "threshold": result.threshold,
                "long_burn_rate": result.long_burn_rate,
                "short_burn_rate": result.short_burn_rate,
                "firing": result.firing,
                "can_fire": result.can_fire,
            })
    exhaustion = None
    if status.exhaustion is not None:
        exhaustion = {"in_seconds": status.exhaustion.total_seconds(),
                      "at": rfc3339(status.at + status.exhaustion)}
    slices = None
    if status.slices is not None:
        slices = {"slices": status.slices.slices, "with_data": status.slices.slices_with_data,
                  "good": status.slices.good_slices}
    return {
        **slo_spec_json(spec),
        "target": status.objective,
        "period_start": rfc3339(status.period.start),
        "period_end": rfc3339(status.period.end),
        "good": status.counts.good,
        "bad": status.counts.bad,
        "sli": status.sli,
        "error_ratio": status.error_ratio,
        "budget_remaining": status.budget_remaining,
        "windows": {duration_text(w.window): _window(w) for w in status.windows},
        "window_catalog": status.window_catalog,
        "alerts": alerts,
        "severity": status.severity,
        "exhaustion": exhaustion,
        "timeslices": slices,
        "warnings": list(status.warnings),
    }


def slos_json(flow: Flow, status: FlowStatus) -> dict[str, Any]:
    """``GET /api/v1/flows/{flow}/slos``."""
    return {"flow": flow.name, "at": rfc3339(status.at), "severity": status.severity,
            "slos": [slo_json(s) for s in status.slos], "warnings": list(status.warnings)}


def _summary(summary: LatencySummary) -> dict[str, Any]:
    def ms(value: float | None) -> float | None:
        return None if value is None else round(value, 6)

    return {"count": summary.count, "p50_ms": ms(summary.p50_ms), "p95_ms": ms(summary.p95_ms),
            "p99_ms": ms(summary.p99_ms)}


def latency_json(latency: FlowLatency, step: timedelta | None = None) -> dict[str, Any]:
    """``GET /api/v1/flows/{flow}/latency``."""
    return {
        "flow": latency.flow,
        "from": rfc3339(latency.start),
        "to": rfc3339(latency.end),
        "step": None if step is None else duration_text(step),
        "flow_time": _summary(latency.flow_time),
        "steps": [{"name": s.step, "time": _summary(s.time), "wait": _summary(s.wait)}
                  for s in latency.steps],
        "series": [{"from": rfc3339(b.start), "to": rfc3339(b.end),
                    "flow_time": _summary(b.flow_time)} for b in latency.series],
    }


def health_json(health: FlowHealth) -> dict[str, Any]:
    """``GET /api/v1/flows/{flow}/health``."""
    return {
        "flow": health.flow,
        "from": rfc3339(health.start),
        "to": rfc3339(health.end),
        "runs": health.runs,
        "succeeded": health.succeeded,
        "failed": health.failed,
        "in_flight": health.in_flight,
        "first_pass_yield": health.first_pass_yield,
        "exceptions_per_1000_runs": health.exceptions_per_1000_runs,
        "dead_letters": {"inflow": health.dead_letter_inflow,
                         "oldest_age_seconds": health.oldest_dead_letter_age_seconds},
        "steps": [{"name": s.step, "in": s.entered, "out": s.left, "waiting": s.waiting,
                   "lag_seconds": s.lag_seconds, "retried_runs": s.retried_runs,
                   "retries": s.retries, "dead_letters": s.dead_letters, "items": s.items,
                   "errors": s.errors} for s in health.steps],
    }


def _attribution(found: SloAttribution) -> dict[str, Any]:
    return {
        "name": found.spec.name,
        "objective": float(found.spec.objective),
        "from": rfc3339(found.start),
        "to": rfc3339(found.end),
        "valid": found.valid,
        "bad": found.bad,
        "budget_used": found.consumed,
        "partners": [{"partner": p.partner, "bad": p.bad, "budget_used": p.consumed,
                      "steps": list(p.steps)} for p in found.partners],
        "steps": [{"step": s.step, "partner": s.partner, "bad": s.bad,
                   "budget_used": s.consumed} for s in found.steps],
    }


def attribution_json(found: FlowAttribution) -> dict[str, Any]:
    """``GET /api/v1/flows/{flow}/attribution``: per SLO counted by runs, its valid and bad
    runs over ``from``..``to`` and the fraction of its error budget (``budget_used``, 1 = all
    of it) each partner group and each step used; a bad run counts at the last step it had
    reached (``step`` ``null``: none). ``skipped`` names the SLOs that cannot be attributed."""
    return {"flow": found.flow, "to": rfc3339(found.end),
            "slos": [_attribution(s) for s in found.slos],
            "skipped": [{"name": name, "reason": why} for name, why in found.skipped]}
