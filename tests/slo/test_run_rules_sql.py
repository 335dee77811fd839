"""The run ledger applies the run rules exactly as :mod:`slo.runs` states them (property test).

Random runs (start, success, failure, dead letter, each present or not, on whole minutes so
ties happen) are stored in two inserts split at random, the ledger follows each, then the
per-run determinations it stored are compared with :func:`slo.runs.determination`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slo.ledger import ensure_current
from slo.rings import from_ns
from slo.runs import Determination, RunTimes, determination
from tests.slo.conftest import AT, Recorder, catalog_flow, flow_name
from warehouse.port import Warehouse

THRESHOLD = timedelta(minutes=2)
offsets = st.one_of(st.none(), st.integers(min_value=-8, max_value=2))
run_times = st.tuples(offsets, offsets, offsets, offsets)


def moment(offset: int | None) -> datetime | None:
    return None if offset is None else AT + timedelta(minutes=offset)


def sql_determinations(wh: Warehouse, flow: str) -> dict[str, tuple[Determination | None, ...]]:
    """Per run, mode 0 and mode 1 (the 2-minute threshold) as the ledger stored them: each
    determination lies in the row of its minute, as microseconds into it plus one."""
    ensure_current(wh, [catalog_flow(flow)])
    found: dict[str, list[Determination | None]] = {}
    rows = wh.query("SELECT CorrelationId, toInt64(toUnixTimestamp(Minute)), Det, Good "
                    "FROM run_ledger FINAL WHERE Flow = {flow:String}", {"flow": flow})
    for cid, minute, dets, goods in rows:
        modes = found.setdefault(str(cid), [None, None])
        for m, (det, good) in enumerate(zip(dets, goods, strict=True)):
            if det:
                modes[m] = Determination(from_ns((minute * 1_000_000 + det - 1) * 1000),
                                         bool(good))
    return {cid: tuple(modes) for cid, modes in found.items()}


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(runs=st.lists(run_times, min_size=1, max_size=6), split=st.randoms())
def test_sql_determinations_match_the_python_rules(migrated: Warehouse,
                                                   runs: list[tuple[int | None, ...]],
                                                   split: object) -> None:
    recorder = Recorder(migrated, flow_name())
    items = []
    expected = {}
    for i, (start, success, failure, dead) in enumerate(runs):
        cid = f"R{i}"
        times = RunTimes(moment(start), moment(success), moment(failure), moment(dead))
        expected[cid] = (determination(times, dead_letter_fails=True),
                         determination(times, threshold=THRESHOLD, dead_letter_fails=True))
        for kind, at in (("start", times.start), ("success", times.success),
                         ("failure", times.failure), ("dead", times.dead_letter)):
            if at is not None:
                items.append((cid, kind, at))
    split.shuffle(items)  # type: ignore[attr-defined]
    half = len(items) // 2
    for chunk in (items[:half], items[half:]):
        sql_determinations(migrated, recorder.flow)  # the ledger follows each insert
        with recorder.batch():
            for cid, kind, at in chunk:
                if kind == "start":
                    recorder.start(cid, at)
                elif kind == "success":
                    recorder.success(cid, at)
                elif kind == "failure":
                    recorder.failure(cid, at)
                else:
                    recorder.event(cid, "OrderDeadLettered", at, service="erp-sync")
    found = sql_determinations(migrated, recorder.flow)
    stored = {cid: value for cid, value in expected.items()
              if any(item[0] == cid for item in items) and value != (None, None)}
    assert found == stored
