"""The rate budget holds across threads AND processes against a real HTTP sandbox.

Both sides use a short scaled window (20 requests per 1 s) so the test stays fast. Three
clients share one budget, on each backend: a SQLite file, or the PostgreSQL that dlt's
credentials name (``budget_backend = "postgres"``, as on several machines). They are this
process (several threads) and two subprocesses (several threads each, settings loaded from
pipelines.toml + env). The sandbox's journal must never see more than 20 counted requests in
any 1-second window, and no client may surface an error. Real clock, real sockets; no timing
asserts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest

from custify.client import CustifyClient
from custify.ratelimit import RateBudget, account_key
from custify.ratelimit_pg import SCHEMA, PostgresBudget
from custify.settings import load_settings
from tests.client._worker import hammer
from tests.conftest import POSTGRES_DSN
from warehouse import postgres_dsn

LIMIT, WINDOW_S = 20, 1.0
ROOT = Path(__file__).resolve().parents[2]
#: accounts whose rows the test leaves in the shared Postgres schema (removed after the test)
ACCOUNTS: list[str] = []


@pytest.fixture
def server():
    app = pytest.importorskip("sandbox.app")
    from sandbox.server import serve

    sandbox = app.Sandbox(seed=5, scale=0.1, rate_limit=LIMIT, rate_window_s=WINDOW_S)
    srv = serve(sandbox)
    yield sandbox, srv.url
    srv.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):
    """The backend's name; with postgres, the DSN where dlt looks, and a clean shared schema."""
    if request.param == "sqlite":
        yield "sqlite", RateBudget
        return
    request.getfixturevalue("postgres_available")
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", POSTGRES_DSN)  # dlt's way
    yield "postgres", PostgresBudget
    with psycopg2.connect(POSTGRES_DSN) as db, db.cursor() as cur:
        cur.execute(f"DELETE FROM {SCHEMA}.grants WHERE account IN %s", (tuple(ACCOUNTS),))


def test_threads_and_processes_share_one_budget(server, backend, tmp_path: Path) -> None:
    sandbox, url = server
    backend, kind = backend
    config = tmp_path / "pipelines.toml"
    config.write_text(
        # the safety margin covers the delay between a grant and the request's arrival, which is
        # absolute (scheduling, not window size): on a loaded 2-core machine it reaches a few
        # hundred ms, a tenth of the real 10-s window but a third of this scaled 1-s one
        f"[custify]\nrate_limit = {LIMIT}\nrate_window_s = {WINDOW_S}\nrate_safety_s = 0.5\n"
        f'budget_path = "{tmp_path / "budget.sqlite3"}"\nmax_retries = 3\n'
        f'budget_backend = "{backend}"\n'
    )
    env = {**os.environ, "CUSTIFY_API_KEY": sandbox.api_key, "CUSTIFY_BASE_URL": url}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    children = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.client._worker", str(config), "30", "4"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for _ in range(2)
    ]
    settings = load_settings(config, env=env).connection()
    ACCOUNTS.append(account_key(settings))
    with CustifyClient(settings, postgres_dsn=postgres_dsn()) as client:
        assert isinstance(client.budget, kind)
        errors = hammer(client, 30, 4)
        mine = client.stats.snapshot()
    reports = []
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, f"worker failed: {out} {err[-2000:]}"
        reports.append(json.loads(out))
    assert errors == [] and all(r["errors"] == [] for r in reports)
    sent = mine["requests"] + sum(r["stats"]["requests"] for r in reports)
    assert len(sandbox.journal) == sent >= 90
    assert sandbox.journal.max_in_window(WINDOW_S) <= LIMIT
    assert sandbox.journal.count(status=429) == 0  # the budget, not the retries, kept the limit
