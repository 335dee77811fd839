"""The alert evaluator: one thread that evaluates every rule every ``interval`` seconds.

Each evaluation, at the injected clock's instant:

1. restores pending and firing alerts from the history the first time the store is reachable
   (so a restart neither re-pages nor forgets an open alert), and deletes stored silences
   whose matchers are no longer accepted (logged with their id and why);
2. refreshes the silences from the store (the cached ones are kept when it fails);
3. reads the counts and evaluates the rules (:func:`alerts.facts.observe`); rules whose data is
   unavailable keep their alerts as they were;
4. advances the lifecycle (:func:`alerts.lifecycle.advance`) and records every transition
   (writes that fail are kept, up to ``max_unwritten``, and retried next time);
5. works out which alerts are muted (silences, the catalog's maintenance windows and those
   declared now, ``declared``) and hands each channel's
   notifications to its :class:`~alerts.notifiers.Dispatcher`, which never blocks.

Nothing raised by the signals, the store or a notifier stops the loop. ``signals`` and
``store`` are callables returning ``None`` while their source is not ready (evaluations are
then skipped). Routes read :meth:`AlertEvaluator.snapshot`, which is replaced atomically.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from alerts.dispatch import plan_notifications
from alerts.errors import AlertsError, AlertStoreError
from alerts.facts import RuleSet, observe
from alerts.lifecycle import Evaluation, advance
from alerts.maintenance import active_window, maintenance_problems
from alerts.metrics import AlertMetrics
from alerts.model import Alert, Transition
from alerts.notifiers import Dispatcher
from alerts.signals import FlowSignals
from alerts.silences import Silence, muting
from alerts.store import AlertStore

log = logging.getLogger("flowscope.alerts")

RESTORE_HORIZON = timedelta(days=30)
"""How far back the history is read to restore open alerts at start-up."""
SILENCE_RETENTION = timedelta(days=7)
"""Expired silences stay listed this long."""


def utc_now() -> datetime:
    """The wall clock as an aware UTC datetime (the default clock)."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Snapshot:
    """What the last evaluation saw: alerts (pending, firing, recently resolved), why each
    muted one is muted (by fingerprint), and warnings about the rules."""

    at: datetime | None = None
    alerts: tuple[Alert, ...] = ()
    muted: dict[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


class AlertEvaluator:
    """Evaluates ``rules`` on a thread; see the module docstring."""

    def __init__(self, rules: RuleSet, *, signals: Callable[[], FlowSignals | None],
                 store: Callable[[], AlertStore | None], dispatchers: Sequence[Dispatcher],
                 metrics: AlertMetrics, clock: Callable[[], datetime] = utc_now,
                 interval: float = 30.0, max_unwritten: int = 10_000,
                 declared: Callable[[str, datetime], str | None] | None = None) -> None:
        self.rules = rules
        self._signals = signals
        self._store = store
        self.dispatchers = tuple(dispatchers)
        self.metrics = metrics
        self.clock = clock
        self.interval = interval
        self.max_unwritten = max_unwritten
        self._declared = declared
        self._alerts: tuple[Alert, ...] = ()
        self._restored = False
        self._sent: dict[str, dict[str, datetime]] = {d.channel: {} for d in self.dispatchers}
        self._unwritten: list[tuple[Transition, str]] = []
        self._silences: tuple[Silence, ...] = ()
        self._lock = threading.Lock()
        self._snapshot = Snapshot()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- reading -------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """The last evaluation's alerts, muting and warnings."""
        return self._snapshot

    def store(self) -> AlertStore | None:
        """The alert store, or ``None`` while the warehouse is not ready."""
        return self._store()

    def signals(self) -> FlowSignals | None:
        """The flow signals, or ``None`` while they are not ready."""
        return self._signals()

    # -- silences --------------------------------------------------------------------------

    def silences(self) -> tuple[Silence, ...]:
        """The silences known to the evaluator (refreshed from the store each evaluation)."""
        return self._silences

    def add_silence(self, silence: Silence) -> None:
        """Store ``silence`` and mute with it from the next evaluation on."""
        store = self.require_store()
        store.add_silence(silence)
        with self._lock:
            self._silences = (*[s for s in self._silences if s.id != silence.id], silence)

    def delete_silence(self, silence_id: str, at: datetime) -> bool:
        """Delete silence ``silence_id``; False when it does not exist."""
        store = self.require_store()
        deleted = store.delete_silence(silence_id, at=at)
        with self._lock:
            self._silences = tuple(s for s in self._silences if s.id != silence_id)
        return deleted

    def require_store(self) -> AlertStore:
        """The alert store; :class:`~alerts.errors.AlertStoreError` while the warehouse is not
        ready."""
        store = self._store()
        if store is None:
            raise AlertStoreError("the warehouse is not ready yet")
        return store

    # -- evaluating ------------------------------------------------------------------------

    def evaluate(self) -> Evaluation | None:
        """One evaluation at ``clock()``; ``None`` when it was skipped (no signals yet)."""
        started = time.perf_counter()
        at = self.clock()
        store = self._store()
        if store is not None:
            self._restore(store, at)
            self._refresh_silences(store, at)
        signals = self._signals()
        if signals is None:
            self.metrics.evaluations.labels("skipped").inc()
            return None
        observed = observe(self.rules, signals, at)
        for flow in observed.unknown_rules.values():
            self.metrics.rule_failures.labels(flow).inc()
        evaluation = advance(self._alerts, observed.observations, at,
                             unknown_rules=observed.unknown_rules)
        muted = self._muted(evaluation.alerts, at)
        self._record(store, evaluation.transitions, muted)
        self._notify(evaluation, muted, at)
        self._alerts = evaluation.alerts
        problems = [p for f in self.rules.catalog.flows
                    for p in maintenance_problems(f.maintenance, at)]
        self._snapshot = Snapshot(at=at, alerts=evaluation.alerts, muted=muted,
                                  warnings=tuple(dict.fromkeys((*observed.warnings, *problems))))
        result = "partial" if observed.unknown_rules else "ok"
        self.metrics.evaluations.labels(result).inc()
        self.metrics.evaluation_seconds.observe(time.perf_counter() - started)
        return evaluation

    def _restore(self, store: AlertStore, at: datetime) -> None:
        if self._restored:
            return
        try:
            restored = store.restore(since=at - RESTORE_HORIZON)
        except AlertsError as exc:
            self.metrics.store_failures.inc()
            log.warning("cannot restore open alerts yet: %s", exc)
            return
        self._restored = True
        try:
            for silence_id, reason in store.disable_invalid_silences(at=at):
                log.warning("disabled stored silence %s: %s", silence_id, reason)
        except AlertsError as exc:
            self.metrics.store_failures.inc()
            log.warning("cannot check stored silences: %s", exc)
        if restored and not self._alerts:
            self._alerts = restored
            for sent in self._sent.values():
                for alert in restored:
                    if alert.status == "firing":
                        sent[alert.fingerprint] = alert.fired_at or at
            log.info("restored %d open alerts from the history", len(restored))

    def _refresh_silences(self, store: AlertStore, at: datetime) -> None:
        try:
            silences = store.silences(ended_after=at - SILENCE_RETENTION)
        except AlertsError as exc:
            self.metrics.store_failures.inc()
            log.warning("cannot read silences, using the cached ones: %s", exc)
            return
        with self._lock:
            self._silences = silences

    def _muted(self, alerts: Sequence[Alert], at: datetime) -> dict[str, str]:
        muted: dict[str, str] = {}
        silences = self._silences
        for alert in alerts:
            ids = muting(silences, alert.labels, at)
            if ids:
                muted[alert.fingerprint] = "silence:" + ",".join(ids)
                continue
            flow = self.rules.catalog.flow(alert.label("flow"))
            window = active_window(flow.maintenance, at) if flow is not None else None
            if window is not None:
                muted[alert.fingerprint] = "maintenance: " + (window.reason or window.rrule)
                continue
            declared = self._declared(alert.label("flow"), at) if self._declared else None
            if declared is not None:
                muted[alert.fingerprint] = "maintenance: " + declared
        return muted

    def _record(self, store: AlertStore | None, transitions: Sequence[Transition],
                muted: dict[str, str]) -> None:
        pending = self._unwritten + [(t, muted.get(t.fingerprint, "")) for t in transitions]
        if not pending:
            return
        if store is not None:
            try:
                store.record([t for t, _ in pending],
                             {t.fingerprint: m for t, m in pending if m})
                self._unwritten = []
                return
            except AlertsError as exc:
                self.metrics.store_failures.inc()
                log.warning("cannot record %d alert transitions, will retry: %s",
                            len(pending), exc)
        self._unwritten = pending[-self.max_unwritten:]

    def _notify(self, evaluation: Evaluation, muted: dict[str, str], at: datetime) -> None:
        for dispatcher in self.dispatchers:
            sent = self._sent[dispatcher.channel]
            for fp in dispatcher.take_failed():
                sent.pop(fp, None)
            plan = plan_notifications(evaluation.alerts, muted=muted, at=at, sent=sent,
                                      policy=dispatcher.notifier.policy)
            self._sent[dispatcher.channel] = dict(plan.sent)
            dispatcher.submit(plan.notifications, at)

    # -- thread ----------------------------------------------------------------------------

    def start(self) -> None:
        """Start the dispatchers and the evaluation thread (once)."""
        if self._thread is not None:
            return
        for dispatcher in self.dispatchers:
            dispatcher.start()
        self._thread = threading.Thread(target=self._run, name="flowscope-alerts", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop evaluating and delivering."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        for dispatcher in self.dispatchers:
            dispatcher.stop(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.evaluate()
            except Exception:  # keep evaluating whatever went wrong this time
                self.metrics.evaluations.labels("error").inc()
                log.exception("alert evaluation failed")
            if self._stop.wait(self.interval):
                return
