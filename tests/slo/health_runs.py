"""The runs the flow-health tests store (and the on-call read model's): eight orders around
:data:`tests.slo.conftest.AT`, with a retry, an error span, failures and dead letters."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.slo.conftest import AT, Recorder

S = timedelta(seconds=1)


def ago(minutes: float) -> datetime:
    """``minutes`` before :data:`~tests.slo.conftest.AT`."""
    return AT - timedelta(minutes=minutes)


def store_health_runs(r: Recorder) -> None:
    """Within the hour before AT: R1 and R2 succeed (R2 after a retried charge), R3 fails (an
    error span, then a failure), R4 is dead-lettered at its last step, R5 is still running, R6
    (started earlier) succeeds. Before it: R7 was dead-lettered and replayed to success, R8
    dead-lettered and still waiting."""
    with r.batch():
        for i, cid in enumerate(("R1", "R2", "R3", "R4", "R5")):
            r.start(cid, ago(50 - 5 * i))
        r.success("R1", ago(49))
        r.success("R2", ago(44))
        r.failure("R3", ago(39))
        r.start("R6", ago(120))
        r.success("R6", ago(30))
        r.start("R7", ago(185))
        r.event("R7", "OrderDeadLettered", ago(180), service="erp-sync")
        r.success("R7", ago(150))
        r.start("R8", ago(95))
        r.event("R8", "OrderDeadLettered", ago(90), service="erp-sync")
    for i, cid in enumerate(("R1", "R2", "R3", "R4", "R5")):
        r.span(cid, "storefront", "checkout", ago(50 - 5 * i) + S)
    for cid in ("R1", "R2", "R4"):
        r.span(cid, "payments", "charge", ago(40))
    r.span("R2", "payments", "charge", ago(39))  # a second attempt: a retry
    r.span("R3", "payments", "charge", ago(39.5), error=True)
    r.span("R4", "erp-sync", "erp-sync.dlq", ago(20))
