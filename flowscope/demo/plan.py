"""What the demo's services do: planned flow runs, as data. Pure (a seeded ``random.Random`` in).

A :class:`Run` is one business run planned in advance: every span (service, name, start and
end in Unix nanoseconds, ids, status) and every CloudEvent it will produce. The backfill
encodes runs into OTLP and CloudEvents batches with their historic timestamps
(:mod:`flowscope.demo.wire`); the live traffic replays them through the OpenTelemetry SDK as
their moments come (:mod:`flowscope.demo.traffic`). Both therefore show the same behaviour:

* **order-to-cash** (``order.id``): ``OrderPlaced`` → storefront ``checkout`` → payments charges
  the card at Stripe (retried up to 3 times) → erp-sync posts the invoice to NetSuite after a
  queue wait (dead-lettered after 3 refusals, then usually replayed by hand) → ``InvoicePosted``
  → warehouse reserves stock. ``PaymentFailed`` when the card is declined or Stripe is down.
* **lead-to-demo** (``lead.id``): ``LeadCaptured`` → web-form → crm upserts at HubSpot →
  calendar books a demo minutes later → ``DemoBooked`` (``LeadRejected`` for spam).
* **refund-to-ledger** (``refund.id``): support-desk ``refund.approve`` (the start span) →
  payments refunds at Stripe → accounting posts the journal at NetSuite in the next hourly
  batch → ``RefundPosted`` (``RefundRejected``, ``LedgerPostingFailed``).

Hop latencies are lognormal (median and shape per hop). During an *outage* (a Stripe incident,
:func:`in_outage`) 30 % of charges fail every attempt, which burns order-to-cash's budget fast
enough to page.

Runs starting before the demo's *release* (:func:`behaviour_at`, the instant is a parameter)
behave as :data:`BEFORE_RELEASE`: payments polls Stripe for slow charges (one more $0.30 call),
NetSuite refuses more invoice posts and answers slower, HubSpot rate-limits more often. So the
executive page's before/after comparison shows a higher success rate and a lower cost per
success after the release.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

NS = 1_000_000_000
"""Nanoseconds per second."""

INTERNAL, SERVER, CLIENT, PRODUCER, CONSUMER = 1, 2, 3, 4, 5
"""OTLP ``Span.SpanKind`` numbers."""

FLOWS = ("order-to-cash", "lead-to-demo", "refund-to-ledger")
SERVICES = (
    "storefront",
    "payments",
    "erp-sync",
    "warehouse",
    "web-form",
    "crm",
    "calendar",
    "support-desk",
    "accounting",
)

OUTAGE_FAILURE_SHARE = 0.30
"""Share of Stripe calls that fail on every attempt during an outage."""


@dataclass(frozen=True)
class PlannedSpan:
    """One span: times in Unix ns, ids as bytes (trace 16, span 8, parent 8 or empty)."""

    service: str
    name: str
    kind: int
    start_ns: int
    end_ns: int
    trace_id: bytes
    span_id: bytes
    parent_id: bytes
    error: str
    """Status message of a failed span; "" for a span that succeeded."""
    attributes: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class PlannedEvent:
    """One CloudEvent; ``key``/``correlation_id`` give the flow's correlation attribute."""

    type: str
    service: str
    time_ns: int
    event_id: str
    key: str
    correlation_id: str
    trace_id: bytes
    span_id: bytes


@dataclass(frozen=True)
class Run:
    """A planned flow run: its spans and events (any order) and how it ends."""

    flow: str
    correlation_id: str
    start_ns: int
    spans: tuple[PlannedSpan, ...]
    events: tuple[PlannedEvent, ...]
    outcome: str
    """"success", "failure", or "replayed" (dead-lettered, then replayed by hand)."""


@dataclass(frozen=True)
class Volume:
    """Runs per day on an average weekday, per flow."""

    orders: float = 2000.0
    leads: float = 400.0
    refunds: float = 120.0

    def scaled(self, factor: float) -> Volume:
        """The same mix, ``factor`` times as many runs."""
        return Volume(self.orders * factor, self.leads * factor, self.refunds * factor)


@dataclass(frozen=True)
class Behaviour:
    """How the services behave on one side of the demo's release (shares are 0..1, times in
    seconds). The release (``order-to-cash`` 2.5, ``lead-to-demo`` 1.4) is where
    :func:`behaviour_at` switches from :data:`BEFORE_RELEASE` to :data:`AFTER_RELEASE`."""

    stripe_poll_over_s: float | None
    """payments polls Stripe (``stripe.charges.retrieve``, one more priced call) for every
    charge whose answer took longer than this; ``None``: it waits for Stripe's webhook."""
    netsuite_refusal: float
    """Share of invoice posts NetSuite refuses (each attempt; erp-sync retries up to 3 times)."""
    netsuite_broken: float
    """Share of invoices NetSuite refuses on every attempt (dead-lettered)."""
    netsuite_median_s: float
    """Median seconds of one NetSuite invoice post."""
    hubspot_refusal: float
    """Share of HubSpot contact upserts refused with a rate limit (each attempt)."""
    hubspot_broken: float
    """Share of leads HubSpot refuses on every attempt (dead-lettered)."""


BEFORE_RELEASE = Behaviour(
    stripe_poll_over_s=0.5,
    netsuite_refusal=0.02,
    netsuite_broken=0.0003,
    netsuite_median_s=1.6,
    hubspot_refusal=0.10,
    hubspot_broken=0.008,
)
"""Before the release: about 24 % of charges polled (order-to-cash costs about 20 % more per
success), ten times the NetSuite refusals and half again the dead letters, a slower invoice
post; HubSpot refuses a tenth of upserts and dead-letters 0.8 % of leads (about 1.7 % of
leads end badly, against 1.0 % after)."""

