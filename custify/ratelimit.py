"""The shared rate budget: ONE sliding-window log per Custify account (custify-api.md §1.8).

Custify allows 100 requests per 10-second window for the whole account, reads and writes alike,
and answers 429 beyond it. Extraction and pushes, in any number of threads, processes and
machines, share that one budget (one HTTP stack, one rate budget). Where the log
lives is the backend (``[custify] budget_backend``, built by ``custify.budgets.make_budget``):

- ``sqlite`` (default): ``RateBudget``, a SQLite file (WAL mode, every decision inside
  ``BEGIN IMMEDIATE``) that every process on the machine opens; ``path=None`` keeps it in memory
  for one process.
- ``postgres``: ``custify.ratelimit_pg.PostgresBudget``, a table in the warehouse's PostgreSQL,
  so processes on different machines stay within the limit together.

Algorithm (``SlidingWindowBudget``, the same for both): a sliding-window log. A grant is allowed
when fewer than ``limit`` grants happened in the last ``window_s + safety_s`` seconds. A sliding
window is stricter than the server's fixed window (any fixed window is one of the sliding ones),
and the ``safety_s`` margin absorbs network jitter: a request granted at t reaches Custify at
t + latency, so as long as latencies differ by less than ``safety_s`` no server window of
``window_s`` seconds can see more than ``limit`` of our requests. When the log is full,
``acquire`` sleeps exactly until the oldest relevant grant leaves the window (no spinning).
``acquire(n)`` takes n slots in one transaction, for a caller about to send n requests at once.

Corrections (``observe``): ``X-RateLimit-Remaining`` lower than our own count says somebody else
uses the account (another tool): we add phantom grants so that our view matches the server's.
A 429's ``Retry-After`` blocks every user of the log until then.

Why not pyrate-limiter (installed, with SQLite buckets): its blocking waits call ``time.sleep``
and its SQLite bucket reads SQLite's own clock, so neither the FakeClock nor the sandbox's clock
can drive it; sharing across processes needs its extra file lock; and it has no notion of
"blocked until" (Retry-After) or of correcting the count from a response header. The log below
does exactly those things in one transaction per decision.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from custify.settings import ConnectionSettings
from models.clock import Clock, RealClock

__all__ = ["RateBudget", "SlidingWindowBudget", "account_key"]
#: never sleep less than this when waiting: more than a float's step at epoch-scale times
#: (~2.4e-7 s), so a rounding remainder still moves the clock, and far below any real wait
_MIN_WAIT_S = 5e-7
#: float slack when comparing clock times: a grant exactly one span old has left the window
TIME_EPS = 1e-6
#: a Retry-After block further away than this is from another clock era: ignore it
MAX_BLOCK_S = 3600.0

T = TypeVar("T")


class SlidingWindowBudget:
    """``acquire()`` blocks (through ``clock.sleep``) until one request may be sent.

    The decisions live here; a backend stores the log and runs each decision in one
    transaction that excludes every other user of the account (``_transaction``), reading
    ``now`` only once the transaction is its own: a time read before waiting for the lock would
    be stale and could slip a grant into the past.
    """

    def __init__(
        self, limit: int, window_s: float, *, clock: Clock | None, safety_s: float
    ) -> None:
        if limit < 1 or window_s <= 0 or safety_s < 0:
            raise ValueError("limit >= 1, window_s > 0 and safety_s >= 0 are required")
        self.limit = limit
        self.window_s = float(window_s)
        self.safety_s = float(safety_s)
        self.clock: Clock = clock or RealClock()
        #: how many times ``acquire`` has had to sleep (read without a lock: a hint for
        #: ``pipelines.inflight``, which only asks whether it grew)
        self.waits = 0

    @property
    def span_s(self) -> float:
        """The length of our sliding window: the server's window plus the jitter margin."""
        return self.window_s + self.safety_s

    # -- decisions --------------------------------------------------------------------------
    def try_acquire(self, n: int = 1) -> float:
        """Take ``n`` slots now and return 0.0, or return how long to wait before asking again."""
        if not 1 <= n <= self.limit:
            raise ValueError(f"n must be between 1 and the limit ({self.limit}), got {n}")
        return self._transaction(lambda db, now: self._decide(db, now, n))

    def _decide(self, db: Any, now: float, n: int) -> float:
        self._prune(db, now)
        blocked, pivot = self._state(db, self.limit - n)
        if blocked is not None:
            return blocked - now
        if pivot is None:  # at most limit - n grants in the window: n more fit
            self._insert(db, now, n)
            return 0.0
        # the newest grant that must leave the window before n slots free up
        return pivot + self.span_s - now

    def acquire(self, n: int = 1) -> None:
        """Block until ``n`` requests may be sent; sleeps until enough grants leave the window."""
        while True:
            wait = self.try_acquire(n)
            if wait <= 0:
                return
            self.waits += 1
            self.clock.sleep(max(wait, _MIN_WAIT_S))

    def observe(self, remaining: int | None = None, retry_after: float | None = None) -> None:
        """Correct the budget from a response (§1.8).

        ``remaining`` (``X-RateLimit-Remaining``) below what we think is left means another
        client uses the account: take the server's word by adding phantom grants now.
        ``retry_after`` (a 429's ``Retry-After``, 0 allowed) blocks every user until then.
        """
        if remaining is None and retry_after is None:
            return

        def apply(db: Any, now: float) -> None:
            self._prune(db, now)
            if retry_after is not None:
                self._block(db, now + min(max(0.0, retry_after), MAX_BLOCK_S))
            if remaining is not None:
                deficit = (self.limit - self._count(db)) - max(0, remaining)
                if deficit > 0:
                    self._insert(db, now, deficit)

        self._transaction(apply)

    def in_window(self) -> int:
        """Grants (real and phantom) in the current sliding window; for tests and stats."""

        def count(db: Any, now: float) -> int:
            self._prune(db, now)
            return self._count(db)

        return self._transaction(count)

    # -- what a backend provides ------------------------------------------------------------
    def _transaction(self, fn: Callable[[Any, float], T]) -> T:
        """Run ``fn(db, now)`` alone among the account's users, and commit."""
        raise NotImplementedError

    def _prune(self, db: Any, now: float) -> None:
        """Forget grants that left the window and blocks that ended.

        Grants (and blocks) further in the future than a span (or ``MAX_BLOCK_S``) mean the
        clock went back (NTP, or a FakeClock test after a real one on the same log): forget
        them rather than stall.
        """
        raise NotImplementedError

    def _state(self, db: Any, k: int) -> tuple[float | None, float | None]:
        """(the current block's end or None, the grant time at offset ``k`` newest-first)."""
        raise NotImplementedError

    def _count(self, db: Any) -> int:
        raise NotImplementedError

    def _insert(self, db: Any, now: float, n: int) -> None:
        raise NotImplementedError

    def _block(self, db: Any, until: float) -> None:
        """Block until ``until``; a later block already stored wins."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


_SCHEMA = """
CREATE TABLE IF NOT EXISTS grants (t REAL NOT NULL);
CREATE INDEX IF NOT EXISTS grants_t ON grants (t);
CREATE TABLE IF NOT EXISTS state (k TEXT PRIMARY KEY, v REAL NOT NULL);
"""


class RateBudget(SlidingWindowBudget):
    """The SQLite backend: one file per account, shared by the processes of one machine."""

    def __init__(
        self,
        limit: int = 100,
        window_s: float = 10.0,
        *,
        path: Path | None = None,
        clock: Clock | None = None,
        safety_s: float = 0.25,
    ) -> None:
        super().__init__(limit, window_s, clock=clock, safety_s=safety_s)
        self.path = Path(path) if path is not None else None
        self._lock = threading.Lock()
        self._db = self._connect()
        self._pid = os.getpid()

    def _connect(self) -> sqlite3.Connection:
        if self.path is None:
            target = ":memory:"
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            target = str(self.path)
        # isolation_level=None: we issue BEGIN IMMEDIATE ourselves; the lock guards threads.
        db = sqlite3.connect(target, timeout=60.0, isolation_level=None, check_same_thread=False)
        if self.path is not None:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(_SCHEMA)
        return db

    def _transaction(self, fn: Callable[[Any, float], T]) -> T:
        """BEGIN IMMEDIATE: one writer across threads and processes."""
        with self._lock:
            if self._pid != os.getpid():  # forked: a SQLite handle must not cross a fork
                self._db, self._pid = self._connect(), os.getpid()
            self._db.execute("BEGIN IMMEDIATE")
            try:
                result = fn(self._db, self.clock.now())
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            return result

    def _prune(self, db: sqlite3.Connection, now: float) -> None:
        db.execute(
            "DELETE FROM grants WHERE t <= ? OR t > ?",
            (now - self.span_s + TIME_EPS, now + self.span_s),
        )
        db.execute(
            "DELETE FROM state WHERE k = 'blocked_until' AND (v <= ? OR v > ?)",
            (now + TIME_EPS, now + MAX_BLOCK_S),
        )

    def _state(self, db: sqlite3.Connection, k: int) -> tuple[float | None, float | None]:
        return db.execute(
            "SELECT (SELECT v FROM state WHERE k = 'blocked_until'),"
            " (SELECT t FROM grants ORDER BY t DESC LIMIT 1 OFFSET ?)",
            (k,),
        ).fetchone()

    def _count(self, db: sqlite3.Connection) -> int:
        return db.execute("SELECT COUNT(*) FROM grants").fetchone()[0]

    def _insert(self, db: sqlite3.Connection, now: float, n: int) -> None:
        db.executemany("INSERT INTO grants (t) VALUES (?)", [(now,)] * n)

    def _block(self, db: sqlite3.Connection, until: float) -> None:
        db.execute(
            "INSERT INTO state (k, v) VALUES ('blocked_until', ?) "
            "ON CONFLICT(k) DO UPDATE SET v = max(v, excluded.v)",
            (until,),
        )

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __repr__(self) -> str:
        where = str(self.path) if self.path else "memory"
        return f"RateBudget({self.limit}/{self.window_s:g}s, safety={self.safety_s:g}s, {where})"


def account_key(settings: ConnectionSettings) -> str:
    """What names an account's log in a shared store: base URL + SHA-256 of the key.

    A hash of both, so the key itself is never stored and two clusters never share a log.
    """
    raw = f"{settings.base_url}\0{settings.api_key.fingerprint()}"
    return hashlib.sha256(raw.encode()).hexdigest()
