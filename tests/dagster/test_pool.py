"""One account, one writer: a run arriving while another holds the account's pool waits its turn.

Two ``dagster job execute`` processes (two workers) share one instance whose pools have limit
1 (``concurrency: pools: default_limit: 1`` in dagster.yaml, as README "Running at scale"
tells). The second worker starts once the first run's step holds the slot, and the account
answers slowly until Dagster has told that the second run is blocked by the pool: the pool,
not the timing, keeps them apart. (Two steps claiming a free slot at the same instant can both
get it, since Dagster's claim is two statements; the run lock is the guarantee then, as the
second test shows.) The referee is the runs' event logs: both runs succeed, no two of their
steps' windows intersect, and every request the account received falls inside one window.
The run lock waits up to 5 s here, only so that the hand-off between one step's release of the
lock and the next step's start is not taken for an overlap (the windows would show a real one).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from custify_sync.dagster.naming import pool
from tests.dagster.conftest import TWO_CONNECTIONS
from tests.deploy.conftest import clean_env, project, wait_for

pytestmark = pytest.mark.slow

POOL_LIMIT_1 = "concurrency:\n  pools:\n    default_limit: 1\n"
JOB = [sys.executable, "-m", "dagster", "job", "execute", "-m", "custify_sync.dagster",
       "-j", "custify_alpha_sync"]  # fmt: skip


def _windows(instance: dg.DagsterInstance, run_id: str) -> list[tuple[float, float, str]]:
    """(start, end, step) of every step of a run, from its event log."""
    starts, ends = {}, {}
    for r in instance.all_logs(run_id):
        if r.dagster_event_type == dg.DagsterEventType.STEP_START:
            starts[r.step_key] = r.timestamp
        elif r.dagster_event_type == dg.DagsterEventType.STEP_SUCCESS:
            ends[r.step_key] = r.timestamp
    assert starts and set(starts) == set(ends), (starts, ends)
    return [(starts[k], ends[k], f"{run_id[:8]}:{k}") for k in starts]


def _logged(instance: dg.DagsterInstance, matches: Callable[[Any], bool]) -> bool:
    """Does an event of any run of the instance match?"""
    return any(matches(r) for run in instance.get_runs() for r in instance.all_logs(run.run_id))


def test_two_runs_on_one_account_never_overlap(tmp_path: Path, home: Path, sandboxes) -> None:
    alpha = sandboxes(41, scale=0.02, latency_s=5.0)  # slow until the second run waits
    d = project(tmp_path / "p", TWO_CONNECTIONS.replace("lock_wait_s = 0", "lock_wait_s = 5"))
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    (dagster_home / "dagster.yaml").write_text(POOL_LIMIT_1)
    env = clean_env(home, {**alpha.env("CUSTIFY_ALPHA"), "DAGSTER_HOME": str(dagster_home)})
    instance = dg.DagsterInstance.from_config(str(dagster_home))
    instance.get_runs()  # its databases exist before two processes race to create them
    # the pool's row too: Dagster creates a default-limit pool lazily, at the first claim
    instance.event_log_storage.set_concurrency_slots(pool("alpha"), 1)
    alpha.sb.journal.clear()

    def worker() -> subprocess.Popen:
        return subprocess.Popen(JOB, cwd=d, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)  # fmt: skip

    workers = [worker()]
    started = dg.DagsterEventType.STEP_START
    wait_for(lambda: _logged(instance, lambda r: r.dagster_event_type == started), 300)
    workers.append(worker())
    blocked = f"blocked by limit for pool {pool('alpha')}"
    wait_for(lambda: _logged(instance, lambda r: blocked in (r.user_message or "")), 300)
    alpha.sb.faults.latency_s = 0.01
    outputs = [w.communicate(timeout=600)[0] for w in workers]
    for w, out in zip(workers, outputs, strict=True):
        assert w.returncode == 0, out[-4000:]
        assert "RunLocked" not in out and "is running" not in out

    runs = instance.get_runs()
    assert len(runs) == 2 and all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs)
    windows = sorted(w for r in runs for w in _windows(instance, r.run_id))
    assert len(windows) == 4  # extract and the sync step, in each run
    for before, after in zip(windows, windows[1:], strict=False):
        assert before[1] <= after[0], f"{before[2]} overlapped {after[2]}"
    requests = [e.t for e in alpha.sb.journal]
    assert requests and all(any(s <= t <= e for s, e, _ in windows) for t in requests)


def test_a_run_meeting_another_runs_lock_fails_naming_the_pool(
    tmp_path: Path, home: Path, sandboxes, monkeypatch: pytest.MonkeyPatch
) -> None:
    from custify_sync.project import load_project
    from warehouse.lock import run_lock

    monkeypatch.setenv("DLT_PROJECT_DIR", "")  # loading the project sets it: undone after
    monkeypatch.delenv("DLT_PROJECT_DIR")

    alpha = sandboxes(43, scale=0.01)
    d = project(tmp_path / "p", TWO_CONNECTIONS)  # lock_wait_s = 0
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    env = clean_env(home, {**alpha.env("CUSTIFY_ALPHA"), "DAGSTER_HOME": str(dagster_home)})
    cfg = load_project(d / "pipelines.toml").warehouse_for("alpha")
    select = [sys.executable, "-m", "dagster", "asset", "materialize", "-m",
              "custify_sync.dagster", "--select", "custify/alpha/people"]  # fmt: skip
    with run_lock(cfg, command="extract"):  # another run holds the account
        done = subprocess.run(select, cwd=d, env=env, capture_output=True, text=True,
                              timeout=600)  # fmt: skip
    assert done.returncode != 0
    assert "another custify-sync run holds the lock" in done.stderr
    assert "set the limit of pool custify-alpha to 1" in done.stderr
    assert len(alpha.sb.journal) == 0  # nothing was sent
