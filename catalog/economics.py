"""The money sections of a ``flowscope/v1`` flow: ``cost``, ``baseline`` and ``investment``.

Every amount is a quoted decimal string read into :class:`decimal.Decimal`; minutes are plain
numbers. Per-call prices must point at something the flow declares: a ``step`` by name, or a
``partner`` named by one of its steps. Part of the spec mapping in :mod:`catalog.spec`; pure.
"""

from __future__ import annotations

import re

from yaml.nodes import Node

from catalog.model import Baseline, CostModel, FixedFee, Investment, PerCallPrice, Step
from catalog.reader import SpecReader

COST_KEYS = ("currency", "per_call", "compute", "fixed", "people")
PER_CALL_KEYS = ("partner", "step", "price")
COMPUTE_KEYS = ("per_cpu_second", "per_invocation")
FIXED_KEYS = ("name", "per_month")
PEOPLE_KEYS = ("hourly_rate", "minutes_per_intervention")
BASELINE_KEYS = ("manual_minutes_per_run", "hourly_rate", "cost_per_run")
INVESTMENT_KEYS = ("build", "since")

_CURRENCY = re.compile(r"[A-Z]{3}")


def read_cost(r: SpecReader, node: Node, path: str, steps: tuple[Step, ...] | None
              ) -> CostModel | None:
    """The ``cost`` section. ``steps`` are the flow's steps, or ``None`` when they are broken
    (then per-call references are not checked, to avoid noise)."""
    f = r.mapping(node, path, allowed=COST_KEYS, required=("currency",))
    if f is None:
        return None
    before = len(r.problems)
    currency = f.read("currency", r.text)
    if currency is not None and _CURRENCY.fullmatch(currency) is None:
        r.report(f.node("currency") or node, f.field("currency"),
                 f"must be an ISO 4217 currency code of three capital letters (like USD or EUR), "
                 f"got {currency!r}")
    per_call = f.read("per_call", lambda n, p: _per_call(r, n, p, steps)) or ()
    compute = f.node("compute")
    compute_fields = None
    if compute is not None:
        compute_fields = r.mapping(compute, f.field("compute"), allowed=COMPUTE_KEYS)
        if compute_fields is not None and not any(k in compute_fields for k in COMPUTE_KEYS):
            r.report(compute, f.field("compute"), "give per_cpu_second and/or per_invocation")
    fixed = f.read("fixed", lambda n, p: _fixed(r, n, p)) or ()
    people = f.node("people")
    people_fields = None
    if people is not None:
        people_fields = r.mapping(people, f.field("people"), allowed=PEOPLE_KEYS,
                                  required=PEOPLE_KEYS)
    model = CostModel(
        currency=currency or "",
        per_call=per_call,
        per_cpu_second=compute_fields.read("per_cpu_second", r.money) if compute_fields else None,
        per_invocation=compute_fields.read("per_invocation", r.money) if compute_fields else None,
        fixed=fixed,
        hourly_rate=people_fields.read("hourly_rate", r.money) if people_fields else None,
        minutes_per_intervention=(
            people_fields.read("minutes_per_intervention", r.number) if people_fields else None
        ),
    )
    return model if len(r.problems) == before else None


def _per_call(r: SpecReader, node: Node, path: str, steps: tuple[Step, ...] | None
              ) -> tuple[PerCallPrice, ...] | None:
    entries = r.sequence(node, path)
    if entries is None:
        return None
    prices: list[PerCallPrice] = []
    seen: set[tuple[str, str]] = set()
    ok = True
    for item, item_path in entries:
        f = r.mapping(item, item_path, allowed=PER_CALL_KEYS, required=("price",))
        if f is None:
            ok = False
            continue
        price = f.read("price", r.money)
        step = f.read("step", r.text)
        partner = f.read("partner", r.text)
        if ("step" in f) == ("partner" in f):
            r.report(item, item_path, "give exactly one of step or partner")
            ok = False
            continue
        kind, target = ("step", step) if "step" in f else ("partner", partner)
        target_node = f.node(kind) or item
        if target is not None and steps is not None:
            known = sorted({s.name for s in steps} if kind == "step"
                           else {s.partner for s in steps if s.partner})
            if target not in known:
                listed = ", ".join(known) if known else "none declared"
                r.report(target_node, f.field(kind),
                         f"{kind} {target!r} is not {'a step' if kind == 'step' else 'a partner'}"
                         f" of this flow's steps (known: {listed})")
                ok = False
        if target is not None and (kind, target) in seen:
            r.report(target_node, f.field(kind), f"{kind} {target!r} is priced twice")
            ok = False
        if price is None or target is None:
            ok = False
            continue
        seen.add((kind, target))
        prices.append(PerCallPrice(price=price, step=step, partner=partner))
    return tuple(prices) if ok else None


def _fixed(r: SpecReader, node: Node, path: str) -> tuple[FixedFee, ...] | None:
    return r.unique_items(node, path, lambda i, q: _fee(r, i, q), field="name", what="fixed fee")


def _fee(r: SpecReader, node: Node, path: str) -> FixedFee | None:
    f = r.mapping(node, path, allowed=FIXED_KEYS, required=FIXED_KEYS)
    if f is None:
        return None
    name = f.read("name", r.text)
    per_month = f.read("per_month", r.money)
    return None if name is None or per_month is None else FixedFee(name=name, per_month=per_month)


def read_baseline(r: SpecReader, node: Node, path: str) -> Baseline | None:
    """The ``baseline`` section: ``{manual_minutes_per_run, hourly_rate}`` or ``{cost_per_run}``."""
    f = r.mapping(node, path, allowed=BASELINE_KEYS)
    if f is None:
        return None
    manual = "manual_minutes_per_run" in f or "hourly_rate" in f
    if manual == ("cost_per_run" in f):
        r.report(node, path, "give either manual_minutes_per_run with hourly_rate, "
                 "or cost_per_run")
        return None
    if manual:
        for key in ("manual_minutes_per_run", "hourly_rate"):
            if key not in f:
                r.report(node, f.field(key), "is required with "
                         + ("hourly_rate" if key != "hourly_rate" else "manual_minutes_per_run"))
        minutes = f.read("manual_minutes_per_run", r.number)
        rate = f.read("hourly_rate", r.money)
        return None if minutes is None or rate is None else Baseline(
            manual_minutes_per_run=minutes, hourly_rate=rate)
    cost = f.read("cost_per_run", r.money)
    return None if cost is None else Baseline(cost_per_run=cost)


def read_investment(r: SpecReader, node: Node, path: str) -> Investment | None:
    """The ``investment`` section: ``{build: "40000", since: 2026-01-01}`` (``since`` optional)."""
    f = r.mapping(node, path, allowed=INVESTMENT_KEYS, required=("build",))
    if f is None:
        return None
    build = f.read("build", r.money)
    since = f.read("since", r.day)
    if build is None or ("since" in f and since is None):
        return None
    return Investment(build=build, since=since)
