"""A push killed with SIGKILL mid-batch, then rerun, leaves Custify exactly at the desired state.

The push runs in a child process against a real ``serve()``d sandbox over loopback HTTP; the
parent watches the sandbox's journal and kills the child once batches are in flight (their rows
are ``pending`` in the ledger, their jobs may or may not have run). The rerun must neither lose
nor duplicate a person or an event.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import polars as pl
import pytest

from custify.settings import load_settings
from reverse_etl import run_push
from warehouse import SessionWarehouse, WarehouseConfig

REPO = Path(__file__).resolve().parents[2]
N = 1000
CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from custify.settings import load_settings
    from reverse_etl import run_push
    from warehouse import WarehouseConfig
    root = Path(sys.argv[1])
    settings = load_settings(root / "pipelines.toml", env={"CUSTIFY_API_KEY": sys.argv[2],
                                                           "CUSTIFY_BASE_URL": sys.argv[3]})
    cfg = WarehouseConfig(duckdb_path=root / "custify.duckdb", pipelines_dir=root / "dlt")
    sys.exit(run_push(settings, None, warehouse_cfg=cfg).exit_code)
    """
)
TOML = """
[custify]
rate_limit = 1000
concurrency = 4
budget_path = "budget.sqlite3"

[syncs.crm]
object = "people"
match = "user_id"
table = "desired"

[syncs.usage]
object = "events"
match = "user_id"
table = "ev"
"""


def _wait_for_batches(sb, child: subprocess.Popen, n: int, timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if sb.journal.count("POST", "/batch") >= n:
            return
        if child.poll() is not None:
            pytest.fail(f"the push finished (exit {child.returncode}) before it could be killed")
        time.sleep(0.01)
    pytest.fail("the child never submitted a batch")


@pytest.mark.slow
def test_sigkill_mid_batch_then_rerun_converges(tmp_path: Path) -> None:
    from sandbox.app import Sandbox
    from sandbox.server import serve

    sb = Sandbox(seed=7, scale=0.05, rate_limit=None)
    sb.faults.batch_delay_s = 0.3  # jobs stay in flight while the parent kills the child
    uids = [f"k-{i:05d}" for i in range(N)]
    (tmp_path / "pipelines.toml").write_text(TOML)
    (tmp_path / "child.py").write_text(CHILD)
    cfg = WarehouseConfig(duckdb_path=tmp_path / "custify.duckdb", pipelines_dir=tmp_path / "dlt")
    with SessionWarehouse(cfg) as wh:
        wh.replace_df("desired", pl.DataFrame({"user_id": uids, "name": [u.upper() for u in uids]}))
        wh.replace_df("ev", pl.DataFrame({"user_id": uids, "name": ["signup"] * N,
                                          "created_at": ["2024-01-01T00:00:00Z"] * N}))  # fmt: skip
    with serve(sb) as server:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        child = subprocess.Popen(
            [sys.executable, str(tmp_path / "child.py"), str(tmp_path), sb.api_key, server.url],
            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        _wait_for_batches(sb, child, 3)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        assert child.returncode == -signal.SIGKILL
        created_before = sum(1 for p in sb.store.rows("people") if p["user_id"] in set(uids))
        assert created_before < N  # killed mid-run, not after
        settings = load_settings(
            tmp_path / "pipelines.toml",
            env={"CUSTIFY_API_KEY": sb.api_key, "CUSTIFY_BASE_URL": server.url},
        )
        report = run_push(settings, None, warehouse_cfg=cfg)
    assert report.exit_code == 0, report
    wanted = set(uids)
    mine = [p for p in sb.store.rows("people") if p.get("user_id") in wanted]
    assert len(mine) == N and len({p["user_id"] for p in mine}) == N
    assert all(p["name"] == p["user_id"].upper() for p in mine)
    signups = [e for e in sb.store.events if e["name"] == "signup"]
    assert len(signups) == N and len({e["deduplication_id"] for e in signups}) == N
    with SessionWarehouse(cfg) as wh:
        statuses = wh.query_df("SELECT DISTINCT run_id, status FROM _custify_ledger")
    killed_run = statuses.filter(pl.col("status") == "pending").get_column("run_id").unique()
    assert killed_run.len() == 1  # write-ahead rows of the killed run stay as evidence
