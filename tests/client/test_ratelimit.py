"""custify.ratelimit: the shared sliding-window budget, driven by a FakeClock (no real waits)."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from custify.ratelimit import RateBudget
from models.clock import FakeClock


class RecordingClock(FakeClock):
    def __init__(self) -> None:
        super().__init__()
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        super().sleep(seconds)


class RecordingBudget(RateBudget):
    """Records the clock time of every grant, inside the budget's own transaction."""

    def __init__(self, *args, **kwargs) -> None:
        self.granted: list[float] = []
        super().__init__(*args, **kwargs)

    def _decide(self, db: sqlite3.Connection, now: float) -> float:
        wait = super()._decide(db, now)
        if wait <= 0:
            self.granted.append(now)
        return wait


def max_in_span(times: list[float], span: float) -> int:
    times = sorted(times)
    best = lo = 0
    for hi, t in enumerate(times):
        while t - times[lo] >= span - 2e-6:  # the budget's 1 µs float slack, and some
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def test_grants_up_to_limit_then_sleeps_exactly_until_the_oldest_leaves() -> None:
    clock = RecordingClock()
    budget = RateBudget(5, 10.0, clock=clock, safety_s=0.25)
    start = clock.now()
    for _ in range(5):
        budget.acquire()
        clock.advance(1.0)
    assert clock.sleeps == []
    budget.acquire()  # the 6th: the first grant (at start) leaves at start + 10.25
    assert clock.sleeps == [10.25 - 5.0]
    assert clock.now() == start + 10.25


def test_sliding_window_is_full_throughput_when_paced() -> None:
    clock = RecordingClock()
    budget = RateBudget(10, 1.0, clock=clock, safety_s=0.0)
    for _ in range(100):
        budget.acquire()
        clock.advance(0.1)
    assert clock.sleeps == []


@settings(max_examples=60, deadline=None, database=None)
@given(
    limit=st.integers(1, 12),
    gaps=st.lists(st.floats(0, 3, allow_nan=False), min_size=1, max_size=80),
)
def test_never_more_than_limit_in_any_window_and_never_late(limit: int, gaps: list[float]) -> None:
    clock = FakeClock()
    budget = RecordingBudget(limit, 2.0, clock=clock, safety_s=0.1)
    for gap in gaps:
        clock.advance(gap)
        asked = clock.now()
        budget.acquire()
        granted = budget.granted[-1]
        # never later than needed: either at once, or exactly when a slot freed up
        earlier = budget.granted[:-1]
        if granted > asked + 1e-9:
            assert len(earlier) >= limit
            assert abs(granted - (earlier[-limit] + 2.1)) < 1e-6
    assert max_in_span(budget.granted, 2.1) <= limit


def test_threads_share_one_budget() -> None:
    clock = FakeClock()
    budget = RecordingBudget(20, 1.0, clock=clock, safety_s=0.05)

    def worker() -> None:
        for _ in range(40):
            budget.acquire()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(budget.granted) == 320
    assert max_in_span(budget.granted, 1.05) <= 20


def test_two_budgets_on_one_file_share_it(tmp_path: Path) -> None:
    """Two processes on one account open the same file; here two instances stand in."""
    clock = RecordingClock()
    path = tmp_path / "budget.sqlite3"
    a = RateBudget(4, 10.0, path=path, clock=clock)
    b = RateBudget(4, 10.0, path=path, clock=clock)
    for budget in (a, b, a, b):
        budget.acquire()
    assert clock.sleeps == []
    b.acquire()
    assert clock.sleeps == [10.25]
    assert a.in_window() == b.in_window() == 1  # the first four left the window
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_remaining_header_lower_than_ours_is_believed() -> None:
    clock = RecordingClock()
    budget = RateBudget(10, 10.0, clock=clock)
    budget.acquire()
    budget.acquire()
    budget.observe(remaining=3)  # somebody else used 5 of our 8
    assert budget.in_window() == 7
    for _ in range(3):
        budget.acquire()
    assert clock.sleeps == []
    budget.acquire()
    assert len(clock.sleeps) == 1


def test_remaining_header_higher_than_ours_changes_nothing() -> None:
    budget = RateBudget(10, 10.0, clock=FakeClock())
    for _ in range(4):
        budget.acquire()
    budget.observe(remaining=9)  # in-flight requests the server has not counted yet
    assert budget.in_window() == 4


def test_retry_after_blocks_everyone_until_then(tmp_path: Path) -> None:
    clock = RecordingClock()
    a = RateBudget(100, 10.0, path=tmp_path / "b.sqlite3", clock=clock)
    b = RateBudget(100, 10.0, path=tmp_path / "b.sqlite3", clock=clock)
    a.observe(retry_after=3.0)
    b.acquire()
    assert clock.sleeps == [3.0]
    b.observe(retry_after=0)
    a.acquire()
    assert clock.sleeps == [3.0]


def test_shorter_retry_after_does_not_shorten_a_longer_block() -> None:
    clock = RecordingClock()
    budget = RateBudget(100, 10.0, clock=clock)
    budget.observe(retry_after=5.0)
    budget.observe(retry_after=1.0)
    budget.acquire()
    assert clock.sleeps == [5.0]


def test_a_clock_that_went_back_does_not_stall_the_budget(tmp_path: Path) -> None:
    path = tmp_path / "b.sqlite3"
    late = FakeClock(start=1_800_000_000.0)
    RateBudget(2, 10.0, path=path, clock=late).acquire()
    RateBudget(2, 10.0, path=path, clock=late).observe(retry_after=30.0)
    early = RecordingClock()  # starts at 1_700_000_000: "the clock went back"
    budget = RateBudget(2, 10.0, path=path, clock=early)
    budget.acquire()
    budget.acquire()
    assert early.sleeps == []
