"""``dagster asset materialize -m custify_sync.dagster`` as a user runs it, against two sandboxes.

A subprocess in the project directory with a ``DAGSTER_HOME`` of its own and the default
(multiprocess) executor: each connection's dataset must equal its own account, and the CLI
must continue from the cursors the Dagster run left (one pipeline, one state).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from tests.deploy.conftest import CLI, clean_env, ok, project
from tests.pipelines.helpers import Reader, assert_matches_sandbox
from warehouse import WarehouseConfig

pytestmark = pytest.mark.slow

CONFIG = """
[extract]
overlap_s = 0

[custify.connections.alpha]

[custify.connections.beta-2]

[syncs.alpha_followups]
object = "notes"
action = "create"
key = ["event_id"]
connection = "alpha"
query = \"\"\"
SELECT e.event_id, p.user_id, '<p>welcome</p>' AS text
FROM trigger_events e JOIN people p ON p.id = e.record_id
WHERE e.event_type = 'person.created' AND e.origin = 'custify'\"\"\"
"""
DAGSTER = [sys.executable, "-m", "dagster", "asset", "materialize", "-m", "custify_sync.dagster"]


def _cfg(d: Path, connection: str) -> WarehouseConfig:
    return WarehouseConfig(destination="duckdb", duckdb_path=d / "custify.duckdb",
                           pipelines_dir=d.parent / "reader").for_connection(connection)  # fmt: skip


def test_materialize_everything_leaves_each_dataset_equal_to_its_account(
    tmp_path: Path, home: Path, sandboxes
) -> None:
    alpha, beta = sandboxes(31, scale=0.03), sandboxes(32, scale=0.03)
    d = project(tmp_path / "p", CONFIG)
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    env = clean_env(home, {**alpha.env("CUSTIFY_ALPHA"), **beta.env("CUSTIFY_BETA_2"),
                           "DAGSTER_HOME": str(dagster_home)})  # fmt: skip

    def materialize(select: str) -> subprocess.CompletedProcess:
        done = subprocess.run([*DAGSTER, "--select", select], cwd=d, env=env,
                              capture_output=True, text=True, timeout=600)  # fmt: skip
        assert done.returncode == 0, done.stderr[-4000:]
        return done

    done = materialize("*")
    assert "RUN_SUCCESS" in done.stderr
    assert "custify/alpha/sync/alpha_followups" in done.stderr  # the sync ran, after its tables
    assert_matches_sandbox(alpha.sb, _cfg(d, "alpha"))
    assert_matches_sandbox(beta.sb, _cfg(d, "beta-2"))
    assert alpha.key not in done.stderr + done.stdout and beta.key not in done.stderr
    _check_metadata(dagster_home, alpha)
    # nor in anything the run stored: Dagster's run and event storage, dlt state, load packages
    stored = b"".join(f.read_bytes() for root in (dagster_home, d / ".custify-sync")
                      for f in root.rglob("*") if f.is_file())  # fmt: skip
    assert alpha.key.encode() not in stored and beta.key.encode() not in stored

    # the CLI goes on from the Dagster run's cursors: a new person is an incremental event
    new = alpha.sb.store.create("people", user_id="dg-new", email="dg@new.example",
                                name="Dagster New", companies=[])  # fmt: skip
    ok(subprocess.run([*CLI, "extract", "--connection", "alpha"], cwd=d, env=env,
                      capture_output=True, text=True, timeout=300))  # fmt: skip
    with Reader(_cfg(d, "alpha")) as db:
        created = db.rows(f"SELECT record_id FROM {db.table('trigger_events')} "
                          "WHERE event_type = 'person.created'")  # fmt: skip
    assert created == [(new["id"],)]

    # ...and the sync asset turns that event into one note on the person, once
    materialize("custify/alpha/sync/alpha_followups")
    assert [n["entity"] for n in _welcomes(alpha.sb)] == [new["id"]]
    materialize("custify/alpha/sync/alpha_followups")
    assert len(_welcomes(alpha.sb)) == 1


def _check_metadata(dagster_home: Path, alpha) -> None:
    """Each materialization carries its numbers; the sync's checks ran and passed."""
    instance = dg.DagsterInstance.from_config(str(dagster_home))
    people = instance.get_latest_materialization_event(dg.AssetKey(["custify", "alpha", "people"]))
    assert people is not None and people.asset_materialization is not None
    meta = {k: v.value for k, v in people.asset_materialization.metadata.items()}
    assert meta["rows"] == alpha.sb.store.count("people")
    assert meta["requests"] >= 1 and meta["rate_limited_429"] == 0
    assert meta["trigger_events"] == 0  # the first extract is a baseline: no events
    assert meta["run_requests"] == len(alpha.sb.journal)
    (run,) = instance.get_runs()
    checks = {}
    for record in instance.all_logs(run.run_id):
        if record.dagster_event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = record.get_dagster_event().event_specific_data
            checks[evaluation.check_name] = evaluation.passed
    assert checks == {"rejected_rows": True, "failed_rows": True}


def _welcomes(sb) -> list[dict]:
    return [n for n in sb.store.rows("notes") if "<p>welcome</p>" in (n.get("text") or "")]
