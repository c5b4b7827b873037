"""``run`` and ``run --watch`` through the real CLI, against a sandbox over loopback: a
change made while the watch runs becomes a trigger event; ``--duration`` and SIGTERM both
end the watch cleanly (exit 0, health written as stopped, the lock released)."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

from models.registry import EXTRACTED
from tests.deploy.conftest import CLI, clean_env, ok, project
from warehouse import Warehouse, WarehouseConfig

WATCHED = ("people", "tickets")
TOML = f"""
[extract]
exclude = {json.dumps([o.name for o in EXTRACTED if o.name not in WATCHED])}

[watch]
min_interval_s = 0.3
max_interval_s = 5
push_interval_s = 2
"""


def _events(path: Path) -> list[dict]:
    cfg = WarehouseConfig(destination="duckdb", duckdb_path=path / "custify.duckdb",
                          pipelines_dir=path / "reader")  # fmt: skip
    wh = Warehouse(cfg)
    if not wh.table_exists("trigger_events"):
        return []
    return wh.query_df("SELECT event_type, record_id, changes FROM trigger_events").to_dicts()


def _health(path: Path) -> dict:
    return json.loads((path / ".custify-sync" / "watch-default.json").read_text())


def test_run_then_watch_for_a_duration_detects_a_change(tmp_path, cli, sandboxes) -> None:
    served = sandboxes(3)
    path = project(tmp_path / "p", TOML)
    ok(cli(path, "run", env=served.env()))  # the baseline cycle
    proc = subprocess.Popen([*CLI, "-v", "run", "--watch", "--duration", "12"], cwd=path,
                            env=clean_env(tmp_path / "home", served.env()),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    _wait_for(lambda: _cycles(path) >= 1, proc)
    person = served.sb.store.create("people", email="watch@new.example", name="W", tags=[],
                                    companies=[], custom_attributes={})  # fmt: skip
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err[-3000:]
    assert "Traceback" not in err
    created = [e for e in _events(path) if e["record_id"] == person["id"]]
    assert [e["event_type"] for e in created] == ["person.created"]
    health = _health(path)
    assert health["state"] == "stopped" and health["cycles"] >= 2
    assert health["objects"]["people"]["mode"] == "probe"
    assert set(health["objects"]) == set(WATCHED)
    status = ok(cli(path, "status", env=served.env()))
    assert "watch" in status.stdout and "people" in status.stdout


def test_sigterm_stops_the_watch_cleanly_and_releases_the_lock(tmp_path, cli, sandboxes):
    served = sandboxes(4)
    path = project(tmp_path / "p", TOML)
    proc = subprocess.Popen([*CLI, "run", "--watch"], cwd=path,
                            env=clean_env(tmp_path / "home", served.env()),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    _wait_for(lambda: _cycles(path) >= 2, proc)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err[-3000:]
    assert "Traceback" not in err and "SIGTERM" in err
    assert _health(path)["state"] == "stopped"
    ok(cli(path, "run", env=served.env()))  # the lock is free again


def test_duration_without_watch_is_a_usage_error(tmp_path, cli) -> None:
    done = cli(project(tmp_path / "p", TOML), "run", "--duration", "5")
    assert done.returncode == 2 and "--duration needs --watch" in done.stderr


def _cycles(path: Path) -> int:
    try:
        return int(_health(path)["cycles"])
    except (OSError, ValueError, KeyError):
        return 0


def _wait_for(condition, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if proc.poll() is not None:
            raise AssertionError(f"the watch ended early: {proc.stderr.read()[-3000:]}")
        time.sleep(0.1)
    raise AssertionError("timed out waiting for the watch")
