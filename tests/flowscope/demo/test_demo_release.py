"""The demo's release: the behaviour changes at an instant given as a parameter, the day is
chosen from the history and kept in the marker, and the served catalog declares it."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from catalog.model import Release
from catalog.spec import load_catalog, parse_catalog
from flowscope.demo.backfill import (
    MARKER,
    BackfillReport,
    plan_history,
    read_marker,
    read_release,
    record_release,
    write_marker,
)
from flowscope.demo.flows import plan_hour, plan_lead, plan_order
from flowscope.demo.launcher import EXAMPLE_CATALOG, demo_release, write_demo_catalog
from flowscope.demo.plan import (
    AFTER_RELEASE,
    BEFORE_RELEASE,
    NS,
    Behaviour,
    Run,
    Volume,
    behaviour_at,
)
from flowscope.demo.releases import (
    demo_releases,
    release_day,
    release_instant_ns,
    with_releases,
)

MIDNIGHT = int(datetime(2026, 3, 4, tzinfo=UTC).timestamp()) * NS  # a Wednesday
HOUR = 3600 * NS
Planner = Callable[[random.Random, int, bool, Behaviour], Run]


@pytest.mark.parametrize(
    ("t_ns", "release_ns", "expected"),
    [
        (MIDNIGHT, None, AFTER_RELEASE),
        (MIDNIGHT - 1, MIDNIGHT, BEFORE_RELEASE),
        (MIDNIGHT, MIDNIGHT, AFTER_RELEASE),
        (MIDNIGHT + HOUR, MIDNIGHT, AFTER_RELEASE),
    ],
    ids=[
        "without a release everything behaves as after one",
        "a nanosecond before the release is before it",
        "the release instant itself is after it",
        "an hour later is after it",
    ],
)
def test_behaviour_at(t_ns: int, release_ns: int | None, expected: Behaviour) -> None:
    assert behaviour_at(t_ns, release_ns) == expected


def _calls(runs: list[Run], prefix: str) -> float:
    """Spans whose name starts with ``prefix``, per run."""
    return sum(s.name.startswith(prefix) for r in runs for s in r.spans) / len(runs)


# Stripe answers in lognormal(median 0.35 s, shape 0.5): P(> 0.5 s) = 1 - Φ(ln(0.5/0.35)/0.5)
# = 1 - Φ(0.713) = 0.238 of charges are polled before the release; retries add 0.004 a call.
# A partner refusing a share p of attempts takes 1 + p + p² attempts, one refusing every time
# (share b) 3: (1 - b)(1 + p + p²) + 3b. NetSuite: 1.021 before (p 0.02, b 0.0003), 1.003 after
# (p 0.002, b 0.0002); HubSpot: 1.125 before (p 0.10, b 0.008), 1.035 after (p 0.03, b 0.002).
@pytest.mark.parametrize(
    ("planner", "prefix", "behaviour", "low", "high"),
    [
        (plan_order, "stripe.", BEFORE_RELEASE, 1.21, 1.27),
        (plan_order, "stripe.", AFTER_RELEASE, 1.0, 1.01),
        (plan_order, "netsuite.", BEFORE_RELEASE, 1.014, 1.027),
        (plan_order, "netsuite.", AFTER_RELEASE, 1.0, 1.005),
        (plan_lead, "hubspot.", BEFORE_RELEASE, 1.11, 1.14),
        (plan_lead, "hubspot.", AFTER_RELEASE, 1.022, 1.040),
    ],
    ids=[
        "before the release about a quarter of orders poll Stripe once more",
        "after it an order calls Stripe about once",
        "before the release NetSuite refuses about 2 % of invoice posts",
        "after it about 0.2 %",
        "before the release HubSpot rate-limits about 10 % of upserts",
        "after it about 3 %",
    ],
)
def test_partner_calls_per_run(
    planner: Planner, prefix: str, behaviour: Behaviour, low: float, high: float
) -> None:
    rnd = random.Random(11)
    runs = [planner(rnd, MIDNIGHT, False, behaviour) for _ in range(8000)]
    assert low <= _calls(runs, prefix) <= high


def test_after_the_release_the_plans_are_those_of_a_demo_without_one() -> None:
    volume = Volume(orders=3000, leads=600, refunds=200)
    without = plan_hour(random.Random(4), MIDNIGHT, volume, ())
    released = plan_hour(random.Random(4), MIDNIGHT, volume, (), release_ns=MIDNIGHT)
    assert released == without


def test_the_history_changes_behaviour_at_the_release_instant() -> None:
    volume = Volume(orders=4000, leads=0, refunds=0)
    release = MIDNIGHT + HOUR
    runs = [r for hour in plan_history(MIDNIGHT, MIDNIGHT + 2 * HOUR, volume, (), 3, release)
            for r in hour]
    polled = [any(s.name == "stripe.charges.retrieve" for s in r.spans) for r in runs]
    before = [p for r, p in zip(runs, polled, strict=True) if r.start_ns < release]
    after = [p for r, p in zip(runs, polled, strict=True) if r.start_ns >= release]
    assert before and after
    assert 0.15 <= sum(before) / len(before) <= 0.33
    assert not any(after)


@pytest.mark.parametrize(
    ("days", "back"),
    [(30, 10), (60, 10), (21, 10), (20, 9), (7, 3), (3, 1), (0, 1)],
    ids=[
        "a month of history: ten days back",
        "a longer history: still ten days back",
        "21 days: ten back, eleven days before it",
        "20 days: nine back",
        "a week: three days back",
        "three days: one day back",
        "no history: the day before",
    ],
)
def test_release_day(days: int, back: int) -> None:
    end = int(datetime(2026, 3, 24, 17, 30, tzinfo=UTC).timestamp()) * NS
    assert (date(2026, 3, 24) - release_day(end, days)).days == back


def test_the_release_instant_is_midnight_utc() -> None:
    assert release_instant_ns(date(2026, 3, 4)) == MIDNIGHT


EXAMPLE = EXAMPLE_CATALOG.read_text(encoding="utf-8")
V25 = Release("2.5", date(2026, 3, 14), "faster")

FLOW_WITH_RELEASES = """\
apiVersion: flowscope/v1
flows:
  - name: a
    correlation_key: a.id
    start: {event: A}
    success: {event: B}
    releases:
      - {version: "1", date: 2026-01-01}   # the first
      - version: "2"
        date: 2026-02-01
    # about the steps
    steps: [{name: s, service: x}]
