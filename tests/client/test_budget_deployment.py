"""``budget_backend = "postgres"`` through the real CLI: two project directories, one account.

Two project directories stand for two machines: each has its own ``pipelines.toml``, its own
DuckDB warehouse, dlt folder and SQLite budget file, so only the Postgres budget can keep them
within the account's limit together. The account's limit is scaled (20 requests per 1 s, on
both sides) so that the test stays short; the safety margin covers the delay between a grant
and the request's arrival on a loaded machine. Verdicts come from the sandbox's journal.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest

from custify.ratelimit import account_key
from custify.ratelimit_pg import SCHEMA
from custify.settings import ApiKey, ConnectionSettings
from sandbox import Sandbox, serve
from tests.conftest import POSTGRES_DSN

LIMIT, WINDOW_S = 20, 1.0
ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "custify_sync.cli"]


@pytest.fixture
def server():
    sandbox = Sandbox(seed=8, scale=0.1, rate_limit=LIMIT, rate_window_s=WINDOW_S)
    srv = serve(sandbox)
    yield sandbox, srv.url
    srv.stop()


def _project(root: Path) -> Path:
    root.mkdir()
    (root / "pipelines.toml").write_text(
        f"[custify]\nrate_limit = {LIMIT}\nrate_window_s = {WINDOW_S}\nrate_safety_s = 0.5\n"
        'budget_backend = "postgres"\nbudget_path = "budget.sqlite3"\n\n'
        '[warehouse]\nduckdb_path = "warehouse.duckdb"\npipelines_dir = "dlt"\n'
    )
    return root


def _env(sandbox, url: str, dsn: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESTINATION__")}
    env.update(CUSTIFY_API_KEY=sandbox.api_key, CUSTIFY_BASE_URL=url, DLT_TELEMETRY="false",
               RUNTIME__DLTHUB_TELEMETRY="false")  # fmt: skip
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    if dsn:
        env["DESTINATION__POSTGRES__CREDENTIALS"] = dsn
    return env


@pytest.mark.postgres
@pytest.mark.slow
def test_two_machines_extracting_one_account_share_the_postgres_budget(
    server, tmp_path: Path, postgres_available: bool
) -> None:
    sandbox, url = server
    env = _env(sandbox, url, POSTGRES_DSN)
    account = account_key(ConnectionSettings(api_key=ApiKey(sandbox.api_key), base_url=url))
    runs = [
        subprocess.Popen([*CLI, "extract"], cwd=_project(tmp_path / name), env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name in ("machine_a", "machine_b")
    ]  # fmt: skip
    try:
        for run in runs:
            out, err = run.communicate(timeout=300)
            assert run.returncode == 0, err[-3000:]
        assert len(sandbox.journal) > 2 * LIMIT  # enough traffic to overrun one budget each
        assert sandbox.journal.max_in_window(WINDOW_S) <= LIMIT
        assert sandbox.journal.count(status=429) == 0
        with psycopg2.connect(POSTGRES_DSN) as db, db.cursor() as cur:
            cur.execute(f"SELECT count(*) FROM {SCHEMA}.grants WHERE account = %s", (account,))
            assert cur.fetchone()[0] > 0  # the grants went to the shared log
        assert not (tmp_path / "machine_a/budget.sqlite3").exists()
    finally:
        with psycopg2.connect(POSTGRES_DSN) as db, db.cursor() as cur:
            cur.execute(f"DELETE FROM {SCHEMA}.grants WHERE account = %s", (account,))
            cur.execute(f"DELETE FROM {SCHEMA}.blocks WHERE account = %s", (account,))


def test_postgres_backend_without_credentials_exits_2_before_any_request(
    server, tmp_path: Path
) -> None:
    sandbox, url = server
    run = subprocess.run([*CLI, "extract"], cwd=_project(tmp_path / "p"), env=_env(sandbox, url, None),
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert run.returncode == 2
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "DESTINATION__POSTGRES__CREDENTIALS" in lines[0], run.stderr
    assert "budget_backend" in lines[0]
    assert len(sandbox.journal) == 0
