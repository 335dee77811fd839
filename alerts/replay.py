"""Manual replays of a flow's failed and dead-lettered runs, with guardrails.

:meth:`ReplayService.replay` sends one run to the flow's ``replay.url`` (catalog) as a signed
POST (:mod:`alerts.signed_call`), naming the flow, the run, its failing step and its search
keys (:func:`replay_body`); :meth:`ReplayService.replay_bulk` does it for the oldest waiting
dead letters matching a filter, at most ``limit`` (:data:`MAX_BULK`) of them, answering per
run. Guardrails, in order:

1. **Idempotency.** Every request carries an ``Idempotency-Key`` (at most
   :data:`MAX_KEY_CHARS` printable characters). The first answer that made a call is stored
   (``replay_requests``) and given again, without a call, to every later request with the
   same key, across restarts; the same key for another run is refused (409). Requests with one
   key are handled one at a time in a process.
2. **What may be replayed.** A run the flow's ledger knows (else 404) that failed or waits in
   the dead-letter queue (else 409: a succeeded or still running run needs no replay).
3. **Configuration.** The flow declares ``replay`` (else 409) and its secret's environment
   variable is set on the server (else 503).
4. **Rate.** At most ``replay.max_per_minute`` calls per flow in any 60 s (the calls of the last
   minute are read back after a restart), else 429 with ``Retry-After``.

Every call is recorded with its outcome (``replay_attempts``: accepted on a 2xx, else failed
with the status or why no answer came, and the latency), and every replay, repeat and refusal
goes to the audit trail (``replay.sent``, ``replay.repeated``, ``replay.refused``,
``replay.bulk``) with who, what and the outcome. A call whose receiver fails is answered 502
(the run stays in the queue, the attempt listed); the run leaves the queue when its success
arrives (:mod:`slo.dead_letters`).
"""

from __future__ import annotations

import json
import math
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from alerts.errors import OperationRefused
from alerts.operations import Audit, OperatorService, Post
from alerts.signed_call import post_signed
from catalog.errors import ParameterError
from catalog.model import Catalog, Flow, ReplayTarget
from slo.dead_letters import DeadLetter, dead_letter_details, read_queue
from slo.errors import RollupsNotReady
from slo.replay_log import (
    ReplayAttempt,
    StoredAnswer,
    attempts_since,
    first_answer,
    record_attempt,
    store_answer,
)
from slo.run_states import run_states
from warehouse.errors import WarehouseError, WarehouseUnavailable
from warehouse.port import Warehouse

IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_KEY_CHARS = 200
"""Longest Idempotency-Key accepted, in characters."""
MAX_BULK = 100
"""Most runs one bulk replay sends."""
REPLAYABLE = ("dead-lettered", "failed")
"""Run states a replay may be sent for."""
RATE_WINDOW = timedelta(minutes=1)


@dataclass(frozen=True)
class Answer:
    """What a replay request is answered: HTTP ``status`` and JSON ``body``; ``repeated`` when
    it is the stored answer of an earlier request with the same key."""

    status: int
    body: dict[str, Any]
    repeated: bool = False
    headers: dict[str, str] = field(default_factory=dict)


def check_key(key: str | None) -> str:
    """The Idempotency-Key as sent, when usable; ParameterError naming the header otherwise."""
    if key is None or not key.strip():
        raise ParameterError(IDEMPOTENCY_HEADER, f"a replay needs an {IDEMPOTENCY_HEADER} "
                             "header (any unique text, e.g. a UUID): the same key never "
                             "replays twice")
    if len(key) > MAX_KEY_CHARS:
        raise ParameterError(IDEMPOTENCY_HEADER, f"the {IDEMPOTENCY_HEADER} header may have at "
                             f"most {MAX_KEY_CHARS} characters; got {len(key):,}")
    if not key.isprintable():
        raise ParameterError(IDEMPOTENCY_HEADER, f"the {IDEMPOTENCY_HEADER} header must be "
                             "printable text")
    return key


def check_limit(limit: int | None) -> int:
    """A bulk replay's ``limit`` (1 to :data:`MAX_BULK`); ParameterError otherwise."""
    if limit is None or not 1 <= limit <= MAX_BULK:
        raise ParameterError("limit", f"a bulk replay needs a limit from 1 to {MAX_BULK} (how "
                                      "many waiting dead letters to replay, oldest first)")
    return limit


