"""The record of manual replays: attempts per run, and the first answer per Idempotency-Key
(adapter over ``replay_attempts`` and ``replay_requests``, see
``warehouse/schema/013_operations.sql``).

Attempts are read by run (a page of dead letters at a time: point lookups on the table's
order); answers by flow and key. Every value is a bound parameter. Raises
:class:`~warehouse.errors.WarehouseError` when the warehouse fails.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import pyarrow as pa

from warehouse.port import Warehouse

AttemptOutcome = Literal["accepted", "failed"]


@dataclass(frozen=True)
class ReplayAttempt:
    """One call to a flow's replay URL for run ``correlation_id``: when, by whom, for which
    failing ``step``, and its outcome (``status`` 0 when no HTTP answer came; ``error`` says
    why it failed, "" when accepted)."""

    flow: str
    correlation_id: str
    at: datetime
    attempt_id: str
    idempotency_key: str
    actor: str
    step: str
    outcome: AttemptOutcome
    status: int
    latency_ms: int
    error: str = ""


@dataclass(frozen=True)
class StoredAnswer:
    """The first answer given to an Idempotency-Key: HTTP ``status`` and JSON ``body`` text,
    for ``target`` (a run id, or ``bulk``), given to ``actor`` at ``created``."""

    status: int
    body: str
    target: str
    actor: str
    created: datetime


_ATTEMPTS = pa.schema([
    ("Flow", pa.string()), ("CorrelationId", pa.string()), ("At", pa.timestamp("ms", tz="UTC")),
    ("AttemptId", pa.string()), ("IdempotencyKey", pa.string()), ("Actor", pa.string()),
    ("Step", pa.string()), ("Outcome", pa.string()), ("Status", pa.uint16()),
    ("LatencyMs", pa.uint32()), ("Error", pa.string())])


def record_attempt(wh: Warehouse, attempt: ReplayAttempt) -> None:
    """Store one attempt."""
    wh.insert_arrow("replay_attempts", pa.Table.from_pylist([{
        "Flow": attempt.flow, "CorrelationId": attempt.correlation_id, "At": attempt.at,
        "AttemptId": attempt.attempt_id, "IdempotencyKey": attempt.idempotency_key,
        "Actor": attempt.actor, "Step": attempt.step, "Outcome": attempt.outcome,
        "Status": attempt.status, "LatencyMs": attempt.latency_ms, "Error": attempt.error,
    }], schema=_ATTEMPTS), dedup_token=f"replay:{attempt.attempt_id}")


def attempts_of(wh: Warehouse, flow: str, runs: Sequence[str]
                ) -> dict[str, tuple[ReplayAttempt, ...]]:
    """The attempts of each of ``runs`` of ``flow`` (oldest first); runs without any are
    left out."""
    if not runs:
        return {}
    rows = wh.query(
        f"SELECT CorrelationId, At, AttemptId, IdempotencyKey, Actor, Step, Outcome, Status, "  # noqa: S608
        f"LatencyMs, Error FROM {wh.database}.replay_attempts WHERE Flow = {{flow:String}} "
        "AND CorrelationId IN {runs:Array(String)} ORDER BY CorrelationId, At, AttemptId "
        "LIMIT 1 BY AttemptId", {"flow": flow, "runs": sorted(set(runs))})
    found: dict[str, list[ReplayAttempt]] = {}
    for cid, at, attempt_id, key, actor, step, outcome, status, latency, error in rows:
        found.setdefault(str(cid), []).append(ReplayAttempt(
            flow, str(cid), _aware(at), str(attempt_id), str(key), str(actor), str(step),
            "accepted" if outcome == "accepted" else "failed", int(status), int(latency),
            str(error)))
    return {cid: tuple(found[cid]) for cid in found}


def attempts_since(wh: Warehouse, flow: str, since: datetime) -> list[datetime]:
    """When each attempt of ``flow`` made at or after ``since`` was made (oldest first)."""
    rows = wh.query(
        f"SELECT At FROM {wh.database}.replay_attempts WHERE Flow = {{flow:String}} "  # noqa: S608
        "AND At >= {since:DateTime64(3, 'UTC')} ORDER BY At LIMIT 100000",
        {"flow": flow, "since": since})
    return [_aware(r[0]) for r in rows]


def first_answer(wh: Warehouse, flow: str, key: str) -> StoredAnswer | None:
    """The answer first given to Idempotency-Key ``key`` of ``flow``, or ``None``."""
    rows = wh.query(
        f"SELECT Status, Answer, Target, Actor, CreatedAt "  # noqa: S608
        f"FROM {wh.database}.replay_requests WHERE Flow = {{flow:String}} "
        "AND IdempotencyKey = {key:String} ORDER BY CreatedAt LIMIT 1",
        {"flow": flow, "key": key})
    if not rows:
        return None
    status, body, target, actor, created = rows[0]
    return StoredAnswer(int(status), str(body), str(target), str(actor), _aware(created))


def store_answer(wh: Warehouse, flow: str, key: str, answer: StoredAnswer) -> None:
    """Keep ``answer`` as the one given to Idempotency-Key ``key`` of ``flow``."""
    wh.command(
        f"INSERT INTO {wh.database}.replay_requests (Flow, IdempotencyKey, CreatedAt, Actor, "  # noqa: S608
        "Target, Status, Answer) VALUES ({flow:String}, {key:String}, "
        "{created:DateTime64(3, 'UTC')}, {actor:String}, {target:String}, {status:UInt16}, "
        "{body:String})",
        {"flow": flow, "key": key, "created": answer.created, "actor": answer.actor,
         "target": answer.target, "status": answer.status, "body": answer.body})


def _aware(moment: object) -> datetime:
    if isinstance(moment, datetime):
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(moment)).replace(tzinfo=UTC)
