"""The spool persists before acknowledging, deduplicates, bounds itself and replays claims."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.errors import SpoolFull, SpoolUnavailable
from collector.spool import PendingKind, Spool


class FakeClock:
    """A clock the test moves by hand (seconds)."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def payload(size: int = 10) -> tuple[bytes, int]:
    return b"x" * size, 1


def test_admitted_entries_survive_reopening(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.sqlite", clock=FakeClock())
    spool.admit("spans", lambda idx: (b"abc", 3), item_count=3)
    instance = spool.instance
    spool.close()
    again = Spool(tmp_path / "s.sqlite", clock=FakeClock())
    assert again.instance == instance
    assert again.stats().rows == 3
    batch = again.claim("spans", max_rows=10)
    assert batch is not None and again.payloads(batch) == [b"abc"]


def test_a_resent_request_is_stored_once(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.sqlite", clock=FakeClock())
    first = spool.admit("spans", lambda idx: (b"abc", 2), item_count=2, request_key="req:1")
    second = spool.admit("spans", lambda idx: (b"abc", 2), item_count=2, request_key="req:1")
    assert (first.rows, first.duplicates) == (2, 0)
    assert (second.rows, second.duplicates, second.duplicate_request) == (0, 2, True)
    assert spool.stats().entries == 1


@pytest.mark.parametrize(
    ("keys", "expected_new"),
    [
        (["a", "b"], [0, 1]),
        (["a", "a"], [0]),
    ],
    ids=["distinct event keys are all new", "a key repeated inside one request is stored once"],
)
def test_item_keys_filter_what_is_encoded(
    tmp_path: Path, keys: list[str], expected_new: list[int]
) -> None:
    spool = Spool(tmp_path / "s.sqlite", clock=FakeClock())
    seen: list[list[int]] = []

    def encode(idx: object) -> tuple[bytes, int]:
        seen.append(list(idx))  # type: ignore[call-overload]
        return b"p", len(seen[-1])

    spool.admit("events", encode, item_keys=keys)
    assert seen == [expected_new]
    again = spool.admit("events", encode, item_keys=[*keys, "c"])
    assert seen[-1] == [len(keys)]
    assert again.duplicates == len(keys)


def test_the_bound_refuses_new_data_and_keeps_the_old(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.sqlite", clock=FakeClock(), max_bytes=25)
    spool.admit("spans", lambda idx: payload(20), item_count=1)
    with pytest.raises(SpoolFull):
        spool.admit("spans", lambda idx: payload(20), item_count=1, request_key="r2")
    assert spool.stats().entries == 1
    # the refused request left no dedup key: a retry after draining is accepted
    batch = spool.claim("spans", max_rows=10)
    assert batch is not None
    spool.complete(batch)
    assert spool.admit("spans", lambda idx: payload(20), item_count=1, request_key="r2").rows == 1


def test_a_claimed_batch_is_replayed_with_the_same_token_after_a_crash(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.sqlite", clock=FakeClock())
    for i in range(3):
        spool.admit("spans", lambda idx, i=i: (bytes([i]), 1), item_count=1)
    batch = spool.claim("spans", max_rows=2)
    assert batch is not None and batch.rows == 2
    spool.close()  # "crash" before complete()
    again = Spool(tmp_path / "s.sqlite", clock=FakeClock())
    replay = again.claim("spans", max_rows=100)
    assert replay == batch
    again.complete(replay)
    rest = again.claim("spans", max_rows=100)
    assert rest is not None and rest.rows == 1 and rest.token != batch.token
    again.complete(rest)
    assert again.claim("spans", max_rows=100) is None
    assert again.stats().entries == 0


def test_oldest_age_follows_the_clock(tmp_path: Path) -> None:
    clock = FakeClock()
    spool = Spool(tmp_path / "s.sqlite", clock=clock)
    spool.admit("events", lambda idx: (b"e", 1), item_keys=["k"])
    clock.now += 42.0
    assert spool.stats().oldest_age_s == pytest.approx(42.0)


def test_dedup_keys_expire_after_the_horizon(tmp_path: Path) -> None:
    clock = FakeClock()
    spool = Spool(tmp_path / "s.sqlite", clock=clock, dedup_ttl_s=60)
    spool.admit("events", lambda idx: (b"e", 1), item_keys=["k"])
    clock.now += 61
    assert spool.prune_seen() == 1


def test_a_spool_that_cannot_be_created_is_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the spool directory should be")
    with pytest.raises(SpoolUnavailable, match="cannot open the spool"):
        Spool(blocker / "s.sqlite", clock=FakeClock())


def test_concurrent_requests_share_a_commit_and_a_refusal_stays_with_its_request(
    tmp_path: Path,
) -> None:
    import threading

    spool = Spool(tmp_path / "s.sqlite", clock=FakeClock(), max_bytes=100)
    inside = threading.Event()
    release = threading.Event()

    def slow(idx: object) -> tuple[bytes, int]:
        inside.set()
        release.wait(5)
        return b"a" * 10, 1

    results: dict[str, object] = {}

    def run(name: str, size: int) -> None:
        try:
            results[name] = spool.admit("spans", lambda idx: (b"b" * size, 1), item_count=1)
        except SpoolFull as exc:
            results[name] = exc

    leader = threading.Thread(
        target=lambda: results.setdefault("leader", spool.admit("spans", slow, item_count=1))
    )
    leader.start()
    assert inside.wait(5)
    followers = [
        threading.Thread(target=run, args=(name, size))
        for name, size in (("small", 20), ("huge", 500), ("other", 30))
    ]
    for t in followers:
        t.start()
    release.set()
    for t in [leader, *followers]:
        t.join(5)
    assert isinstance(results["huge"], SpoolFull)
    assert [getattr(results[n], "rows", None) for n in ("leader", "small", "other")] == [1, 1, 1]
    assert spool.stats().entries == 3 and spool.stats().bytes == 60


def test_pending_rows_and_oldest_age_are_kept_per_kind(tmp_path: Path) -> None:
    clock = FakeClock()
    spool = Spool(tmp_path / "s.sqlite", clock=clock)
    spool.admit("spans", lambda idx: (b"a", 3), item_count=3)
    clock.now += 2.0
    spool.admit("spans", lambda idx: (b"b", 4), item_count=4)
    spool.admit("events", lambda idx: (b"e", 1), item_keys=["k"])
    clock.now += 1.0
    assert spool.pending("spans") == PendingKind(7, pytest.approx(3.0))
    assert spool.pending("events") == PendingKind(1, pytest.approx(1.0))
    batch = spool.claim("spans", max_rows=3)
    assert batch is not None and batch.rows == 3
    spool.complete(batch)
    assert spool.pending("spans") == PendingKind(4, pytest.approx(1.0))
    spool.close()
    again = Spool(tmp_path / "s.sqlite", clock=clock)
    assert again.pending("spans") == PendingKind(4, pytest.approx(1.0))
    assert again.pending("nothing") == PendingKind(0, 0.0)


def test_a_drained_kind_has_no_pending_age(tmp_path: Path) -> None:
    clock = FakeClock()
    spool = Spool(tmp_path / "s.sqlite", clock=clock)
    spool.admit("spans", lambda idx: (b"a", 3), item_count=3)
    batch = spool.claim("spans", max_rows=100)
    assert batch is not None
    spool.complete(batch)
    clock.now += 50.0
    assert spool.pending("spans") == PendingKind(0, 0.0)
    spool.admit("spans", lambda idx: (b"b", 2), item_count=2)
    clock.now += 0.25
    assert spool.pending("spans") == PendingKind(2, pytest.approx(0.25))
