"""Fixtures shared by every test package: one FakeClock, sandboxes on it, and warehouses on
disk and on the real PostgreSQL.

A test package that needs a different account asks ``sandbox_factory`` for it (another seed,
scale, profile or size) in its own ``sandbox`` fixture; the clock stays this one, so the
sandbox, the client and the code under test see the same time and no test waits in real time.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from models.clock import FakeClock
from sandbox import Sandbox
from warehouse import Warehouse, WarehouseConfig

POSTGRES_DSN = os.environ.get(
    "CUSTIFY_TEST_POSTGRES_DSN", "postgresql://postgres:unused@127.0.0.1:5432/test"
)


def _postgres_reachable() -> bool:
    import psycopg2

    try:
        psycopg2.connect(POSTGRES_DSN, connect_timeout=3).close()
        return True
    except psycopg2.OperationalError:
        return False


@pytest.fixture(scope="session")
def postgres_available() -> bool:
    if _postgres_reachable():
        return True
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is required in CI but unreachable at {POSTGRES_DSN}")
    pytest.skip(
        "PostgreSQL not reachable on 127.0.0.1:5432: start it (make test does) "
        "or set CUSTIFY_TEST_POSTGRES_DSN to enable the Postgres tests"
    )
    return False


@pytest.fixture
def duckdb_cfg(tmp_path: Path) -> WarehouseConfig:
    return WarehouseConfig(
        destination="duckdb",
        duckdb_path=tmp_path / "custify.duckdb",
        pipelines_dir=tmp_path / "dlt",
    )


@pytest.fixture
def postgres_cfg(tmp_path: Path, postgres_available: bool):
    dataset = f"t_{uuid.uuid4().hex[:12]}"
    cfg = WarehouseConfig(
        destination="postgres",
        dataset=dataset,
        credentials=POSTGRES_DSN,
        pipelines_dir=tmp_path / "dlt",
    )
    yield cfg
    Warehouse(cfg).execute(f'DROP SCHEMA IF EXISTS "{dataset}" CASCADE')


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse_cfg(request: pytest.FixtureRequest) -> WarehouseConfig:
    """Both warehouses, for tests that must hold on DuckDB and on Postgres."""
    return request.getfixturevalue(f"{request.param}_cfg")


@pytest.fixture
def clock() -> FakeClock:
    """The test's one clock: the sandbox, the client and the engine all take it."""
    return FakeClock()


@pytest.fixture
def sandbox_factory(clock: FakeClock) -> Callable[..., Sandbox]:
    """``sandbox_factory(seed=7, scale=0.05, **kw)``: an offline account on the test's clock.

    Keywords go to ``Sandbox`` (``rate_limit``, ``profile``, ``sizes``, ``faults``, ...).
    """

    def make(*, seed: int = 7, scale: float = 0.05, **kwargs: Any) -> Sandbox:
        kwargs.setdefault("clock", clock)
        return Sandbox(seed=seed, scale=scale, **kwargs)

    return make


@pytest.fixture
def sandbox(sandbox_factory: Callable[..., Sandbox]) -> Sandbox:
    """A small seeded account (seed 7, scale 0.05) on the test's clock."""
    return sandbox_factory()
