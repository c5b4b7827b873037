"""A run killed with SIGKILL at any point, then rerun, converges: no row or event twice."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from models.clock import RealClock
from models.registry import EXTRACTED
from models.types import Trigger
from pipelines.events import event_type
from sandbox import Sandbox, serve
from tests.pipelines.changes import make_changes, snapshot
from tests.pipelines.helpers import assert_matches_sandbox, events, marked_deleted
from warehouse import WarehouseConfig

ROOT = Path(__file__).resolve().parents[2]
POINTS = ["page:3", "normalize", "mid_load", "page:25"]


def _child(server, tmp: Path, point: str, reconcile: bool = False) -> int:
    cmd = [
        sys.executable,
        "-m",
        "tests.pipelines.killer",
        server.url,
        server.sandbox.api_key,
        str(tmp / "custify.duckdb"),
        str(tmp / "dlt"),
        str(tmp / "budget.sqlite3"),
        point,
    ]
    if reconcile:
        cmd.append("reconcile")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    if done.returncode not in (0, -signal.SIGKILL):
        pytest.fail(f"child failed at {point}: {done.stderr[-3000:]}")
    return done.returncode


class _Ticks:
    """make_changes advances its clock between a create and an update; real time needs a
    real pause (Custify stamps milliseconds)."""

    def advance(self, seconds: float) -> None:
        import time

        time.sleep(0.002)


#: kill points after which the run's extraction (rows, events, cursors) is committed: its
#: pending package is loaded by the next run before that run extracts anything
COMMITTED = {"normalize", "load", "mid_load"}


def _detected(before: dict, after: dict) -> Counter:
    """The events a run that saw ``after`` records against a warehouse that held ``before``."""
    out: Counter = Counter()
    for obj in EXTRACTED:
        old, new = before[obj.name], after[obj.name]
        for rid, stamp in new.items():
            if rid not in old and Trigger.CREATED in obj.triggers:
                out[(obj.name, rid, event_type(obj.name, Trigger.CREATED))] += 1
            elif rid in old and old[rid] != stamp and Trigger.UPDATED in obj.triggers:
                out[(obj.name, rid, event_type(obj.name, Trigger.UPDATED))] += 1
    return out


@pytest.mark.slow
def test_sigkill_at_any_point_then_rerun_converges(tmp_path):
    sb = Sandbox(seed=21, scale=0.05, clock=RealClock())
    cfg = WarehouseConfig(duckdb_path=tmp_path / "custify.duckdb", pipelines_dir=tmp_path / "dlt")
    rng = random.Random(8)
    expected: Counter = Counter()
    with serve(sb) as server:
        assert _child(server, tmp_path, "none") == 0  # baseline: no events
        seen = snapshot(sb)
        for point in POINTS:
            make_changes(sb, _Ticks(), rng, per_object=1)
            assert _child(server, tmp_path, point) == -signal.SIGKILL, point
            if point in COMMITTED:
                expected += _detected(seen, snapshot(sb))
                seen = snapshot(sb)
        doomed = sorted(r["id"] for r in sb.store.rows("notes"))[:2]
        for rid in doomed:
            sb.store.delete("notes", rid)
        expected += _detected(seen, snapshot(sb))  # the killed reconcile run committed these
        expected += Counter(("notes", rid, "note.deleted") for rid in doomed)
        assert _child(server, tmp_path, "deletes", reconcile=True) == -signal.SIGKILL
        assert _child(server, tmp_path, "none", reconcile=True) == 0
    assert_matches_sandbox(sb, cfg)
    assert marked_deleted(cfg, "notes") == set(doomed)
    got = Counter((e["object"], e["record_id"], e["event_type"]) for e in events(cfg))
    assert got == expected