AFTER_RELEASE = Behaviour(
    stripe_poll_over_s=None,
    netsuite_refusal=0.002,
    netsuite_broken=0.0002,
    netsuite_median_s=1.2,
    hubspot_refusal=0.03,
    hubspot_broken=0.002,
)
"""From the release on (and the live traffic): the demo's behaviour before releases existed."""


def behaviour_at(t_ns: int, release_ns: int | None) -> Behaviour:
    """:data:`AFTER_RELEASE` from ``release_ns`` (Unix ns) on, and always when it is ``None``;
    :data:`BEFORE_RELEASE` before it."""
    return AFTER_RELEASE if release_ns is None or t_ns >= release_ns else BEFORE_RELEASE


def in_outage(t_ns: int, outages: Sequence[tuple[int, int]]) -> bool:
    """True when ``t_ns`` falls in one of the ``[start, end)`` outage intervals (Unix ns)."""
    return any(start <= t_ns < end for start, end in outages)


def lognormal_s(rnd: random.Random, median_s: float, sigma: float) -> float:
    """A lognormal duration in seconds with the given median and shape."""
    return median_s * math.exp(rnd.gauss(0.0, sigma))


def hour_weight(t_ns: int) -> float:
    """Relative traffic at Unix time ``t_ns``: a daytime peak (14:00 UTC), quieter weekends."""
    hour = (t_ns // (3600 * NS)) % 24
    weekday = (t_ns // (86400 * NS) + 3) % 7  # 1970-01-01 was a Thursday; 5, 6 = Sat, Sun
    daily = 0.35 + 0.65 * math.exp(-(((hour - 14) / 4.5) ** 2))
    return daily * (0.55 if weekday >= 5 else 1.0)


MEAN_WEIGHT = sum(0.35 + 0.65 * math.exp(-(((h - 14) / 4.5) ** 2)) for h in range(24)) / 24


def poisson(rnd: random.Random, mean: float) -> int:
    """A Poisson draw (normal approximation above 50)."""
    if mean <= 0:
        return 0
    if mean > 50:
        return max(0, round(rnd.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, rnd.random()
    while p > limit:
        k += 1
        p *= rnd.random()
    return k


class RunBuilder:
    """Collects the spans and events of one run (one trace)."""

    def __init__(self, rnd: random.Random, flow: str, key: str, cid: str) -> None:
        self.rnd = rnd
        self.flow = flow
        self.key = key
        self.cid = cid
        self.trace_id = rnd.getrandbits(128).to_bytes(16, "big")
        self.spans: list[PlannedSpan] = []
        self.events: list[PlannedEvent] = []

    def span(
        self,
        service: str,
        name: str,
        kind: int,
        start_ns: int,
        seconds: float,
        parent: bytes = b"",
        error: str = "",
        attrs: dict[str, str] | None = None,
    ) -> PlannedSpan:
        span = PlannedSpan(
            service=service,
            name=name,
            kind=kind,
            start_ns=start_ns,
            end_ns=start_ns + max(1, int(seconds * NS)),
            trace_id=self.trace_id,
            span_id=self.rnd.getrandbits(64).to_bytes(8, "big"),
            parent_id=parent,
            error=error,
            attributes=((self.key, self.cid), *sorted((attrs or {}).items())),
        )
        self.spans.append(span)
        return span

    def event(self, type_: str, service: str, time_ns: int, span: PlannedSpan | None) -> None:
        self.events.append(
            PlannedEvent(
                type=type_,
                service=service,
                time_ns=time_ns,
                event_id=self.rnd.getrandbits(96).to_bytes(12, "big").hex(),
                key=self.key,
                correlation_id=self.cid,
                trace_id=self.trace_id if span else b"",
                span_id=span.span_id if span else b"",
            )
        )

    def calls(
        self,
        service: str,
        name: str,
        start_ns: int,
        parent: bytes,
        partner: str,
        median_s: float,
        fail_p: float,
        down: bool,
    ) -> tuple[bool, int]:
        """Up to 3 attempts at a partner; ``(succeeded, end_ns)``; ``down`` fails them all."""
        t = start_ns
        for attempt in range(1, 4):
            failed = down or self.rnd.random() < fail_p
            status = "503" if failed else "200"
            span = self.span(
                service,
                name,
                CLIENT,
                t,
                lognormal_s(self.rnd, median_s, 0.5),
                parent,
                f"{partner} answered {status}" if failed else "",
                {
                    "partner": partner,
                    "http.response.status_code": status,
                    "retry.attempt": str(attempt),
                },
            )
            t = span.end_ns
            if not failed:
                return True, t
            t += int(0.2 * 2**attempt * NS)
        return False, t

    def run(self, start_ns: int, outcome: str) -> Run:
        return Run(self.flow, self.cid, start_ns, tuple(self.spans), tuple(self.events), outcome)


def business_id(rnd: random.Random, prefix: str) -> str:
    return f"{prefix}-{rnd.randrange(10**9, 10**10)}"


def stretch(tr: RunBuilder, span: PlannedSpan, end_ns: int, error: str) -> None:
    """Replace ``span`` (a parent planned before its children): end at least ``end_ns``, status."""
    index = tr.spans.index(span)
    tr.spans[index] = PlannedSpan(
        span.service,
        span.name,
        span.kind,
        span.start_ns,
        max(end_ns, span.end_ns),
        span.trace_id,
        span.span_id,
        span.parent_id,
        error,
        span.attributes,
    )
