"""Helpers for the SIGKILL tests: start a child against a served sandbox, kill it at a random
point of its traffic, and a push child (the ELT child is ``tests.pipelines.killer``)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def run_and_kill(
    cmd: list[str],
    sb,
    rng: random.Random,
    *,
    max_requests: int,
    max_delay_s: float = 0.4,
    timeout_s: float = 120.0,
) -> tuple[bool, str]:
    """Start ``cmd``; once the sandbox has seen ``k`` more requests (k random in 1..max) and
    a random extra delay has passed, SIGKILL it. Returns (killed, where) -- ``killed`` False
    when the child finished first (then it must have exited 0)."""
    k = rng.randint(1, max_requests)
    delay = rng.uniform(0.0, max_delay_s)
    start = len(sb.journal)
    child = subprocess.Popen(cmd, cwd=ROOT, env=ENV, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)  # fmt: skip
    deadline = time.monotonic() + timeout_s
    fired_at = None
    while time.monotonic() < deadline and child.poll() is None:
        if fired_at is None and len(sb.journal) - start >= k:
            fired_at = time.monotonic()
        if fired_at is not None and time.monotonic() - fired_at >= delay:
            child.send_signal(signal.SIGKILL)
            break
        time.sleep(0.005)
    else:
        if child.poll() is None:  # the deadline: never hang the suite
            child.kill()
    out, err = child.communicate(timeout=60)
    if child.returncode == -signal.SIGKILL:
        return True, f"after request {len(sb.journal) - start} (k={k}, +{delay:.2f}s)"
    assert child.returncode == 0, err.decode()[-3000:]
    return False, "finished first"


def run_point(cmd: list[str], timeout_s: float = 120.0) -> int:
    """Run a child that kills itself at an injected point; returns its exit code."""
    done = subprocess.run(cmd, cwd=ROOT, env=ENV, capture_output=True, timeout=timeout_s)
    assert done.returncode in (0, -signal.SIGKILL), done.stderr.decode()[-3000:]
    return done.returncode


PUSH_CHILD = """
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


def push_cmd(root: Path, key: str, url: str) -> list[str]:
    (root / "push_child.py").write_text(PUSH_CHILD)
    return [sys.executable, str(root / "push_child.py"), str(root), key, url]