class RateWindow:
    """Calls per flow in the last minute; thread-safe. A flow's window is ``seed`` ed once
    (the calls stored before a restart) before it is first used."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sent: dict[str, deque[datetime]] = {}

    def seeded(self, flow: str) -> bool:
        """True once ``flow``'s window was seeded."""
        with self._lock:
            return flow in self._sent

    def seed(self, flow: str, times: list[datetime]) -> None:
        """Start ``flow``'s window with the calls made at ``times`` (oldest first)."""
        with self._lock:
            self._sent.setdefault(flow, deque(sorted(times)))

    def take(self, flow: str, limit: int, at: datetime) -> int | None:
        """Count a call of ``flow`` at ``at`` and return ``None`` when fewer than ``limit``
        were made in the minute before; else the seconds until one leaves the window
        (nothing counted)."""
        with self._lock:
            sent = self._sent.setdefault(flow, deque())
            while sent and sent[0] <= at - RATE_WINDOW:
                sent.popleft()
            if len(sent) >= limit:
                return max(1, math.ceil((sent[0] + RATE_WINDOW - at).total_seconds()))
            sent.append(at)
            return None


def _time(ns: int | None) -> str | None:
    if ns is None:
        return None
    moment = datetime.fromtimestamp(ns / 1e9, UTC)
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def replay_body(flow: Flow, letter: DeadLetter, *, key: str, actor: str, attempt: int,
                sent_at: datetime, state: str) -> bytes:
    """The JSON body sent to the flow's replay URL (what the automation needs to re-run the
    run: the flow, the run and its correlation key, where it failed and why, its search keys;
    who asked, which attempt, and when, so a receiver can refuse old deliveries). Pure."""
    failing = letter.failing
    return json.dumps({
        "type": "flowscope.replay",
        "flow": flow.name,
        "run": letter.correlation_id,
        "correlation_key": flow.correlation_key,
        "state": state,
        "failing_step": None if failing is None else {
            "step": failing.step, "service": failing.service, "item": failing.item,
            "error": failing.error},
        "search_keys": {k: list(v) for k, v in sorted(letter.search_keys.items())},
        "dead_lettered_at": _time(letter.dead_lettered_at or None),
        "attempt": attempt,
        "idempotency_key": key,
        "requested_by": actor,
        "sent_at": sent_at.astimezone(UTC).isoformat(timespec="milliseconds")
        .replace("+00:00", "Z"),
    }, separators=(",", ":"), sort_keys=True).encode()


