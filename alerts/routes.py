"""HTTP routes of the alerts room: alerts with their history, and silences.

``GET /api/v1/alerts`` lists the active alerts (pending and firing, with why each muted one
is muted), the recently resolved ones and the history of transitions (newest first; filters
``flow``, ``since``, ``limit``). ``POST /api/v1/silences`` creates a silence,
``GET /api/v1/silences`` lists them with their state, ``DELETE /api/v1/silences/{id}`` deletes
one. Writes need the ``operate`` scope (see :mod:`flowscope.access.keys`). Thin adapters:
storage is :mod:`alerts.store`, validation :mod:`alerts.silences`; what goes wrong is raised and
answered by the app's error boundary (``flowscope.http_errors``): 400 for a silence or a
parameter that cannot be used, 404 for an unknown silence, the status of the warehouse failure
behind an :class:`~alerts.errors.AlertStoreError` (503 while it is not ready). Times are
RFC 3339 in UTC, with milliseconds (``2026-03-02T12:00:00.000Z``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import AwareDatetime, BaseModel, Field

from alerts.dispatch import rfc3339
from alerts.errors import SilenceError
from alerts.evaluator import AlertEvaluator
from alerts.model import Alert, Transition
from alerts.silences import Silence, new_silence, parse_matcher
from alerts.store import HistoryEntry
from catalog import parameters
from catalog.errors import NotFound

MAX_HISTORY = 1000
DEFAULT_HISTORY_WINDOW = timedelta(days=7)


class MatcherIn(BaseModel):
    """One label matcher: ``{"name": "flow", "op": "=", "value": "order-to-cash"}``."""

    name: str = Field(min_length=1, max_length=200)
    op: Literal["=", "!=", "=~", "!~"] = "="
    value: str = Field(max_length=1000)


class SilenceIn(BaseModel):
    """A new silence: matchers, and an end (``ends_at``) or a ``duration`` like ``2h``."""

    matchers: list[MatcherIn] = Field(min_length=1, max_length=32)
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    duration: str | None = Field(default=None, max_length=20)
    created_by: str = Field(default="", max_length=200)
    comment: str = Field(default="", max_length=2000)


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else rfc3339(moment)


def alert_json(alert: Alert, muted: str | None) -> dict[str, Any]:
    """One alert as JSON."""
    return {
        "fingerprint": alert.fingerprint,
        "status": alert.status,
        "labels": dict(alert.labels),
        "annotations": dict(alert.annotations),
        "active_since": _time(alert.active_since),
        "fired_at": _time(alert.fired_at),
        "resolved_at": _time(alert.resolved_at),
        "value": alert.value,
        "muted": muted,
    }


def transition_json(entry: HistoryEntry) -> dict[str, Any]:
    """One recorded transition as JSON."""
    t: Transition = entry.transition
    return {
        "at": rfc3339(t.at),
        "fingerprint": t.fingerprint,
        "from": t.from_status,
        "to": t.to_status,
        "labels": dict(t.labels),
        "annotations": dict(t.annotations),
        "value": t.value,
        "muted": entry.muted or None,
    }


def silence_json(silence: Silence, at: datetime) -> dict[str, Any]:
    """One silence as JSON, with its state at ``at``."""
    return {
        "id": silence.id,
        "matchers": [{"name": m.name, "op": m.op, "value": m.value} for m in silence.matchers],
        "starts_at": rfc3339(silence.starts_at),
        "ends_at": rfc3339(silence.ends_at),
        "created_by": silence.created_by,
        "comment": silence.comment,
        "created_at": _time(silence.created_at),
        "state": silence.state(at),
    }


def alerts_router(evaluator: AlertEvaluator, *, clock: Callable[[], datetime]) -> APIRouter:
    """The routes of the module docstring over ``evaluator`` and its store."""
    router = APIRouter(tags=["alerts"])

    @router.get("/api/v1/alerts", summary="Active alerts and the history of transitions")
    def list_alerts(
        flow: str | None = Query(default=None, max_length=200),
        since: str | None = Query(default=None, description="RFC 3339; default 7 days ago "
                                                            "(earlier than 1970: from the start)"),
        limit: int = Query(default=100, ge=0, le=MAX_HISTORY),
    ) -> dict[str, Any]:
        at = clock()
        start = parameters.instant("since", since, at - DEFAULT_HISTORY_WINDOW, clamp=True)
        snapshot = evaluator.snapshot()
        history = evaluator.require_store().history(since=start, flow=flow, limit=limit)
        alerts = [a for a in snapshot.alerts if flow is None or a.label("flow") == flow]
        return {
            "evaluated_at": _time(snapshot.at),
            "active": [alert_json(a, snapshot.muted.get(a.fingerprint))
                       for a in alerts if a.status in ("pending", "firing")],
            "resolved": [alert_json(a, snapshot.muted.get(a.fingerprint))
                         for a in alerts if a.status == "resolved"],
            "history": [transition_json(e) for e in history],
            "warnings": list(snapshot.warnings),
        }

    @router.post("/api/v1/silences", status_code=201, summary="Mute alerts matching labels")
    def create_silence(body: SilenceIn) -> dict[str, Any]:
        at = clock()
        starts = parameters.within("starts_at", body.starts_at) if body.starts_at else at
        if (body.ends_at is None) == (body.duration is None):
            raise SilenceError("give ends_at or duration (like \"2h\"), not both")
        if body.ends_at is not None:
            ends = body.ends_at
        else:
            length = parameters.duration("duration", body.duration or "")
            ends = parameters.ends("duration", starts, length)
        matchers = [parse_matcher(m.name, m.op, m.value) for m in body.matchers]
        silence = new_silence(id=str(uuid.uuid4()), matchers=matchers, starts_at=starts,
                              ends_at=ends, now=at, created_by=body.created_by,
                              comment=body.comment)
        evaluator.add_silence(silence)
        return silence_json(silence, at)

    @router.get("/api/v1/silences", summary="Silences (pending, active, recently expired)")
    def list_silences() -> dict[str, Any]:
        at = clock()
        silences = evaluator.require_store().silences(ended_after=at - timedelta(days=7))
        return {"silences": [silence_json(s, at) for s in silences]}

    @router.delete("/api/v1/silences/{silence_id}", status_code=204,
                   summary="Delete a silence", responses={404: {"description": "unknown id"}})
    def delete_silence(silence_id: str) -> Response:
        if not evaluator.delete_silence(silence_id, clock()):
            raise NotFound(f"no silence with id {parameters.shown(silence_id)}")
        return Response(status_code=204)

    return router
