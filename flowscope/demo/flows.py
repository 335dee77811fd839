"""The three demo flows as planners: one function per flow plans a whole run. Pure.

See :mod:`flowscope.demo.plan` for the data types and what each flow does; :func:`plan_hour`
plans every run starting in one hour, following the day's traffic curve.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from flowscope.demo.plan import (
    AFTER_RELEASE,
    CLIENT,
    CONSUMER,
    INTERNAL,
    MEAN_WEIGHT,
    NS,
    OUTAGE_FAILURE_SHARE,
    PRODUCER,
    SERVER,
    Behaviour,
    Run,
    RunBuilder,
    Volume,
    behaviour_at,
    business_id,
    hour_weight,
    in_outage,
    lognormal_s,
    poisson,
    stretch,
)


def plan_order(
    rnd: random.Random, t0: int, outage: bool, behaviour: Behaviour = AFTER_RELEASE
) -> Run:
    """An order-to-cash run starting at ``t0`` (Unix ns); ``outage``: Stripe is failing;
    ``behaviour``: which side of the release it runs on."""
    tr = RunBuilder(rnd, "order-to-cash", "order.id", business_id(rnd, "A"))
    root = tr.span(
        "storefront",
        "checkout",
        SERVER,
        t0,
        lognormal_s(rnd, 0.9, 0.4),
        # the customer (a search key of the example catalog) follows from the order id, so
        # the random draws of the plan stay as they were
        attrs={"http.route": "/checkout", "customer.id": f"C-{int(tr.cid[2:]) % 5000:04d}"},
    )
    tr.event("OrderPlaced", "storefront", t0, root)
    t = t0 + int(0.05 * NS)
    stripe_down = outage and rnd.random() < OUTAGE_FAILURE_SHARE
    ok, t = tr.calls(
        "payments",
        "stripe.charges.create",
        t,
        root.span_id,
        "stripe",
        0.35,
        0.004,
        stripe_down,
    )
    if ok and rnd.random() < 0.0001:  # the card was declined after all: no retry helps
        ok = False
        stretch(tr, tr.spans[-1], t, "card_declined")
    if not ok:
        stretch(tr, root, t, "payment failed")
        tr.event("PaymentFailed", "payments", t, tr.spans[-1])
        return tr.run(t0, "failure")
    charge = tr.spans[-1]
    poll_over = behaviour.stripe_poll_over_s
    if poll_over is not None and charge.end_ns - charge.start_ns > poll_over * NS:
        poll = tr.span(
            "payments",
            "stripe.charges.retrieve",
            CLIENT,
            t + NS // 10,
            lognormal_s(rnd, 0.25, 0.4),
            root.span_id,
            attrs={"partner": "stripe", "http.response.status_code": "200"},
        )
        t = poll.end_ns
    t += int(lognormal_s(rnd, 12.0, 0.8) * NS)  # invoice queue wait
    sync = tr.span("erp-sync", "erp-sync.post-invoice", CONSUMER, t, 0.0, root.span_id)
    ok, t = tr.calls(
        "erp-sync",
        "netsuite.invoice.create",
        t + NS // 100,
        sync.span_id,
        "netsuite",
        behaviour.netsuite_median_s,
        behaviour.netsuite_refusal if rnd.random() > behaviour.netsuite_broken else 1.0,
        False,
    )
    outcome = "success"
    if not ok:
        stretch(tr, sync, t, "netsuite refused the invoice 3 times")
        tr.span("erp-sync", "erp-sync.dead-letter", PRODUCER, t, 0.01, sync.span_id)
        if rnd.random() < 0.2:
            tr.event("InvoiceRejected", "erp-sync", t + int(2 * 3600 * NS), sync)
            return tr.run(t0, "failure")
        t += int(lognormal_s(rnd, 40 * 60.0, 0.7) * NS)  # until someone replays it
        replay = tr.span(
            "erp-sync",
            "erp-sync.manual-replay",
            INTERNAL,
            t,
            0.0,
            root.span_id,
            attrs={"replay.actor": "ops@example.com"},
        )
        _, t = tr.calls(
            "erp-sync",
            "netsuite.invoice.create",
            t + NS // 100,
            replay.span_id,
            "netsuite",
            behaviour.netsuite_median_s,
            0.0,
            False,
        )
        stretch(tr, replay, t, "")
        outcome = "replayed"
    else:
        stretch(tr, sync, t, "")
    tr.event("InvoicePosted", "erp-sync", t, tr.spans[-1])
    t += int(lognormal_s(rnd, 4.0, 0.6) * NS)
    tr.span(
        "warehouse",
        "warehouse.reserve-stock",
        CONSUMER,
        t,
        lognormal_s(rnd, 0.25, 0.5),
        root.span_id,
    )
    return tr.run(t0, outcome)


def plan_lead(
    rnd: random.Random, t0: int, outage: bool, behaviour: Behaviour = AFTER_RELEASE
) -> Run:
    """A lead-to-demo run starting at ``t0`` (``outage`` does not concern HubSpot);
    ``behaviour``: which side of the release it runs on."""
    del outage
    tr = RunBuilder(rnd, "lead-to-demo", "lead.id", business_id(rnd, "L"))
    form = tr.span(
        "web-form",
        "POST /demo-request",
        SERVER,
        t0,
        lognormal_s(rnd, 0.15, 0.5),
        attrs={"http.route": "/demo-request"},
    )
    tr.event("LeadCaptured", "web-form", t0, form)
    t = form.end_ns + int(lognormal_s(rnd, 3.0, 0.7) * NS)
    upsert = tr.span("crm", "crm.upsert-contact", CONSUMER, t, 0.0, form.span_id)
    ok, t = tr.calls(
        "crm",
        "hubspot.contacts.create",
        t + NS // 100,
        upsert.span_id,
        "hubspot",
        0.4,
        behaviour.hubspot_refusal if rnd.random() > behaviour.hubspot_broken else 1.0,
        False,
    )
    if not ok:
        stretch(tr, upsert, t, "hubspot rate limit")
        tr.span("crm", "crm.dead-letter", PRODUCER, t, 0.01, upsert.span_id)
        t += int(lognormal_s(rnd, 2 * 3600.0, 0.5) * NS)
        replay = tr.span("crm", "crm.manual-replay", INTERNAL, t, 0.5, form.span_id)
        t = replay.end_ns
    else:
        stretch(tr, upsert, t, "")
    if rnd.random() < 0.008:
        tr.event("LeadRejected", "crm", t, upsert)
        return tr.run(t0, "failure")
    t += int(lognormal_s(rnd, 9 * 60.0, 0.9) * NS)  # the prospect picks a slot
    book = tr.span(
        "calendar", "calendar.book-demo", SERVER, t, lognormal_s(rnd, 0.3, 0.4), form.span_id
    )
    tr.event("DemoBooked", "calendar", book.end_ns, book)
    return tr.run(t0, "success" if ok else "replayed")


def plan_refund(
    rnd: random.Random, t0: int, outage: bool, behaviour: Behaviour = AFTER_RELEASE
) -> Run:
    """A refund-to-ledger run starting at ``t0``; ``outage``: Stripe is failing (the release
    does not concern refunds: ``behaviour`` is accepted like every planner's and unused)."""
    del behaviour
    tr = RunBuilder(rnd, "refund-to-ledger", "refund.id", business_id(rnd, "R"))
    approve = tr.span(
        "support-desk",
        "refund.approve",
        SERVER,
        t0,
        lognormal_s(rnd, 0.4, 0.4),
        attrs={"refund.reason": rnd.choice(("damaged", "late", "wrong-size"))},
    )
    if rnd.random() < 0.002:
        tr.event("RefundRejected", "support-desk", approve.end_ns, approve)
        return tr.run(t0, "failure")
    t = approve.end_ns + int(lognormal_s(rnd, 2.0, 0.5) * NS)
    down = outage and rnd.random() < OUTAGE_FAILURE_SHARE
    ok, t = tr.calls(
        "payments", "stripe.refunds.create", t, approve.span_id, "stripe", 0.5, 0.004, down
    )
    if not ok:  # the refund job tries again a quarter of an hour later
        t += 15 * 60 * NS
        _, t = tr.calls(
            "payments", "stripe.refunds.create", t, approve.span_id, "stripe", 0.5, 0.0, False
        )
    hour = 3600 * NS
    t = (t // hour + 1) * hour + int(lognormal_s(rnd, 120.0, 0.6) * NS)  # next hourly batch
    post = tr.span("accounting", "ledger.post", CONSUMER, t, 0.0, approve.span_id)
    ok, t = tr.calls(
        "accounting",
        "netsuite.journal.create",
        t + NS // 100,
        post.span_id,
        "netsuite",
        1.5,
        0.002 if rnd.random() > 0.001 else 1.0,
        False,
    )
    stretch(tr, post, t, "" if ok else "journal refused")
    tr.event("RefundPosted" if ok else "LedgerPostingFailed", "accounting", t, post)
    return tr.run(t0, "success" if ok else "failure")


def plan_hour(
    rnd: random.Random,
    hour_start_ns: int,
    volume: Volume,
    outages: Sequence[tuple[int, int]],
    release_ns: int | None = None,
) -> list[Run]:
    """Every run starting in the hour from ``hour_start_ns``, in start order; a run starting
    before ``release_ns`` (Unix ns; ``None``: no release) behaves as before the release."""
    weight = hour_weight(hour_start_ns) / MEAN_WEIGHT / 24
    runs: list[Run] = []
    for per_day, plan in (
        (volume.orders, plan_order),
        (volume.leads, plan_lead),
        (volume.refunds, plan_refund),
    ):
        for _ in range(poisson(rnd, per_day * weight)):
            start = hour_start_ns + rnd.randrange(3600 * NS)
            behaviour = behaviour_at(start, release_ns)
            runs.append(plan(rnd, start, in_outage(start, outages), behaviour))
    runs.sort(key=lambda run: run.start_ns)
    return runs