class ReplayService(OperatorService):
    """Replays runs of ``catalog``'s flows (module docstring); ``secrets`` are the flows'
    replay secrets (the values of their ``replay.secret_env``)."""

    def __init__(self, catalog: Catalog, warehouse: Callable[[], Warehouse | None], *,
                 secrets: Mapping[str, bytes], audit: Audit, clock: Callable[[], datetime],
                 post: Post = post_signed) -> None:
        super().__init__(catalog, warehouse, secrets=secrets, audit=audit, clock=clock,
                         post=post)
        self._rates = RateWindow()
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._locks_lock = threading.Lock()

    # -- public --------------------------------------------------------------------------

    def replay(self, flow_name: str, run: str, key: str, *, actor: str, remote: str = ""
               ) -> Answer:
        """Replay run ``run`` of flow ``flow_name`` under Idempotency-Key ``key``. Raises
        :class:`~alerts.errors.OperationRefused` (audited) when it may not be done."""
        with self._audited(actor, f"{flow_name}/{run}", key, remote):
            flow, target, wh = self._replayable(flow_name)
            with self._one_at_a_time(flow.name, key):
                stored = first_answer(wh, flow.name, key)
                if stored is not None:
                    return self._repeat(flow, stored, run, key, actor, remote)
                answer = self._replay_run(wh, flow, target, run, key, actor, remote)
                self._store(wh, flow, key, run, actor, answer)
                return answer

    def replay_bulk(self, flow_name: str, *, limit: int, q: str, key: str, actor: str,
                    remote: str = "") -> Answer:
        """Replay the ``limit`` oldest waiting dead letters of ``flow_name`` matching ``q``,
        each once, under Idempotency-Key ``key``; the answer lists what happened per run."""
        with self._audited(actor, f"{flow_name}/dead-letters", key, remote):
            flow, target, wh = self._replayable(flow_name)
            with self._one_at_a_time(flow.name, key):
                stored = first_answer(wh, flow.name, key)
                if stored is not None:
                    return self._repeat(flow, stored, "bulk", key, actor, remote)
                answer = self._bulk(wh, flow, target, limit, q, key, actor, remote)
                if any(r.get("result") in ("accepted", "failed") for r in answer.body["results"]):
                    self._store(wh, flow, key, "bulk", actor, answer)
                return answer

    def deny(self, flow_name: str, run: str, *, actor: str, remote: str, why: str) -> None:
        """Record a replay refused before it reached this service (a page session without the
        ``operate`` scope)."""
        self._refused(OperationRefused(403, why, reason="scope"), actor, f"{flow_name}/{run}",
                      "", remote)

    # -- steps ---------------------------------------------------------------------------

    def _replayable(self, flow_name: str) -> tuple[Flow, ReplayTarget, Warehouse]:
        flow = self._flow(flow_name)
        if flow.replay is None:
            raise OperationRefused(409, f"flow {flow.name} declares no replay target: add "
                                   "replay: {url: ..., secret_env: ...} to it in the catalog",
                                   reason="no replay target")
        return flow, flow.replay, self._ready()

    @contextmanager
    def _audited(self, actor: str, target: str, key: str, remote: str) -> Iterator[None]:
        """Audit a refusal raised inside, and a warehouse failure as one (the failure itself is
        raised on, for the app's error boundary to answer like on every route: 503 while the
        warehouse is unavailable, 500 for a query that failed)."""
        try:
            yield
        except OperationRefused as exc:
            self._refused(exc, actor, target, key, remote)
            raise
        except WarehouseError as exc:
            unavailable = isinstance(exc, WarehouseUnavailable)
            refused = OperationRefused(503 if unavailable else 500,
                                       "replays cannot be read or recorded now",
                                       reason="warehouse unavailable" if unavailable
                                       else "warehouse failed")
            self._refused(refused, actor, target, key, remote)
            raise

    @contextmanager
    def _one_at_a_time(self, flow: str, key: str) -> Iterator[None]:
        with self._locks_lock:
            lock = self._locks.setdefault((flow, key), threading.Lock())
            if len(self._locks) > 10_000:
                self._locks = {k: v for k, v in self._locks.items() if v.locked()}
                self._locks[(flow, key)] = lock
        with lock:
            yield

    def _secret(self, flow: Flow, target: ReplayTarget) -> bytes:
        secret = self._secrets.get(flow.name)
        if not secret:
            raise OperationRefused(503, f"replays of {flow.name} cannot be signed: the "
                                   f"environment variable {target.secret_env} is not set on "
                                   "the server", reason="no secret")
        return secret

    def _rate(self, wh: Warehouse, flow: Flow, target: ReplayTarget, at: datetime
              ) -> int | None:
        if not self._rates.seeded(flow.name):
            self._rates.seed(flow.name, attempts_since(wh, flow.name, at - RATE_WINDOW))
        return self._rates.take(flow.name, target.max_per_minute, at)

    def _replay_run(self, wh: Warehouse, flow: Flow, target: ReplayTarget, run: str, key: str,
                    actor: str, remote: str) -> Answer:
        try:
            state = run_states(wh, flow, [run]).get(run)
        except RollupsNotReady as exc:
            raise OperationRefused(503, str(exc), reason="rollups not ready",
                                   retry_after_s=30) from exc
        if state is None:
            raise OperationRefused(404, f"flow {flow.name} has no run {run[:60]!r}",
                                   reason="unknown run")
        if state.state not in REPLAYABLE:
            raise OperationRefused(409, f"run {run[:60]!r} of {flow.name} is {state.state}: "
                                   "only failed or dead-lettered runs are replayed",
                                   reason=f"run {state.state}")
        secret = self._secret(flow, target)
        at = self._clock()
        retry = self._rate(wh, flow, target, at)
        if retry is not None:
            raise OperationRefused(429, f"{flow.name} allows {target.max_per_minute} replays "
                                   f"a minute (replay.max_per_minute); try again in {retry} s",
                                   reason="rate limited", retry_after_s=retry)
        letter = dead_letter_details(wh, flow, [(run, 0, None)])[0]
        attempt = self._call(wh, flow, target, secret, letter, key, actor, remote, at,
                             state.state)
        return Answer(200 if attempt.outcome == "accepted" else 502, {
            "flow": flow.name, "run": run, **_attempt_json(attempt),
            "attempt": len(letter.replays) + 1, "idempotency_key": key})

    def _bulk(self, wh: Warehouse, flow: Flow, target: ReplayTarget, limit: int, q: str,
              key: str, actor: str, remote: str) -> Answer:
        try:
            page = read_queue(wh, flow, "waiting", q=q, limit=check_limit(limit))
        except RollupsNotReady as exc:
            raise OperationRefused(503, str(exc), reason="rollups not ready",
                                   retry_after_s=30) from exc
        secret = self._secret(flow, target) if page.items else b""
        results: list[dict[str, Any]] = []
        waited: int | None = None
        for letter in page.items:
            at = self._clock()
            waited = waited or self._rate(wh, flow, target, at)
            if waited is not None:
                results.append({"run": letter.correlation_id, "result": "rate_limited",
                                "retry_after": waited})
                self._refused(OperationRefused(429, "rate limited", reason="rate limited"),
                              actor, f"{flow.name}/{letter.correlation_id}", key, remote)
                continue
            attempt = self._call(wh, flow, target, secret, letter, f"{key}#{letter.correlation_id}",
                                 actor, remote, at, "dead-lettered")
            results.append({"run": letter.correlation_id, **_attempt_json(attempt)})
        self._audit("replay.bulk", actor=actor, target=f"{flow.name}/dead-letters", detail={
            "idempotency_key": key, "q": q, "limit": limit, "selected": len(results),
            "accepted": sum(r["result"] == "accepted" for r in results),
            "failed": sum(r["result"] == "failed" for r in results),
            "rate_limited": sum(r["result"] == "rate_limited" for r in results)}, remote=remote)
        limited = bool(results) and all(r["result"] == "rate_limited" for r in results)
        headers = {"Retry-After": str(waited)} if limited and waited else {}
        return Answer(429 if limited else 200, {
            "flow": flow.name, "idempotency_key": key, "limit": limit, "q": q,
            "waiting": page.total, "selected": len(results), "results": results}, False, headers)

    def _call(self, wh: Warehouse, flow: Flow, target: ReplayTarget, secret: bytes,
              letter: DeadLetter, key: str, actor: str, remote: str, at: datetime,
              state: str) -> ReplayAttempt:
        number = len(letter.replays) + 1
        body = replay_body(flow, letter, key=key, actor=actor, attempt=number, sent_at=at,
                           state=state)
        outcome = self._post(target.url, body, secret=secret, timeout=target.timeout,
                             headers={IDEMPOTENCY_HEADER: key})
        step = (letter.failing.step or "") if letter.failing else ""
        attempt = ReplayAttempt(flow.name, letter.correlation_id, at, uuid.uuid4().hex, key,
                                actor, step, "accepted" if outcome.accepted else "failed",
                                outcome.status, outcome.latency_ms, outcome.error)
        record_attempt(wh, attempt)
        self._audit("replay.sent", actor=actor, target=f"{flow.name}/{letter.correlation_id}",
                    detail={"idempotency_key": key, "attempt": number, "step": step,
                            **_attempt_json(attempt)}, remote=remote)
        return attempt

    def _repeat(self, flow: Flow, stored: StoredAnswer, run: str, key: str, actor: str,
                remote: str) -> Answer:
        if stored.target != run:
            raise OperationRefused(409, f"this {IDEMPOTENCY_HEADER} was used for "
                                   f"{stored.target[:60]!r} of {flow.name}: use a new key for "
                                   "another request", reason="key reused")
        self._audit("replay.repeated", actor=actor, target=f"{flow.name}/{run}",
                    detail={"idempotency_key": key, "status": stored.status,
                            "first_by": stored.actor}, remote=remote)
        try:
            body = json.loads(stored.body)
        except ValueError:
            body = {}
        return Answer(stored.status, body if isinstance(body, dict) else {}, True)

    def _store(self, wh: Warehouse, flow: Flow, key: str, target: str, actor: str,
               answer: Answer) -> None:
        store_answer(wh, flow.name, key, StoredAnswer(
            answer.status, json.dumps(answer.body, separators=(",", ":")), target, actor,
            self._clock()))

    def _refused(self, exc: OperationRefused, actor: str, target: str, key: str,
                 remote: str) -> None:
        self._audit("replay.refused", actor=actor, target=target, detail={
            "idempotency_key": key, "status": exc.status, "reason": exc.reason,
            "message": str(exc)}, remote=remote)


def _attempt_json(attempt: ReplayAttempt) -> dict[str, Any]:
    return {"result": attempt.outcome, "status": attempt.status,
            "latency_ms": attempt.latency_ms, "error": attempt.error or None,
            "attempt_id": attempt.attempt_id,
            "at": attempt.at.astimezone(UTC).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z")}
