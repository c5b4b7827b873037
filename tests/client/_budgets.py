"""Helpers of the rate-budget tests: budgets that record their grants, and spawned workers.

The workers run in processes of their own (``multiprocessing`` with ``spawn``): each builds its
own budget from the DSN, as a worker on another machine would, and returns what it recorded.
"""

from __future__ import annotations

import threading
from typing import Any

from custify.ratelimit import RateBudget
from custify.ratelimit_pg import PostgresBudget
from models.clock import FakeClock, RealClock


class RecordingClock(FakeClock):
    def __init__(self) -> None:
        super().__init__()
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        super().sleep(seconds)


class Recording:
    """Records the clock time of every grant, inside the budget's own transaction."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.granted: list[float] = []
        super().__init__(*args, **kwargs)

    def _decide(self, db: Any, now: float, n: int) -> float:
        wait = super()._decide(db, now, n)  # type: ignore[misc]
        if wait <= 0:
            self.granted.extend([now] * n)
        return wait


class RecordingSqlite(Recording, RateBudget):
    pass


class RecordingPostgres(Recording, PostgresBudget):
    pass


def max_in_span(times: list[float], span: float) -> int:
    """Most grants within any half-open span of ``span`` seconds."""
    times = sorted(times)
    best = lo = 0
    for hi, t in enumerate(times):
        while t - times[lo] >= span - 2e-6:  # the budget's 1 µs float slack, and some
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def hammer(budget: Any, threads: int, each: int) -> None:
    """``threads`` threads taking ``each`` slots one by one."""

    def work() -> None:
        for _ in range(each):
            budget.acquire()

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()


def grant_worker(spec: dict[str, Any], start: Any, out: Any) -> None:
    """In a spawned process: hammer a Postgres budget on the real clock, report its grants.

    ``start`` is a barrier shared with the other workers, so that all hammer at once.
    """
    budget = RecordingPostgres(
        spec["limit"],
        spec["window_s"],
        dsn=spec["dsn"],
        account=spec["account"],
        schema=spec["schema"],
        safety_s=spec["safety_s"],
        clock=RealClock(),
    )
    try:
        start.wait(timeout=120)
        hammer(budget, spec["threads"], spec["each"])
        out.put(budget.granted)
    finally:
        budget.close()


def probe_worker(spec: dict[str, Any]) -> dict[str, Any]:
    """In a spawned process: what another machine sees of the account's budget right now."""
    budget = PostgresBudget(
        spec["limit"],
        spec["window_s"],
        dsn=spec["dsn"],
        account=spec["account"],
        schema=spec["schema"],
    )
    try:
        in_window = budget.in_window()
        waits = [budget.try_acquire() for _ in range(spec.get("tries", 1))]
        return {"in_window": in_window, "waits": waits}
    finally:
        budget.close()
