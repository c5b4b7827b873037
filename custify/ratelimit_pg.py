"""The rate budget in PostgreSQL: one account's sliding-window log, shared across machines.

``[custify] budget_backend = "postgres"`` puts the log of ``custify.ratelimit`` into the
warehouse's PostgreSQL (the DSN dlt already has), so workers on several machines that share a
Custify account stay within its 100 requests per 10 s together (custify-api.md §1.8). The
decisions are ``SlidingWindowBudget``'s, exactly as with SQLite; this module only stores them.

Storage: schema ``custify_budget`` (created on first use, if missing), tables ``grants
(account, t)`` and ``blocks (account, until)`` (a 429's Retry-After). ``account`` is
``custify.ratelimit.account_key``, a SHA-256 of base URL and key: never the key. The tables are
UNLOGGED: grants matter for 10 seconds, so they skip the WAL; a crash of the database forgets
at most one window, which the 429 handling covers. Each decision prunes its own account's
rows; an account nobody uses any more leaves at most one window of them.

Atomicity: every decision is one transaction that first takes a transaction-level advisory lock
for the account (``pg_advisory_xact_lock`` on a 64-bit key derived from schema and account:
a documented function, no ``hashtext`` collisions between accounts), then prunes, counts and
inserts. The lock serializes the account's decisions across every connection; other accounts
are not held up. ``lock_timeout`` and ``idle_in_transaction_session_timeout`` keep a stuck
holder from stalling everyone. One connection per budget (per process) behind a thread lock:
the account's decisions are serialized by the advisory lock anyway, so more connections would
only move the queue into the server.

The clock: with the real clock, ``now`` is the database's ``clock_timestamp()``, read after the
lock is ours. Machines' clocks differ (NTP keeps them within milliseconds when it works, not
always): a grant stamped by a machine running 1 s behind would leave the others' window 1 s
early, and they could send more than ``limit`` in a server window. One clock for every decision
removes that; ``clock_timestamp()`` (not ``now()``, the transaction's start) is the time the
lock was granted. Waits are differences of database times, slept locally; rate differences
between clocks are negligible over seconds. An injected clock (a ``FakeClock`` in tests) is used
as given instead, so tests drive the budget without real waits, threads included.

Connections: a dropped connection (database restart, failover, idle kill) is reopened and the
decision retried with a short back-off; a commit whose answer was lost may have counted a grant
twice, which only errs on the safe side. The DSN may hold a password: it never appears in an
error, a log or ``repr`` (only ``user@host:port/dbname``).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import psycopg2
from psycopg2.extensions import parse_dsn

from custify.errors import ConfigError, FatalError
from custify.ratelimit import MAX_BLOCK_S, TIME_EPS, SlidingWindowBudget
from models.clock import Clock, RealClock

__all__ = ["SCHEMA", "PostgresBudget"]

SCHEMA = "custify_budget"
#: back-off before each attempt of a decision after a dropped connection (about 9 s in all)
_RETRY_DELAYS_S = (0.0, 0.2, 0.5, 1.0, 2.0, 5.0)
_SESSION = "SET lock_timeout = '30s'; SET idle_in_transaction_session_timeout = '60s'"
_APP_NAME = "custify-sync rate budget"
_HINT = "check DESTINATION__POSTGRES__CREDENTIALS (or [destination.postgres] credentials)"
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
#: connections inherited through fork: never closed in the child (closing one would end the
#: parent's session on the shared socket), kept referenced so that no finalizer closes them
_FORKED_AWAY: list[Any] = []

T = TypeVar("T")

_DDL = """
CREATE SCHEMA IF NOT EXISTS {s};
CREATE UNLOGGED TABLE IF NOT EXISTS {s}.grants (account text NOT NULL, t float8 NOT NULL);
CREATE INDEX IF NOT EXISTS grants_account_t ON {s}.grants (account, t);
CREATE UNLOGGED TABLE IF NOT EXISTS {s}.blocks (account text PRIMARY KEY, until float8 NOT NULL);
"""


def _lock_key(schema: str, account: str) -> int:
    """The advisory lock of an account's decisions (``account=""``: of the schema's creation)."""
    digest = hashlib.sha256(f"{schema}\0{account}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class _Dsn:
    """A libpq DSN (URI or key=value) that shows only ``user@host:port/dbname``."""

    __slots__ = ("_value", "_password", "shown")

    def __init__(self, value: str) -> None:
        try:
            parts = parse_dsn(value)
        except (psycopg2.ProgrammingError, TypeError):
            raise ConfigError(f"the rate budget's PostgreSQL DSN is malformed; {_HINT}") from None
        self._value = value
        self._password = parts.get("password") or None
        where = f"{parts.get('host', 'localhost')}:{parts.get('port', '5432')}"
        user = f"{parts['user']}@" if parts.get("user") else ""
        self.shown = f"postgresql://{user}{where}/{parts.get('dbname', '')}"

    def reveal(self) -> str:
        return self._value

    def scrub(self, text: str) -> str:
        return text.replace(self._password, "***") if self._password else text

    def __repr__(self) -> str:
        return self.shown


class PostgresBudget(SlidingWindowBudget):
    """The PostgreSQL backend: one account's log in ``schema``, shared by every machine."""

    def __init__(
        self,
        limit: int = 100,
        window_s: float = 10.0,
        *,
        dsn: str,
        account: str,
        clock: Clock | None = None,
        safety_s: float = 0.25,
        schema: str = SCHEMA,
    ) -> None:
        super().__init__(limit, window_s, clock=clock, safety_s=safety_s)
        if not _NAME.match(schema):
            raise ValueError(f"schema {schema!r}: lower-case letters, digits and underscores")
        self._dsn = _Dsn(dsn)
        self.account = account
        self.schema = schema
        self._s = f'"{schema}"'  # quoted once; the name was checked above
        #: the real clock defers to the database's (module docstring); a fake one is used as is
        self.db_clock = isinstance(self.clock, RealClock)
        self._lock_key = _lock_key(schema, account)
        self._lock = threading.Lock()
        self._conn: Any = None
        self._pid = os.getpid()
        try:
            with self._lock:
                self._ensure_schema()
        except psycopg2.Error as exc:
            raise ConfigError(self._unreachable("cannot use", exc)) from None

    def _unreachable(self, what: str, exc: BaseException) -> str:
        reason = self._dsn.scrub(str(exc).strip().splitlines()[0] if str(exc).strip() else "")
        return f"rate budget: {what} PostgreSQL at {self._dsn}: {type(exc).__name__}: {reason}; {_HINT}"

    # -- connection ---------------------------------------------------------------------------
    def _connection(self) -> Any:
        if self._pid != os.getpid():  # forked: the parent's session stays the parent's
            if self._conn is not None:
                _FORKED_AWAY.append(self._conn)
            self._conn, self._pid = None, os.getpid()
        if self._conn is None or self._conn.closed:
            kwargs: dict[str, Any] = {"application_name": _APP_NAME}
            if "connect_timeout" not in parse_dsn(self._dsn.reveal()):
                kwargs["connect_timeout"] = 10
            conn = psycopg2.connect(self._dsn.reveal(), **kwargs)
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(_SESSION)
            conn.autocommit = False
            self._conn = conn
        return self._conn

    def _ensure_schema(self) -> None:
        conn = self._connection()
        s = self._s
        with conn.cursor() as cur:
            # existing tables need no CREATE privilege: check before creating
            cur.execute(
                "SELECT to_regclass(%s) IS NOT NULL AND to_regclass(%s) IS NOT NULL",
                (f"{s}.grants", f"{s}.blocks"),
            )
            if not cur.fetchone()[0]:
                # concurrent CREATE ... IF NOT EXISTS can still collide: one creator at a time
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (_lock_key(self.schema, ""),))
                cur.execute(_DDL.format(s=s))
        conn.commit()

    def _transaction(self, fn: Callable[[Any, float], T]) -> T:
        """One transaction under the account's advisory lock; reconnects on a dropped line."""
        last: BaseException | None = None
        for delay in _RETRY_DELAYS_S:
            if delay:
                self.clock.sleep(delay)
            with self._lock:
                try:
                    return self._run(fn)
                except (psycopg2.OperationalError, psycopg2.InterfaceError) as exc:
                    last = exc  # closed connections are reopened by _connection
        assert last is not None
        raise FatalError(self._unreachable("lost", last)) from None

    def _run(self, fn: Callable[[Any, float], T]) -> T:
        conn = self._connection()
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (self._lock_key,))
                if self.db_clock:
                    cur.execute("SELECT extract(epoch FROM clock_timestamp())::float8")
                    now = cur.fetchone()[0]
                else:
                    now = self.clock.now()
                result = fn(cur, now)
            conn.commit()
            return result
        except BaseException:
            if not conn.closed:
                with contextlib.suppress(psycopg2.Error):
                    conn.rollback()
            raise

    # -- the log --------------------------------------------------------------------------------
    def _prune(self, cur: Any, now: float) -> None:
        s = self._s
        cur.execute(
            f"DELETE FROM {s}.grants WHERE account = %(a)s AND (t <= %(lo)s OR t > %(hi)s);"
            f"DELETE FROM {s}.blocks WHERE account = %(a)s AND (until <= %(b0)s OR until > %(b1)s)",
            {
                "a": self.account,
                "lo": now - self.span_s + TIME_EPS,
                "hi": now + self.span_s,
                "b0": now + TIME_EPS,
                "b1": now + MAX_BLOCK_S,
            },
        )

    def _state(self, cur: Any, k: int) -> tuple[float | None, float | None]:
        s = self._s
        cur.execute(
            f"SELECT (SELECT until FROM {s}.blocks WHERE account = %(a)s),"
            f" (SELECT t FROM {s}.grants WHERE account = %(a)s ORDER BY t DESC LIMIT 1 OFFSET %(k)s)",
            {"a": self.account, "k": k},
        )
        return cur.fetchone()

    def _count(self, cur: Any) -> int:
        cur.execute(f"SELECT count(*) FROM {self._s}.grants WHERE account = %s", (self.account,))
        return cur.fetchone()[0]

    def _insert(self, cur: Any, now: float, n: int) -> None:
        cur.execute(
            f"INSERT INTO {self._s}.grants (account, t) SELECT %s, %s FROM generate_series(1, %s)",
            (self.account, now, n),
        )

    def _block(self, cur: Any, until: float) -> None:
        s = self._s
        cur.execute(
            f"INSERT INTO {s}.blocks (account, until) VALUES (%s, %s) ON CONFLICT (account) "
            f"DO UPDATE SET until = GREATEST({s}.blocks.until, EXCLUDED.until)",
            (self.account, until),
        )

    def close(self) -> None:
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None

    def __repr__(self) -> str:
        return (
            f"PostgresBudget({self.limit}/{self.window_s:g}s, safety={self.safety_s:g}s, "
            f"{self._dsn}, schema={self.schema}, account={self.account[:12]}...)"
        )
