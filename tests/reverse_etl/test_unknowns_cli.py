"""Through the real CLI, against a served sandbox playing the answers the notes leave open.

``custify-sync push`` runs in a child process, in a fresh project directory, against a sandbox
served over loopback HTTP whose knobs say: ``/batch`` is not there (404), or its status comes
in a format nobody can read. Each run pushes 150 people upserts and 100 events; afterwards
the sandbox holds exactly the wanted state, every event once, at most 1.1 writes per row when
``/batch`` is refused, and a second push sends nothing. Then a GDPR delete naming an e-mail two
people share deletes nobody and is rejected with both ids.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from sandbox import Sandbox, serve
from warehouse import SessionWarehouse, WarehouseConfig

ROOT = Path(__file__).resolve().parents[2]
N_PEOPLE, N_EVENTS = 150, 100
UIDS = [f"cli-{i:03d}" for i in range(N_PEOPLE)]
SHARED = "shared@cli.io"
TOML = """
[custify]
rate_limit = 1000
budget_path = "budget.sqlite3"

[warehouse]
duckdb_path = "{root}/custify.duckdb"
pipelines_dir = "{root}/dlt"

[syncs.crm]
object = "people"
match = "user_id"
table = "desired"

[syncs.usage]
object = "events"
match = "user_id"
table = "ev"

[syncs.gdpr]
object = "people"
action = "delete"
match = "email"
table = "forget"
allow_deletes = true
"""


def _cli(root: Path, url: str, key: str, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CUSTIFY_", "DESTINATION"))}
    env |= {"PYTHONPATH": str(ROOT), "CUSTIFY_BASE_URL": url, "CUSTIFY_API_KEY": key}
    return subprocess.run([sys.executable, "-m", "custify_sync.cli", *args], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip


def _tables(root: Path) -> None:
    cfg = WarehouseConfig(duckdb_path=root / "custify.duckdb", pipelines_dir=root / "dlt")
    with SessionWarehouse(cfg) as wh:
        wh.replace_df("desired", pl.DataFrame({
            "user_id": UIDS, "email": [f"{u}@cli.io" for u in UIDS],
            "custom_attributes__plan": [f"plan-{i % 7}" for i in range(N_PEOPLE)],
        }))  # fmt: skip
        wh.replace_df("ev", pl.DataFrame({
            "user_id": UIDS[:N_EVENTS], "name": ["cli_login"] * N_EVENTS,
            "created_at": [f"2024-07-01T09:{i // 60:02d}:{i % 60:02d}Z" for i in range(N_EVENTS)],
        }))  # fmt: skip
        wh.replace_df("forget", pl.DataFrame({"email": [SHARED]}))


def _exact(sb: Sandbox) -> None:
    for i, uid in enumerate(UIDS):
        (person,) = sb.store.find("people", user_id=uid)
        assert person["custom_attributes"]["plan"] == f"plan-{i % 7}", uid
    events = [e for e in sb.store.events if e["name"] == "cli_login"]
    assert len(events) == N_EVENTS
    assert len({e["deduplication_id"] for e in events}) == N_EVENTS  # no event twice


@pytest.mark.slow
@pytest.mark.parametrize(
    "knobs", [{"batch_unavailable": 404}, {"batch_status_shape": "opaque"}], ids=str
)
def test_push_through_the_cli_is_exact_whatever_batch_does(tmp_path: Path, knobs: dict) -> None:
    sb = Sandbox(seed=7, scale=0.05, rate_limit=None)  # real clock: the child shares time
    sb.faults.update(**knobs)
    a = sb.store.create("people", user_id="share-a", email=SHARED, companies=[],
                        custom_attributes={}, tags=[])  # fmt: skip
    b = sb.store.create("people", user_id="share-b", email=SHARED, companies=[],
                        custom_attributes={}, tags=[])  # fmt: skip
    # absolute paths: dlt resolves a relative DuckDB path against the cwd of the process that
    # first made the pipeline, here the test's own
    (tmp_path / "pipelines.toml").write_text(TOML.replace("{root}", str(tmp_path)))
    _tables(tmp_path)
    with serve(sb) as server:
        first = _cli(tmp_path, server.url, sb.api_key, "push", "crm", "usage")
        assert first.returncode == 0, first.stderr[-3000:]
        _exact(sb)
        writes = [e for e in sb.journal if e.method != "GET"]
        if "batch_unavailable" in knobs:
            assert len(writes) <= 1.1 * (N_PEOPLE + N_EVENTS)
            assert "404 on POST /batch" in first.stderr  # the summary names the road
        else:
            assert "unreadable batch status" in first.stderr
        seen = len(sb.journal)
        again = _cli(tmp_path, server.url, sb.api_key, "push", "crm", "usage")
        assert again.returncode == 0, again.stderr[-3000:]
        assert len(sb.journal) == seen  # nothing changed: no request at all
        _exact(sb)

        extracted = _cli(tmp_path, server.url, sb.api_key, "extract", "--objects", "people")
        assert extracted.returncode == 0, extracted.stderr[-3000:]
        seen = len(sb.journal)
        gdpr = _cli(tmp_path, server.url, sb.api_key, "push", "gdpr")
    assert gdpr.returncode == 1, gdpr.stderr[-3000:]
    assert sb.store.get("people", a["id"]) and sb.store.get("people", b["id"])
    assert [e for e in list(sb.journal)[seen:] if e.method == "DELETE"] == []
    cfg = WarehouseConfig(duckdb_path=tmp_path / "custify.duckdb", pipelines_dir=tmp_path / "dlt")
    with SessionWarehouse(cfg) as wh:
        (row,) = wh.query_df("SELECT key, reason FROM gdpr__rejected").to_dicts()
    assert row["key"] == SHARED and a["id"] in row["reason"] and b["id"] in row["reason"]
