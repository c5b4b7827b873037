"""Scratch state never outlives a push: a SIGKILL while a wave's outcomes are being written
(their staging table exists, the transaction has not committed) leaves no scratch table in
the warehouse, and the rerun finishes the work. Old-style scratch tables (real tables a
killed push of an earlier version left) are swept at the start of every push. DuckDB and
Postgres; the tables are looked up in ``information_schema``.
"""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

import polars as pl

from custify.settings import load_settings
from reverse_etl import run_push
from sandbox import Sandbox, serve
from tests.reliability.kill import run_point
from warehouse import SessionWarehouse, WarehouseConfig

TOML = """
[custify]
rate_limit = 1000

[syncs.crm]
object = "people"
match = "user_id"
table = "desired"
"""
#: a push that kills itself once the outcomes' staging table holds the wave's outcomes
CHILD = """
import json, os, signal, sys
from contextlib import contextmanager
from pathlib import Path

import reverse_etl.ledger.tables as ledger
from custify.settings import load_settings
from reverse_etl import run_push
from warehouse import WarehouseConfig

root, key, url, spec = Path(sys.argv[1]), sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
real = ledger.staged


@contextmanager
def dying(wh, client, df, prefix):
    with real(wh, client, df, prefix) as name:
        if prefix == "custify_outcomes":
            (root / "killed_in").write_text(name)
            os.kill(os.getpid(), signal.SIGKILL)
        yield name


ledger.staged = dying
settings = load_settings(root / "pipelines.toml", env={"CUSTIFY_API_KEY": key,
                                                       "CUSTIFY_BASE_URL": url})
for name in ("duckdb_path", "pipelines_dir"):
    spec[name] = Path(spec[name])
sys.exit(run_push(settings, None, warehouse_cfg=WarehouseConfig(**spec)).exit_code)
"""
STALE = "_custify_outcomes_0123456789ab"


def _spec(cfg: WarehouseConfig) -> str:
    return json.dumps({"destination": cfg.destination, "dataset": cfg.dataset,
                       "duckdb_path": str(cfg.duckdb_path), "credentials": cfg.credentials,
                       "pipelines_dir": str(cfg.pipelines_dir)})  # fmt: skip


def _scratch(cfg: WarehouseConfig) -> list[str]:
    with SessionWarehouse(cfg) as wh:
        rows = wh.query_rows(
            "SELECT table_name FROM information_schema.tables WHERE lower(table_name) LIKE "
            "'%custify_outcomes%' OR lower(table_name) LIKE '%custify_state\\_%' ESCAPE '\\'"
        )
    return sorted(str(r[0]) for r in rows)


def test_a_kill_during_the_outcome_write_leaves_no_scratch_table(
    tmp_path: Path, warehouse_cfg: WarehouseConfig
) -> None:
    cfg = WarehouseConfig(destination=warehouse_cfg.destination, dataset=warehouse_cfg.dataset,
                          duckdb_path=tmp_path / "custify.duckdb", pipelines_dir=tmp_path / "dlt",
                          credentials=warehouse_cfg.credentials)  # fmt: skip
    sb = Sandbox(seed=5, scale=0.02, rate_limit=None)
    uids = [f"sk-{i}" for i in range(30)]
    (tmp_path / "pipelines.toml").write_text(TOML)
    with SessionWarehouse(cfg) as wh:
        wh.replace_df("desired", pl.DataFrame({"user_id": uids, "name": ["Killed"] * 30}))
    with serve(sb) as server:
        (tmp_path / "child.py").write_text(CHILD)
        cmd = [sys.executable, str(tmp_path / "child.py"), str(tmp_path), sb.api_key, server.url,
               _spec(cfg)]  # fmt: skip
        assert run_point(cmd) == -signal.SIGKILL
        assert (tmp_path / "killed_in").read_text()  # it died holding the staging table
        assert _scratch(cfg) == []  # the temporary table went with the killed session
        with SessionWarehouse(cfg) as wh:  # what an older version's kill left behind
            wh.replace_df(STALE, pl.DataFrame({"attempt_id": ["x"]}))
        assert _scratch(cfg) == [STALE]
        settings = load_settings(tmp_path / "pipelines.toml",
                                 env={"CUSTIFY_API_KEY": sb.api_key, "CUSTIFY_BASE_URL": server.url})  # fmt: skip
        report = run_push(settings, None, warehouse_cfg=cfg)
    assert report.exit_code == 0, report.syncs[0]
    assert _scratch(cfg) == []
    held = {p["user_id"] for p in sb.store.rows("people") if p.get("user_id") in set(uids)}
    assert held == set(uids)
    with SessionWarehouse(cfg) as wh:
        states = wh.query_df("SELECT status, count(*) AS n FROM _custify_ledger GROUP BY status")
    assert dict(states.rows()) == {"pending": 30, "confirmed": 30}  # killed wave, then the rerun
