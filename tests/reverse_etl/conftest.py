"""Fixtures for the reverse-ETL tests: a client on the shared sandbox and FakeClock, a warehouse
(DuckDB under tmp_path, or a fresh schema on the real Postgres), and a ``Pusher`` that runs
``run_push`` with syncs given inline."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl
import pytest

from custify.client import CustifyClient
from custify.ratelimit import RateBudget
from custify.settings import ApiKey, ConnectionSettings, Settings
from models.clock import FakeClock
from reverse_etl import PushReport, run_push
from warehouse import SessionWarehouse, Warehouse, WarehouseConfig

BASE_URL = "https://sandbox.custify.example"


def make_client(
    sb: Any, clock: FakeClock, transport: Any = None, **overrides: Any
) -> CustifyClient:
    options: dict[str, Any] = {"max_retries": 12, **overrides}
    settings = ConnectionSettings(api_key=ApiKey(sb.api_key), base_url=BASE_URL, **options)
    budget = RateBudget(settings.rate_limit, settings.rate_window_s, clock=clock)
    transport = transport or sb.transport()
    return CustifyClient(settings, transport=transport, budget=budget, clock=clock)


@pytest.fixture
def client(sandbox: Any, clock: FakeClock) -> CustifyClient:
    return make_client(sandbox, clock)


@dataclass
class Pusher:
    """Runs pushes of inline ``[syncs.*]`` sections against one sandbox and one warehouse."""

    wh_cfg: WarehouseConfig
    client: CustifyClient
    clock: FakeClock
    sandbox: Any
    syncs: dict[str, dict] = field(default_factory=dict)

    _wh: SessionWarehouse | None = None

    @property
    def wh(self) -> Warehouse:
        """One open session for the test's own reads and writes (closed by ``close``)."""
        if self._wh is None:
            self._wh = SessionWarehouse(self.wh_cfg)
        return self._wh

    def close(self) -> None:
        if self._wh is not None:
            self._wh.close()
            self._wh = None

    def settings(self) -> Settings:
        conn = self.client.settings
        return Settings(connections={"default": conn}, raw={"syncs": self.syncs})

    def table(self, name: str, rows: dict[str, list] | pl.DataFrame) -> None:
        frame = rows if isinstance(rows, pl.DataFrame) else pl.DataFrame(rows)
        self.wh.replace_df(name, frame)

    def push(self, *names: str, dry_run: bool = False, **kwargs: Any) -> PushReport:
        return run_push(
            self.settings(),
            list(names) or None,
            dry_run=dry_run,
            warehouse_cfg=self.wh_cfg,
            client_factory=lambda _name: self.client,
            clock=self.clock,
            **kwargs,
        )

    def requests(self) -> int:
        """Requests the sandbox counted (429s and 401s are not in its window)."""
        return len(self.sandbox.journal)

    def bodies(self, method: str = "POST", prefix: str = "") -> list[Any]:
        return [e.body for e in self.sandbox.journal.filter(method, prefix)]


@pytest.fixture
def pusher(duckdb_cfg: WarehouseConfig, client: CustifyClient, clock: FakeClock, sandbox: Any):
    p = Pusher(duckdb_cfg, client, clock, sandbox)
    yield p
    p.close()


@pytest.fixture
def any_pusher(
    warehouse_cfg: WarehouseConfig, client: CustifyClient, clock: FakeClock, sandbox: Any
):
    """The same pusher on DuckDB and on the real Postgres (``@pytest.mark.postgres``)."""
    p = Pusher(warehouse_cfg, client, clock, sandbox)
    yield p
    p.close()


def people(sb: Any) -> list[dict]:
    return list(sb.store.rows("people"))


def person_by(sb: Any, field_name: str, value: Any) -> list[dict]:
    return [p for p in sb.store.rows("people") if p.get(field_name) == value]


def extract(p: Pusher, *objects: str) -> None:
    """Run the real ELT (``pipelines.run_extract``) into the pusher's warehouse, then forget
    its requests so a test counts only what the push sends."""
    from pipelines.run import run_extract

    p.close()  # the extract opens its own connections
    run_extract(p.settings(), objects=list(objects or ("people",)), warehouse_cfg=p.wh_cfg,
                client=p.client, clock=p.clock)  # fmt: skip
    p.sandbox.journal.clear()
