"""custify.ratelimit: the sliding-window budget on both backends, driven by a FakeClock.

Every test runs on SQLite and on the real PostgreSQL (``@pytest.mark.postgres``), so the two
backends keep the same semantics. Budgets made with the same ``log`` name share one log (one
SQLite file, one Postgres account), as two processes on one account would.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from custify.ratelimit import RateBudget
from custify.ratelimit_pg import PostgresBudget
from models.clock import Clock, FakeClock
from tests.client._budgets import (
    RecordingClock,
    RecordingPostgres,
    RecordingSqlite,
    hammer,
    max_in_span,
)
from tests.conftest import POSTGRES_DSN

MakeBudget = Callable[..., Any]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def make(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MakeBudget]:
    """``make(limit, window_s, *, clock, safety_s=0.25, log="a", record=False)`` on one backend."""
    made: list[Any] = []
    schema = f"t_{uuid.uuid4().hex[:12]}"
    if request.param == "postgres":
        request.getfixturevalue("postgres_available")

    def build(
        limit: int, window_s: float, *, clock: Clock, safety_s: float = 0.25, log: str = "a",
        record: bool = False,
    ) -> Any:  # fmt: skip
        if request.param == "sqlite":
            cls = RecordingSqlite if record else RateBudget
            where: dict[str, Any] = {"path": tmp_path / f"{log}.sqlite3"}
        else:
            cls = RecordingPostgres if record else PostgresBudget
            where = {"dsn": POSTGRES_DSN, "account": log, "schema": schema}
        budget = cls(limit, window_s, clock=clock, safety_s=safety_s, **where)
        made.append(budget)
        return budget

    yield build
    for budget in made:
        budget.close()
    if request.param == "postgres":
        with psycopg2.connect(POSTGRES_DSN) as db, db.cursor() as cur:
            cur.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_grants_up_to_limit_then_sleeps_exactly_until_the_oldest_leaves(make) -> None:
    clock = RecordingClock()
    budget = make(5, 10.0, clock=clock, safety_s=0.25)
    start = clock.now()
    for _ in range(5):
        budget.acquire()
        clock.advance(1.0)
    assert clock.sleeps == []
    budget.acquire()  # the 6th: the first grant (at start) leaves at start + 10.25
    assert clock.sleeps == [pytest.approx(10.25 - 5.0)]
    assert clock.now() == pytest.approx(start + 10.25)


def test_sliding_window_is_full_throughput_when_paced(make) -> None:
    clock = RecordingClock()
    budget = make(10, 1.0, clock=clock, safety_s=0.0)
    for _ in range(100):
        budget.acquire()
        clock.advance(0.1)
    assert clock.sleeps == []


@settings(
    max_examples=60, deadline=None, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)  # fmt: skip
@given(
    limit=st.integers(1, 12),
    gaps=st.lists(st.floats(0, 3, allow_nan=False), min_size=1, max_size=80),
)
@example(limit=2, gaps=[0.0, 1e-05, 0.0, 0.0])  # a 10 µs wait must not become 1 ms
def test_never_more_than_limit_in_any_window_and_never_late(
    make, limit: int, gaps: list[float]
) -> None:
    clock = FakeClock()
    budget = make(limit, 2.0, clock=clock, safety_s=0.1, log=uuid.uuid4().hex, record=True)
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


def test_threads_share_one_budget(make) -> None:
    clock = FakeClock()
    budget = make(20, 1.0, clock=clock, safety_s=0.05, record=True)
    hammer(budget, threads=8, each=40)
    assert len(budget.granted) == 320
    assert max_in_span(budget.granted, 1.05) <= 20


def test_two_budgets_on_one_log_share_it(make) -> None:
    """Two processes on one account open the same log; here two instances stand in."""
    clock = RecordingClock()
    a = make(4, 10.0, clock=clock)
    b = make(4, 10.0, clock=clock)
    for budget in (a, b, a, b):
        budget.acquire()
    assert clock.sleeps == []
    b.acquire()
    assert clock.sleeps == [pytest.approx(10.25)]
    assert a.in_window() == b.in_window() == 1  # the first four left the window


def test_budgets_of_other_accounts_do_not_count(make) -> None:
    clock = RecordingClock()
    a, b = make(2, 10.0, clock=clock, log="a"), make(2, 10.0, clock=clock, log="b")
    for budget in (a, a, b, b):
        budget.acquire()
    assert clock.sleeps == []
    assert a.in_window() == b.in_window() == 2


def test_acquire_n_takes_n_slots_in_one_decision(make) -> None:
    clock = RecordingClock()
    budget = make(10, 10.0, clock=clock, record=True)
    start = clock.now()
    budget.acquire(4)
    clock.advance(1.0)
    budget.acquire(4)
    assert budget.in_window() == 8 and clock.sleeps == []
    # 3 more fit once one grant has left: the first four leave at start + 10.25
    assert budget.try_acquire(3) == pytest.approx(9.25)
    budget.acquire(3)
    assert clock.sleeps == [pytest.approx(9.25)]
    expected = [start] * 4 + [start + 1.0] * 4 + [start + 10.25] * 3
    assert budget.granted == [pytest.approx(t) for t in expected]
    assert budget.in_window() == 7


def test_acquire_n_outside_one_to_limit_is_refused(make) -> None:
    budget = make(5, 10.0, clock=FakeClock())
    for n in (0, 6):
        with pytest.raises(ValueError, match="between 1 and the limit"):
            budget.acquire(n)


def test_remaining_header_lower_than_ours_is_believed(make) -> None:
    clock = RecordingClock()
    budget = make(10, 10.0, clock=clock)
    budget.acquire()
    budget.acquire()
    budget.observe(remaining=3)  # somebody else used 5 of our 8
    assert budget.in_window() == 7
    for _ in range(3):
        budget.acquire()
    assert clock.sleeps == []
    budget.acquire()
    assert len(clock.sleeps) == 1


def test_remaining_header_higher_than_ours_changes_nothing(make) -> None:
    budget = make(10, 10.0, clock=FakeClock())
    for _ in range(4):
        budget.acquire()
    budget.observe(remaining=9)  # in-flight requests the server has not counted yet
    assert budget.in_window() == 4


def test_retry_after_blocks_everyone_until_then(make) -> None:
    clock = RecordingClock()
    a = make(100, 10.0, clock=clock)
    b = make(100, 10.0, clock=clock)
    a.observe(retry_after=3.0)
    b.acquire()
    assert clock.sleeps == [pytest.approx(3.0)]
    b.observe(retry_after=0)
    a.acquire()
    assert clock.sleeps == [pytest.approx(3.0)]


def test_shorter_retry_after_does_not_shorten_a_longer_block(make) -> None:
    clock = RecordingClock()
    budget = make(100, 10.0, clock=clock)
    budget.observe(retry_after=5.0)
    budget.observe(retry_after=1.0)
    budget.acquire()
    assert clock.sleeps == [pytest.approx(5.0)]


def test_a_clock_that_went_back_does_not_stall_the_budget(make) -> None:
    late = FakeClock(start=1_800_000_000.0)
    make(2, 10.0, clock=late).acquire()
    make(2, 10.0, clock=late).observe(retry_after=30.0)
    early = RecordingClock()  # starts at 1_700_000_000: "the clock went back"
    budget = make(2, 10.0, clock=early)
    budget.acquire()
    budget.acquire()
    assert early.sleeps == []
    budget.observe(retry_after=2.0)  # a new block is honoured, not hidden by the stale one
    budget.acquire()
    assert early.sleeps == [pytest.approx(2.0), pytest.approx(8.25)]  # the block, then the log


def test_sqlite_log_is_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "budget.sqlite3"
    RateBudget(4, 10.0, path=path, clock=FakeClock()).acquire()
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
