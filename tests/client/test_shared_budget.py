"""Clients that share an account's rate budget keep the account's limit together, on each
backend: a SQLite file, or the PostgreSQL that dlt's credentials name (``budget_backend =
"postgres"``, as on several machines).

Three clients stand for three processes: each loads its settings from the same pipelines.toml
(the key from the environment) and opens a budget of its own on the shared store. They take
turns sending page requests to one sandbox that enforces the same limit, all on one FakeClock,
so a 1-second window costs no real time and every grant reaches the sandbox at the instant it
was granted. The sandbox's journal is the referee: never more than the limit in any window, no
429, no error surfaced; and the fake time the run took shows that the clients waited for each
other. The budget under threads, and real processes on the PostgreSQL budget, are
tests/client/test_ratelimit.py's and tests/client/test_postgres_budget.py's.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import psycopg2
import pytest

from custify.client import CustifyClient
from custify.ratelimit import RateBudget, account_key
from custify.ratelimit_pg import SCHEMA, PostgresBudget
from custify.settings import load_settings
from models.clock import FakeClock
from sandbox import Sandbox
from tests.conftest import POSTGRES_DSN
from warehouse import postgres_dsn

LIMIT, WINDOW_S = 20, 1.0
CLIENTS, EACH = 3, 30


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):
    """The backend's name and budget class; with postgres, the DSN where dlt looks."""
    if request.param == "sqlite":
        yield "sqlite", RateBudget
        return
    request.getfixturevalue("postgres_available")
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", POSTGRES_DSN)  # dlt's way
    yield "postgres", PostgresBudget


@pytest.fixture
def account(sandbox_factory: Callable[..., Sandbox]):
    """A sandbox enforcing the scaled limit, under a key of its own (the Postgres schema is
    shared by every test run, so no run may count another's grants); its grants are removed
    from that schema afterwards."""
    sandbox = sandbox_factory(seed=5, scale=0.1, rate_limit=LIMIT, rate_window_s=WINDOW_S,
                              api_key=f"sk_test_shared_{uuid.uuid4().hex}")  # fmt: skip
    keys: list[str] = []
    yield sandbox, keys
    if keys and postgres_dsn():
        with psycopg2.connect(POSTGRES_DSN) as db, db.cursor() as cur:
            cur.execute(f"DELETE FROM {SCHEMA}.grants WHERE account IN %s", (tuple(keys),))


def test_clients_of_one_account_share_one_budget(
    account, backend, clock: FakeClock, tmp_path: Path
) -> None:
    sandbox, keys = account
    name, kind = backend
    config = tmp_path / "pipelines.toml"
    config.write_text(
        f"[custify]\nrate_limit = {LIMIT}\nrate_window_s = {WINDOW_S}\nrate_safety_s = 0.05\n"
        f'budget_path = "{tmp_path / "budget.sqlite3"}"\nmax_retries = 3\n'
        f'budget_backend = "{name}"\n'
    )
    env = {"CUSTIFY_API_KEY": sandbox.api_key, "CUSTIFY_BASE_URL": "https://sandbox.invalid"}
    clients = []
    for _ in range(CLIENTS):
        settings = load_settings(config, env=env).connection()
        keys.append(account_key(settings))
        clients.append(CustifyClient(settings, transport=sandbox.transport(), clock=clock,
                                     postgres_dsn=postgres_dsn()))  # fmt: skip
    start = clock.now()
    try:
        assert all(isinstance(c.budget, kind) for c in clients)
        for i in range(EACH):
            for client in clients:  # turns, as three processes' requests interleave
                assert client.list_page("people", 1 + i % 5, page_size=10).rows
        sent = sum(c.stats.snapshot()["requests"] for c in clients)
    finally:
        for client in clients:
            client.close()
    assert len(sandbox.journal) == sent == CLIENTS * EACH
    assert sandbox.journal.max_in_window(WINDOW_S) <= LIMIT
    assert sandbox.journal.count(status=429) == 0  # the budget, not the retries, kept the limit
    # 90 requests at 20 per window: the last batch could start no earlier than 4 windows in
    assert clock.now() - start >= (CLIENTS * EACH // LIMIT) * WINDOW_S
