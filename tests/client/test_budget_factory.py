"""``[custify] budget_backend`` and ``make_budget``: which budget a connection gets, and from what."""

from __future__ import annotations

from pathlib import Path

import httpx
import psycopg2
import pytest

from custify.budgets import make_budget
from custify.client import CustifyClient
from custify.ratelimit import RateBudget, account_key
from custify.ratelimit_pg import SCHEMA, PostgresBudget
from custify.settings import ApiKey, ConfigError, ConnectionSettings, load_settings
from models.clock import FakeClock
from tests.client.conftest import SECRET, Script
from tests.conftest import POSTGRES_DSN
from warehouse import WarehouseConfig, postgres_dsn


def _conn(tmp_path: Path, **options: object) -> ConnectionSettings:
    defaults = {"base_url": "https://api.custify.example", "budget_path": tmp_path / "b.sqlite3"}
    return ConnectionSettings(api_key=ApiKey(SECRET), **{**defaults, **options})  # type: ignore[arg-type]


@pytest.fixture
def shared_log(postgres_available: bool):
    """Rows this test leaves in the shared ``custify_budget`` schema are removed after it."""
    accounts: list[str] = []
    yield accounts
    with psycopg2.connect(POSTGRES_DSN) as db, db.cursor() as cur:
        for account in accounts:
            cur.execute(f"DELETE FROM {SCHEMA}.grants WHERE account = %s", (account,))
            cur.execute(f"DELETE FROM {SCHEMA}.blocks WHERE account = %s", (account,))


def test_budget_backend_is_read_per_connection(tmp_path: Path) -> None:
    config = tmp_path / "pipelines.toml"
    config.write_text(
        '[custify]\nbudget_backend = "postgres"\n\n[custify.connections.staging]\nrate_limit = 5\n'
    )
    env = {"CUSTIFY_API_KEY": SECRET, "CUSTIFY_STAGING_API_KEY": "sk_staging"}
    settings = load_settings(config, env=env)
    assert settings.connection().budget_backend == "postgres"
    assert settings.connection("staging").budget_backend == "sqlite"  # the default


def test_a_backend_that_is_not_a_string_is_refused_at_load(tmp_path: Path) -> None:
    config = tmp_path / "pipelines.toml"
    config.write_text("[custify]\nbudget_backend = 2\n")
    with pytest.raises(ConfigError, match=r"\[custify\] budget_backend: expected str"):
        load_settings(config, env={"CUSTIFY_API_KEY": SECRET}, connection="default")


def test_sqlite_is_the_default_and_uses_the_accounts_file(tmp_path: Path) -> None:
    conn = _conn(tmp_path)
    budget = make_budget(conn, clock=FakeClock())
    assert isinstance(budget, RateBudget) and budget.path == conn.default_budget_path()
    budget.acquire()
    assert RateBudget(path=conn.default_budget_path(), clock=budget.clock).in_window() == 1


def test_postgres_without_a_dsn_is_a_config_error_before_anything_is_sent(tmp_path: Path) -> None:
    conn = _conn(tmp_path, budget_backend="postgres")
    with pytest.raises(ConfigError, match="DESTINATION__POSTGRES__CREDENTIALS") as err:
        make_budget(conn, clock=FakeClock())
    assert "connection 'default'" in str(err.value)
    script = Script(httpx.Response(200, json={}))
    with pytest.raises(ConfigError, match="DESTINATION__POSTGRES__CREDENTIALS"):
        CustifyClient(conn, transport=httpx.MockTransport(script))
    assert script.requests == []


def test_an_unknown_backend_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="budget_backend must be one of sqlite, postgres"):
        make_budget(_conn(tmp_path, budget_backend="redis"), clock=FakeClock())


@pytest.mark.postgres
def test_postgres_log_is_keyed_by_account_never_by_key(tmp_path: Path, shared_log) -> None:
    conn = _conn(tmp_path, budget_backend="postgres", rate_limit=3)
    other = _conn(tmp_path, budget_backend="postgres", base_url="https://eu.custify.example")
    shared_log.extend([account_key(conn), account_key(other)])
    assert account_key(conn) != account_key(other)  # another cluster, another log
    budget = make_budget(conn, clock=FakeClock(), postgres_dsn=POSTGRES_DSN)
    assert isinstance(budget, PostgresBudget) and budget.limit == 3
    budget.acquire()
    budget.observe(retry_after=1.0)
    budget.close()
    with psycopg2.connect(POSTGRES_DSN) as db, db.cursor() as cur:
        cur.execute(
            f"SELECT account FROM {SCHEMA}.grants UNION ALL SELECT account FROM {SCHEMA}.blocks"
        )
        stored = [row[0] for row in cur.fetchall()]
    assert stored.count(account_key(conn)) == 2
    assert not any(SECRET in a or ApiKey(SECRET).fingerprint() in a for a in stored)


@pytest.mark.postgres
def test_the_client_builds_the_configured_budget_and_closes_it(tmp_path: Path, shared_log) -> None:
    conn = _conn(tmp_path, budget_backend="postgres")
    shared_log.append(account_key(conn))
    script = Script(httpx.Response(200, json={"ok": True}))
    clock = FakeClock()
    client = CustifyClient(
        conn, transport=httpx.MockTransport(script), clock=clock, postgres_dsn=POSTGRES_DSN
    )
    assert isinstance(client.budget, PostgresBudget)
    client.get_json("/people")
    assert len(script.requests) == 1
    assert client.budget.in_window() == 1
    client.close()
    assert client.budget._conn is None  # the budget the client built closed with it


def test_postgres_dsn_comes_from_the_warehouse_or_dlts_providers(monkeypatch) -> None:
    monkeypatch.delenv("DESTINATION__POSTGRES__CREDENTIALS", raising=False)
    assert postgres_dsn(WarehouseConfig()) is None  # DuckDB, and nothing configured
    own = WarehouseConfig(destination="postgres", credentials="postgresql://u:p@wh:5432/db")
    assert postgres_dsn(own).startswith("postgresql://u:p@wh:5432/db")
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", "postgresql://v:q@env:5433/e")
    assert postgres_dsn(WarehouseConfig()).startswith("postgresql://v:q@env:5433/e")
    assert postgres_dsn(None).startswith("postgresql://v:q@env:5433/e")
