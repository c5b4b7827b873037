"""custify.ratelimit_pg across processes: what machines sharing one account see of the budget.

Each worker is a spawned process that builds its own ``PostgresBudget`` from the DSN, as a
worker on another machine would, on the real clock (so the database's clock). Verdicts come
from the grant times the budgets recorded inside their transactions, or from windows long
enough that no test can outlive them; none depends on how fast anything ran.
"""

from __future__ import annotations

import multiprocessing
import threading
import uuid
from collections.abc import Iterator

import psycopg2
import pytest

from custify.errors import ConfigError
from custify.ratelimit_pg import PostgresBudget
from models.clock import FakeClock, RealClock
from tests.client._budgets import (
    RecordingPostgres,
    grant_worker,
    hammer,
    max_in_span,
    probe_worker,
)
from tests.conftest import POSTGRES_DSN

pytestmark = pytest.mark.postgres
SPAWN = multiprocessing.get_context("spawn")


@pytest.fixture
def schema(postgres_available: bool) -> Iterator[str]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    yield name
    with psycopg2.connect(POSTGRES_DSN) as db, db.cursor() as cur:
        cur.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def _db_now() -> float:
    with psycopg2.connect(POSTGRES_DSN) as db, db.cursor() as cur:
        cur.execute("SELECT extract(epoch FROM clock_timestamp())::float8")
        return cur.fetchone()[0]


def _probe(spec: dict) -> dict:
    with SPAWN.Pool(1) as pool:
        return pool.apply(probe_worker, (spec,))


def test_processes_and_threads_never_exceed_the_limit_together(schema: str) -> None:
    spec = {"limit": 20, "window_s": 0.5, "safety_s": 0.05, "dsn": POSTGRES_DSN,
            "account": "acct", "schema": schema, "threads": 3, "each": 20}  # fmt: skip
    start, out = SPAWN.Barrier(3), SPAWN.Queue()
    workers = [SPAWN.Process(target=grant_worker, args=(spec, start, out)) for _ in range(2)]
    for w in workers:
        w.start()
    mine = RecordingPostgres(20, 0.5, dsn=POSTGRES_DSN, account="acct", schema=schema,
                             safety_s=0.05, clock=RealClock())  # fmt: skip
    start.wait(timeout=120)
    hammer(mine, threads=3, each=20)
    theirs = [out.get(timeout=120) for _ in workers]
    for w in workers:
        w.join(timeout=30)
        assert w.exitcode == 0
    grants = mine.granted + theirs[0] + theirs[1]
    assert len(grants) == 180 and all(len(g) == 60 for g in theirs)
    assert max_in_span(grants, 0.55) <= 20  # window + safety: stricter than any window
    mine.close()


def test_retry_after_blocks_the_other_process(schema: str) -> None:
    here = PostgresBudget(100, 10.0, dsn=POSTGRES_DSN, account="acct", schema=schema)
    here.observe(retry_after=600.0)
    seen = _probe({"limit": 100, "window_s": 10.0, "dsn": POSTGRES_DSN, "account": "acct",
                   "schema": schema})  # fmt: skip
    assert seen["in_window"] == 0
    assert 500.0 < seen["waits"][0] <= 600.0  # refused, until the block ends
    here.close()


def test_remaining_header_phantoms_count_for_the_other_process(schema: str) -> None:
    here = PostgresBudget(10, 600.0, dsn=POSTGRES_DSN, account="acct", schema=schema)
    here.acquire()
    here.observe(remaining=3)  # the server says 7 are used: 1 of ours, 6 of another tool's
    seen = _probe({"limit": 10, "window_s": 600.0, "dsn": POSTGRES_DSN, "account": "acct",
                   "schema": schema, "tries": 4})  # fmt: skip
    assert seen["in_window"] == 7
    assert seen["waits"][:3] == [0.0, 0.0, 0.0] and seen["waits"][3] > 500.0
    here.close()


class _HourBehind(RealClock):
    """A machine whose clock is an hour behind: its own time must not decide anything."""

    def now(self) -> float:
        return super().now() - 3600.0


def test_real_clocks_defer_to_the_database_clock(schema: str) -> None:
    behind = RecordingPostgres(2, 60.0, dsn=POSTGRES_DSN, account="acct", schema=schema,
                               clock=_HourBehind())  # fmt: skip
    right = RecordingPostgres(2, 60.0, dsn=POSTGRES_DSN, account="acct", schema=schema)
    before = _db_now()
    behind.acquire()
    right.acquire()
    after = _db_now()
    assert before <= behind.granted[0] <= right.granted[0] <= after
    # stamped with its own clock, the behind grant would have left the window long ago
    assert right.try_acquire() > 59.0
    behind.close()
    right.close()


def test_a_dropped_connection_is_reopened(schema: str) -> None:
    budget = PostgresBudget(3, 10.0, dsn=POSTGRES_DSN, account="acct", schema=schema,
                            clock=FakeClock())  # fmt: skip
    budget.acquire()
    budget.acquire()
    pid = budget._conn.get_backend_pid()
    with psycopg2.connect(POSTGRES_DSN) as db, db.cursor() as cur:
        cur.execute("SELECT pg_terminate_backend(%s)", (pid,))
        assert cur.fetchone()[0] is True
    budget.acquire()  # the line is gone: reopened, and the decision taken on the new one
    assert budget._conn.get_backend_pid() != pid
    assert budget.in_window() == 3
    assert budget.try_acquire() > 0
    budget.close()


def test_the_dsn_never_shows_in_repr_or_errors(schema: str) -> None:
    password = "s3cr3t-pw-do-not-show"
    dsn = POSTGRES_DSN.replace("postgres:unused@", f"postgres:{password}@")  # trust auth
    budget = PostgresBudget(5, 10.0, dsn=dsn, account="acct", schema=schema, clock=FakeClock())
    budget.acquire()
    assert password not in repr(budget) and password not in str(vars(budget))
    assert "postgres@127.0.0.1:5432/test" in repr(budget)
    budget.close()
    bad = [
        dsn.replace(":5432/", ":1/"),  # nobody listens
        f"host=127.0.0.1 password={password} port",  # malformed
    ]
    for wrong in bad:
        with pytest.raises(ConfigError) as err:
            PostgresBudget(5, 10.0, dsn=wrong, account="acct", schema=schema)
        assert password not in str(err.value) and password not in repr(err.value)
        assert "DESTINATION__POSTGRES__CREDENTIALS" in str(err.value)
        assert err.value.__cause__ is None and err.value.__suppress_context__


def test_budgets_of_many_accounts_create_the_schema_together(schema: str) -> None:
    """First use on several workers at once: one creates the tables, none fails."""
    start, made, errors = threading.Barrier(8), [], []

    def first_use(i: int) -> None:
        start.wait(timeout=30)
        try:
            made.append(
                PostgresBudget(5, 10.0, dsn=POSTGRES_DSN, account=f"acct{i}", schema=schema)
            )
        except Exception as exc:  # noqa: BLE001 -- collected, the test fails below
            errors.append(exc)

    threads = [threading.Thread(target=first_use, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(made) == 8
    for budget in made:
        budget.acquire()
        assert budget.in_window() == 1  # one log per account
        budget.close()
