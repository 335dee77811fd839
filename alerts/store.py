"""Alert history and silences in ClickHouse (tables of ``warehouse/schema/006_alerts.sql``).

A thin adapter over :class:`warehouse.port.Warehouse`: values travel as bound parameters or
Arrow columns, table names come from this module. Every :class:`~warehouse.errors.WarehouseError`
becomes :class:`~alerts.errors.AlertStoreError`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa

from alerts.errors import AlertStoreError, SilenceError
from alerts.model import STATUSES, Alert, AlertStatus, Labels, Transition, labels_of
from alerts.silences import EARLIEST, LATEST, LabelMatcher, Silence, parse_matcher
from warehouse.errors import WarehouseError, public_message
from warehouse.port import Warehouse

TRANSITIONS = "alert_transitions"
SILENCES = "alert_silences"
_MS = pa.timestamp("ms", tz="UTC")
_MAP = pa.map_(pa.string(), pa.string())
_MILLISECOND = timedelta(milliseconds=1)


@dataclass(frozen=True)
class HistoryEntry:
    """A recorded transition and why its notifications were muted then (``""``: not muted)."""

    transition: Transition
    muted: str = ""


def _utc(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _maybe_utc(value: Any) -> datetime | None:
    return None if value is None else _utc(value)


def _status(value: Any) -> AlertStatus:
    return next((s for s in STATUSES if s == value), "inactive")


def _labels(value: Any) -> Labels:
    return labels_of(dict(value or {}))


class AlertStore:
    """Reads and writes alert history and silences in ``wh``'s database."""

    def __init__(self, wh: Warehouse) -> None:
        self.wh = wh

    @contextmanager
    def _translated(self, action: str) -> Iterator[None]:
        try:
            yield
        except WarehouseError as exc:
            raise AlertStoreError(f"cannot {action}: {exc}",
                                  public=f"cannot {action}: {public_message(exc)}") from exc

    def _table(self, name: str) -> str:
        return f"{self.wh.database}.{name}"

    # -- history ---------------------------------------------------------------------------

    def record(self, transitions: Sequence[Transition], muted: Mapping[str, str]) -> None:
        """Append ``transitions``; ``muted`` maps a fingerprint to why it was muted."""
        if not transitions:
            return
        rows = list(transitions)

        def label(t: Transition, name: str) -> str:
            return dict(t.labels).get(name, "")

        table = pa.table({
            "At": pa.array([t.at for t in rows], _MS),
            "Fingerprint": [t.fingerprint for t in rows],
            "Rule": [t.rule for t in rows],
            "AlertName": [label(t, "alertname") for t in rows],
            "Flow": [label(t, "flow") for t in rows],
            "Slo": [label(t, "slo") for t in rows],
            "Severity": [label(t, "severity") for t in rows],
            "FromState": [t.from_status for t in rows],
            "ToState": [t.to_status for t in rows],
            "Value": pa.array([t.value for t in rows], pa.float64()),
            "ForSeconds": [t.for_duration.total_seconds() for t in rows],
            "ActiveSince": pa.array([t.active_since for t in rows], _MS),
            "FiredAt": pa.array([t.fired_at for t in rows], _MS),
            "Labels": pa.array([list(t.labels) for t in rows], _MAP),
            "Annotations": pa.array([list(t.annotations) for t in rows], _MAP),
            "Muted": [muted.get(t.fingerprint, "") for t in rows],
        })
        with self._translated("record alert transitions"):
            self.wh.insert_arrow(TRANSITIONS, table)

    def history(self, *, since: datetime, flow: str | None = None, limit: int = 100
                ) -> list[HistoryEntry]:
        """Transitions at or after ``since`` (of ``flow`` when given), newest first.

        ``since`` is clamped to what the table can hold (1970 to 2200)."""
        since = min(max(since, EARLIEST), LATEST)
        sql = (
            "SELECT At, Fingerprint, Rule, Labels, Annotations, FromState, ToState, Value, "  # noqa: S608
            "ForSeconds, ActiveSince, FiredAt, Muted "
            f"FROM {self._table(TRANSITIONS)} "
            "WHERE At >= {since:DateTime64(3, 'UTC')} AND ({flow:String} = '' OR Flow = "
            "{flow:String}) ORDER BY At DESC, Fingerprint LIMIT {limit:UInt32}"
        )
        with self._translated("read alert history"):
            rows = self.wh.query(sql, {"since": since, "flow": flow or "", "limit": limit})
        return [HistoryEntry(Transition(
            fingerprint=str(fp), rule=str(rule), labels=_labels(labels),
            annotations=_labels(annotations), from_status=_status(old), to_status=_status(new),
            at=_utc(at), value=None if value is None else float(value),
            for_duration=timedelta(seconds=float(for_s)), active_since=_maybe_utc(since_),
            fired_at=_maybe_utc(fired)), str(muted))
            for (at, fp, rule, labels, annotations, old, new, value, for_s, since_, fired,
                 muted) in rows]

    def restore(self, *, since: datetime) -> tuple[Alert, ...]:
        """Alerts whose latest transition after ``since`` left them pending or firing."""
        since = min(max(since, EARLIEST), LATEST)
        sql = (
            "SELECT Fingerprint, argMax(ToState, At) AS state, argMax(Rule, At), "  # noqa: S608
            "argMax(Labels, At), argMax(Annotations, At), argMax(Value, At), "
            "argMax(ForSeconds, At), argMax(ActiveSince, At), argMax(FiredAt, At), max(At) "
            f"FROM {self._table(TRANSITIONS)} "
            "WHERE At >= {since:DateTime64(3, 'UTC')} GROUP BY Fingerprint "
            "HAVING state IN ('pending', 'firing') ORDER BY Fingerprint"
        )
        with self._translated("restore alerts"):
            rows = self.wh.query(sql, {"since": since})
        return tuple(Alert(
            fingerprint=str(fp), rule=str(rule), labels=_labels(labels),
            annotations=_labels(annotations), status=_status(state),
            for_duration=timedelta(seconds=float(for_s)), active_since=_maybe_utc(active),
            fired_at=_maybe_utc(fired), resolved_at=None, updated_at=_utc(last),
            value=None if value is None else float(value))
            for fp, state, rule, labels, annotations, value, for_s, active, fired, last in rows)

    # -- silences --------------------------------------------------------------------------

    def _write_silence(self, s: Silence, *, updated_at: datetime, deleted: bool) -> None:
        table = pa.table({
            "Id": [s.id],
            "MatcherNames": [[m.name for m in s.matchers]],
            "MatcherOps": [[m.op for m in s.matchers]],
            "MatcherValues": [[m.value for m in s.matchers]],
            "StartsAt": pa.array([s.starts_at], _MS),
            "EndsAt": pa.array([s.ends_at], _MS),
            "CreatedBy": [s.created_by],
            "Comment": [s.comment],
            "CreatedAt": pa.array([s.created_at or updated_at], _MS),
            "UpdatedAt": pa.array([updated_at], _MS),
            "Deleted": pa.array([1 if deleted else 0], pa.uint8()),
        })
        with self._translated("write a silence"):
            self.wh.insert_arrow(SILENCES, table)

    def add_silence(self, silence: Silence) -> None:
        """Store a new silence."""
        self._write_silence(silence, updated_at=silence.created_at or silence.starts_at,
                            deleted=False)

    def _latest(self, where: str, parameters: Mapping[str, Any]
                ) -> tuple[list[tuple[Silence, datetime]], list[tuple[Silence, str]]]:
        """Live silences matching ``where`` with their last update, and those whose matchers
        no longer pass :func:`~alerts.silences.parse_matcher` with why (e.g. a regular
        expression stored before patterns were compiled by RE2)."""
        sql = (
            "SELECT Id, argMax(MatcherNames, UpdatedAt), argMax(MatcherOps, UpdatedAt), "  # noqa: S608
            "argMax(MatcherValues, UpdatedAt), argMax(StartsAt, UpdatedAt), "
            "argMax(EndsAt, UpdatedAt) AS ends, argMax(CreatedBy, UpdatedAt), "
            "argMax(Comment, UpdatedAt), argMax(CreatedAt, UpdatedAt), max(UpdatedAt), "
            "argMax(Deleted, UpdatedAt) AS deleted "
            f"FROM {self._table(SILENCES)} "
            f"GROUP BY Id HAVING deleted = 0 AND {where} ORDER BY Id"
        )
        with self._translated("read silences"):
            rows = self.wh.query(sql, parameters)
        found = []
        invalid = []
        for sid, names, ops, values, starts, ends, by, comment, created, updated, _ in rows:
            triples = list(zip(names, ops, values, strict=True))
            reason = ""
            try:
                matchers = [parse_matcher(str(n), str(o), str(v)) for n, o, v in triples]
            except SilenceError as exc:
                reason = str(exc)
                matchers = [LabelMatcher(str(n), "=", str(v)) for n, _, v in triples]
            silence = Silence(id=str(sid), matchers=tuple(matchers), starts_at=_utc(starts),
                              ends_at=_utc(ends), created_by=str(by), comment=str(comment),
                              created_at=_utc(created))
            if reason:
                invalid.append((silence, reason))
            else:
                found.append((silence, _utc(updated)))
        return found, invalid

    def silences(self, *, ended_after: datetime) -> tuple[Silence, ...]:
        """Silences not deleted that end after ``ended_after`` (pending, active, and expired
        ones that ended since then), by id."""
        ended_after = min(max(ended_after, EARLIEST), LATEST)
        rows, _ = self._latest("ends > {after:DateTime64(3, 'UTC')}", {"after": ended_after})
        return tuple(s for s, _ in rows)

    def disable_invalid_silences(self, *, at: datetime) -> tuple[tuple[str, str], ...]:
        """Delete (at ``at``) every stored silence whose matchers are no longer accepted;
        returns their ids and why, so the caller can log them. Run at start-up: a silence
        stored by an older version can then never stall evaluation or be half-applied."""
        _, invalid = self._latest("1", {})
        for silence, _ in invalid:
            self._write_silence(silence, updated_at=at, deleted=True)
        return tuple((s.id, reason) for s, reason in invalid)

    def delete_silence(self, silence_id: str, *, at: datetime) -> bool:
        """Delete silence ``silence_id`` at ``at``; False when no such silence exists."""
        rows, _ = self._latest("Id = {id:String}", {"id": silence_id})
        if not rows:
            return False
        silence, updated = rows[0]
        self._write_silence(silence, updated_at=max(at, updated + _MILLISECOND), deleted=True)
        return True
