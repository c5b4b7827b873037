"""Crashes during extract: SIGKILL at random points of a child's traffic
and at dlt's step boundaries, each followed by a rerun; the warehouse then equals the sandbox
field for field (no row lost, none twice).

tests/pipelines/test_kill.py covers five fixed points once each, with the exact trigger
events; this suite draws the points at random (k-th request of the run plus a random delay,
or one of killer.py's injected points), at least 20 per CI run, with changes and deletes made
in Custify between runs and reconcile runs mixed in.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

import pytest

from custify import ApiKey, ConnectionSettings
from models.clock import RealClock
from pipelines import ExtractOptions, run_extract
from sandbox import Sandbox, serve
from tests.pipelines.changes import make_changes
from tests.pipelines.helpers import assert_matches_sandbox
from tests.reliability.conftest import soak
from tests.reliability.kill import run_and_kill, run_point
from warehouse import WarehouseConfig

INJECTED = ["normalize", "load", "mid_load", "page:2", "page:7"]


class _Ticks:
    def advance(self, seconds: float) -> None:
        import time

        time.sleep(0.002)  # the sandbox stamps milliseconds of real time


def _cmd(server, tmp: Path, point: str, reconcile: bool) -> list[str]:
    cmd = [sys.executable, "-m", "tests.pipelines.killer", server.url, server.sandbox.api_key,
           str(tmp / "custify.duckdb"), str(tmp / "dlt"), str(tmp / "budget.sqlite3"), point]  # fmt: skip
    return cmd + (["reconcile"] if reconcile else [])


@pytest.mark.slow
def test_sigkill_at_random_points_of_extract_then_rerun_equals_sandbox(tmp_path, tally) -> None:
    sb = Sandbox(seed=31, scale=0.02, clock=RealClock(), rate_limit=None)
    cfg = WarehouseConfig(duckdb_path=tmp_path / "custify.duckdb", pipelines_dir=tmp_path / "dlt")
    rng = random.Random(31)
    kills, tried, log = 0, 0, []
    with serve(sb) as server:
        started = time.monotonic()
        settings = ConnectionSettings(api_key=ApiKey(sb.api_key), base_url=server.url,
                                      rate_limit=1000, budget_path=tmp_path / "rerun.sqlite3")  # fmt: skip
        options = ExtractOptions(page_size=10, batch_rows=20, intervals={})
        target = soak(20)
        for i in range(target * 2):  # bounded: a child may finish before its kill point
            if kills >= target:
                break
            make_changes(sb, _Ticks(), rng, per_object=1)
            if i % 4 == 3:  # deletes in Custify, seen by a reconcile run
                note = sorted(r["id"] for r in sb.store.rows("notes"))[0]
                sb.store.delete("notes", note)
            reconcile = i % 4 == 3
            tried += 1
            if i % 3 == 2:
                point = rng.choice(INJECTED)
                killed = run_point(_cmd(server, tmp_path, point, reconcile)) != 0
                where = point
            else:
                killed, where = run_and_kill(_cmd(server, tmp_path, "none", reconcile), sb, rng,
                                             max_requests=40)  # fmt: skip
            kills += killed
            t = time.monotonic()
            run_extract(settings, warehouse_cfg=cfg, options=options, reconcile=reconcile)
            assert_matches_sandbox(sb, cfg)
            log.append(f"{where}: child {t - started:.1f}s, rerun {time.monotonic() - t:.1f}s")
            started = time.monotonic()
    tally(kill_points=kills)
    assert kills >= target, log
