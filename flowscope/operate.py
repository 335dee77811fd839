"""Wires the operator's console into a server (composition root): search keys, the dead-letter
queue, replays with their guardrails, maintenance declared now, and their figures.

- secrets: a flow's ``replay.secret_env`` and ``pause.secret_env`` name environment variables,
  read here once at start (:func:`flow_secrets`); a missing one is logged by name (never a
  value) and makes that flow's replays refuse with 503 until the server restarts with it;
- :class:`Console` holds the replay and maintenance services, and how the search index holds a
  value (the catalog's redaction, :meth:`collector.redaction.Redactor.value`);
- :func:`console_routers` are the routes (:mod:`slo.operator_routes`,
  :mod:`alerts.operate_routes`); :func:`ready_hook` starts, once the warehouse is ready, the
  indexing of older data for new search keys (:class:`collector.search_backfill.SearchBackfill`)
  and the resume calls of maintenance that ran out;
- :func:`queue_collector` exposes run counts, the dead-letter queue and maintenance on
  ``/metrics``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request

from alerts.maintenance import active_window
from alerts.maintenance_now import MaintenanceService
from alerts.operate_routes import operate_router
from alerts.queue_exposition import QueueCollector
from alerts.replay import ReplayService
from catalog.model import Catalog
from collector.redaction import Redactor
from collector.search_backfill import SearchBackfill
from flowscope.access.audit import AuditLog
from flowscope.access.clients import TrustedProxies
from slo.operator_routes import operator_read_router
from slo.queue_figures import QueueFigures
from slo.sli import RunCounts
from warehouse.port import Warehouse

log = logging.getLogger("flowscope")


def flow_secrets(catalog: Catalog, environ: Mapping[str, str], which: str) -> dict[str, bytes]:
    """Per flow declaring ``which`` (``replay`` or ``pause``), the secret in the environment
    variable it names; flows whose variable is unset or empty are left out (and logged)."""
    found: dict[str, bytes] = {}
    for flow in catalog.flows:
        target = flow.replay if which == "replay" else flow.pause
        if target is None:
            continue
        value = environ.get(target.secret_env, "")
        if value:
            found[flow.name] = value.encode()
        else:
            log.warning("%s calls of flow %s cannot be signed: the environment variable %s is "
                        "not set; they are refused until the server starts with it", which,
                        flow.name, target.secret_env)
    return found


def audit_into(audit: AuditLog) -> Callable[..., None]:
    """An audit callable over ``audit`` whose write failures are logged, never raised (the
    action already happened)."""

    def record(action: str, *, actor: str, target: str, detail: Mapping[str, Any],
               remote: str) -> None:
        try:
            audit.record(action, actor=actor, target=target, detail=detail, remote=remote)
        except OSError as exc:
            log.error("cannot write an audit record: %s", exc.strerror or type(exc).__name__)

    return record


@dataclass
class Console:
    """The operator console's services over one catalog."""

    catalog: Catalog
    replays: ReplayService
    maintenance: MaintenanceService
    redactor: Redactor

    def stored(self, key: str, value: str) -> str | None:
        """How the search index holds ``value`` of ``key`` (hashed when the catalog hashes
        it; ``None`` when it drops it)."""
        return self.redactor.value(key, value)

    def in_maintenance(self, flow: str, at: datetime) -> bool:
        """True while ``flow`` is in a catalog maintenance window or one declared now."""
        chosen = self.catalog.flow(flow)
        if chosen is not None and active_window(chosen.maintenance, at) is not None:
            return True
        return self.maintenance.muting(flow, at) is not None


def build_console(catalog: Catalog, warehouse: Callable[[], Warehouse | None], *,
                  audit: AuditLog, clock: Callable[[], datetime],
                  environ: Mapping[str, str]) -> Console:
    """The console's services (see the module docstring); nothing is started."""
    record = audit_into(audit)
    replays = ReplayService(catalog, warehouse, secrets=flow_secrets(catalog, environ, "replay"),
                            audit=record, clock=clock)
    maintenance = MaintenanceService(catalog, warehouse,
                                     secrets=flow_secrets(catalog, environ, "pause"),
                                     audit=record, clock=clock)
    return Console(catalog, replays, maintenance, Redactor.from_rules(catalog.redaction))


def console_routers(console: Console, warehouse: Callable[[], Warehouse | None], *,
                    clock: Callable[[], datetime], proxies: TrustedProxies) -> list[APIRouter]:
    """The console's read and write routes."""

    def remote(request: Request) -> str:
        return proxies.client(request.scope)

    return [operator_read_router(console.catalog, warehouse, stored=console.stored, clock=clock),
            operate_router(console.replays, console.maintenance, clock=clock, remote=remote)]


def ready_hook(console: Console, stopping: threading.Event) -> Callable[[Warehouse], None]:
    """What to start once the warehouse is ready: the search-key backfill and the resume loop
    of declared maintenance, each on a daemon thread."""

    def start(wh: Warehouse) -> None:
        backfill = SearchBackfill(wh)
        wh.attachments["search_backfill"] = backfill
        threading.Thread(target=backfill.follow, args=(console.catalog, stopping),
                         name="flowscope-search-backfill", daemon=True).start()
        threading.Thread(target=console.maintenance.follow, args=(stopping,),
                         name="flowscope-maintenance", daemon=True).start()

    return start


class _QueueSource:
    """:class:`slo.queue_figures.QueueFigures` as :class:`alerts.queue_exposition.QueueSource`."""

    def __init__(self, figures: QueueFigures) -> None:
        self._figures = figures

    def run_totals(self, flow: str, at: datetime) -> RunCounts:
        return self._figures.run_totals(flow, at)

    def waiting(self, flow: str) -> tuple[int, datetime | None]:
        count, oldest = self._figures.waiting(flow)
        return count, None if oldest is None else datetime.fromtimestamp(oldest / 1e9, UTC)


def queue_collector(console: Console, warehouse: Callable[[], Warehouse | None], *,
                    clock: Callable[[], datetime]) -> QueueCollector:
    """The ``/metrics`` collector of run counts, dead letters and maintenance."""
    source = _QueueSource(QueueFigures(console.catalog, warehouse))
    return QueueCollector(console.catalog,
                          source=lambda: source if warehouse() is not None else None,
                          in_maintenance=console.in_maintenance, clock=clock)
