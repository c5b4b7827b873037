"""Runs that overlap (a cron job outlasting its interval, two orchestrator runs) and runs that
are stopped: the run lock serializes them, and a stop leaves nothing half-done."""

from __future__ import annotations

import signal
import subprocess

from tests.deploy.conftest import CLI, clean_env, ok, one_error, project, wait_for
from tests.pipelines.helpers import Reader

NOTES = """
[custify]
concurrency = 2

[syncs.notes]
object = "notes"
action = "create"
key = ["k"]
table = "wanted_notes"
"""


def _wanted(cli, d, env, n: int, company_id: str) -> None:
    rows = " UNION ALL ".join(
        f"SELECT 'k{i}' AS k, '{company_id}' AS company_id, '<p>note {i}</p>' AS text"
        for i in range(n)
    )
    ok(cli(d, "sql", f"CREATE TABLE wanted_notes AS {rows}", env=env))


def _start(d, env, home, *args: str) -> subprocess.Popen:
    return subprocess.Popen([*CLI, *args], cwd=d, env=clean_env(home, env), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip


def test_two_pushes_started_together_create_each_note_once(tmp_path, cli, sandboxes, home, target):
    served = sandboxes(31, latency_s=0.02)
    d = project(tmp_path / "p", target.toml + NOTES)
    env = {**served.env(), **target.env}
    ok(cli(d, "extract", "--objects", "companies", env=env))
    company = served.sb.store.rows("companies")[0]
    _wanted(cli, d, env, 30, company["company_id"])
    runs = [_start(d, env, home, "push", "--wait", "120") for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in runs]
    assert [p.returncode for p in runs] == [0, 0], outs
    notes = [n for n in served.sb.store.rows("notes") if n["text"].startswith("<p>note ")]
    texts = sorted(n["text"].split("<!--")[0] for n in notes)
    assert texts == sorted(f"<p>note {i}</p>" for i in range(30))  # each exactly once
    creates = served.sb.journal.count(method="POST", path_prefix="/note")
    assert creates == 30  # the second run found every note confirmed and sent none


def test_the_second_run_exits_75_naming_the_holder(tmp_path, cli, sandboxes, home, target):
    served = sandboxes(32, latency_s=0.5)  # the extract: ~20 requests one at a time, ~10 s
    d = project(tmp_path / "p", target.toml + NOTES.replace("concurrency = 2", "concurrency = 1"))
    env = {**served.env(), **target.env}
    first = _start(d, env, home, "extract")
    wait_for(lambda: served.sb.journal.count() > 0)
    second = cli(d, "push", env=env)
    line = one_error(second, 75, "holds the lock", f"pid {first.pid}", "`extract`", "--wait")
    assert "since" in line
    first.communicate(timeout=300)
    assert first.returncode == 0


def test_sigterm_stops_a_push_at_a_safe_point_and_releases_the_lock(tmp_path, cli, sandboxes,
                                                                     home, target):  # fmt: skip
    served = sandboxes(33, latency_s=0.3)
    d = project(tmp_path / "p", target.toml + NOTES)
    env = {**served.env(), **target.env}
    ok(cli(d, "extract", "--objects", "companies", env=env))
    _wanted(cli, d, env, 40, served.sb.store.rows("companies")[0]["company_id"])
    before = served.sb.journal.count(method="POST", path_prefix="/note")
    run = _start(d, env, home, "push")
    wait_for(lambda: served.sb.journal.count(method="POST", path_prefix="/note") > before)
    run.send_signal(signal.SIGTERM)
    _, err = run.communicate(timeout=60)
    assert run.returncode == 143, err
    assert (
        "Traceback" not in err and len([x for x in err.splitlines() if x.startswith("error:")]) == 1
    )
    with Reader(target.cfg(d)) as db:
        statuses = dict(db.rows(f"SELECT status, count(*) FROM {db.table('_custify_ledger')} "
                                "GROUP BY status"))  # fmt: skip
    # every sent note has its outcome: nothing is left pending, the stop came between waves
    assert "pending" not in statuses and statuses.get("confirmed", 0) >= 1
    ok(cli(d, "push", env=env))  # --wait 0: a lock still held would be exit 75
    made = [n for n in served.sb.store.rows("notes") if n["text"].startswith("<p>note ")]
    assert len(made) == 40


def test_ctrl_c_stops_an_extract_cleanly_and_the_rerun_loads_everything(tmp_path, cli,
                                                                         sandboxes, home):  # fmt: skip
    from tests.pipelines.helpers import assert_matches_sandbox
    from warehouse import WarehouseConfig

    served = sandboxes(34, latency_s=0.1)
    d = project(tmp_path / "p", "[custify]\nconcurrency = 1\n[extract]\noverlap_s = 0\n")
    run = _start(d, served.env(), home, "extract")
    wait_for(lambda: served.sb.journal.count() > 3)
    run.send_signal(signal.SIGINT)
    _, err = run.communicate(timeout=60)
    assert run.returncode == 130, err
    assert "Traceback" not in err and "stopped by SIGINT" in err
    ok(cli(d, "extract", env=served.env()))
    cfg = WarehouseConfig(duckdb_path=d / "custify.duckdb", pipelines_dir=tmp_path / "r")
    assert_matches_sandbox(served.sb, cfg)