"""


@pytest.mark.parametrize(
    ("text", "flow", "kept"),
    [
        (EXAMPLE, "lead-to-demo", "    investment: {build: \"15000\", since: 2026-02-01}\n"
                                  "    releases:\n"),
        (EXAMPLE, "order-to-cash", "  # -- lead-to-demo: web form"),
        (FLOW_WITH_RELEASES, "a", "    # about the steps\n    steps:"),
    ],
    ids=[
        "a flow without releases gains them after its last line",
        "the example's order-to-cash release is replaced",
        "releases written over several lines are replaced, the comment after them kept",
    ],
)
def test_with_releases_sets_one_flows_releases(text: str, flow: str, kept: str) -> None:
    out = with_releases(text, {flow: (V25,)})
    catalog = parse_catalog(out, filename="derived.yaml")
    assert {f.name: f.releases for f in catalog.flows}[flow] == (V25,)
    assert kept in out
    others = {f.name: f.releases for f in parse_catalog(text, filename="x.yaml").flows}
    assert {f.name: f.releases for f in catalog.flows if f.name != flow} == {
        name: releases for name, releases in others.items() if name != flow
    }


def test_with_releases_keeps_every_line_but_the_replaced_ones() -> None:
    out = with_releases(EXAMPLE, {"lead-to-demo": (V25,)})
    added = "    releases:\n      - {version: \"2.5\", date: 2026-03-14, note: \"faster\"}\n"
    assert added in out
    assert out.replace(added, "", 1) == EXAMPLE


def test_with_releases_refuses_an_unknown_flow() -> None:
    with pytest.raises(ValueError, match="no flow nope"):
        with_releases(EXAMPLE, {"nope": (V25,)})


def test_the_demo_catalog_declares_the_releases_on_the_day(tmp_path: Path) -> None:
    path = write_demo_catalog(tmp_path, date(2026, 3, 14))
    assert path == tmp_path / "demo-catalog.yaml"
    catalog = load_catalog(path)
    found = {f.name: [(r.version, r.day) for r in f.releases] for f in catalog.flows}
    assert found == {
        "order-to-cash": [("2.5", date(2026, 3, 14))],
        "lead-to-demo": [("1.4", date(2026, 3, 14))],
        "refund-to-ledger": [],
    }
    assert set(demo_releases(date(2026, 3, 14))) == {"order-to-cash", "lead-to-demo"}


NOW = int(datetime(2026, 3, 24, 17, tzinfo=UTC).timestamp()) * NS


def test_a_fresh_data_dir_gets_a_release_that_later_runs_keep(tmp_path: Path) -> None:
    first = demo_release(tmp_path, NOW, 30)
    assert first == date(2026, 3, 14)
    assert read_marker(tmp_path) is None  # no history yet
    write_marker(tmp_path, NOW, BackfillReport(1, 2, 3, 4, 5, 0.1))
    assert read_release(tmp_path) == first
    assert demo_release(tmp_path, NOW + 5 * 86400 * NS, 30) == first


def test_a_marker_from_before_releases_gains_one_and_keeps_its_history(tmp_path: Path) -> None:
    (tmp_path / MARKER).write_text(json.dumps({"until_ns": NOW, "runs": 9}))
    assert read_release(tmp_path) is None
    assert demo_release(tmp_path, NOW + 86400 * NS, 30) == date(2026, 3, 15)
    assert read_marker(tmp_path) == NOW
    assert json.loads((tmp_path / MARKER).read_text())["runs"] == 9


@pytest.mark.parametrize(
    "content",
    ['{"until_ns": 5, "release": "soon"}', '{"until_ns": 5, "release": 20260314}', "[1, 2]"],
    ids=["a release that is no date is ignored", "a number is ignored", "a list is ignored"],
)
def test_a_broken_release_is_ignored(tmp_path: Path, content: str) -> None:
    (tmp_path / MARKER).write_text(content)
    assert read_release(tmp_path) is None
    record_release(tmp_path, date(2026, 3, 14))
    assert read_release(tmp_path) == date(2026, 3, 14)
