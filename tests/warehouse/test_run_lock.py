"""The run lock in-process: held for the block, refused to a second holder, free the moment
the block ends (a run started right after another must never see the lock still held)."""

from __future__ import annotations

import pytest

from warehouse.lock import RunLocked, run_lock


def test_a_second_holder_is_refused_while_the_first_holds(warehouse_cfg):
    with run_lock(warehouse_cfg, command="push"):
        second = run_lock(warehouse_cfg, command="extract")
        with pytest.raises(RunLocked) as err:
            second.__enter__()
    assert "push" in str(err.value) or "another process" in str(err.value)


def test_the_lock_is_free_as_soon_as_the_holder_returns(warehouse_cfg):
    # back to back, with no wait: each run takes the lock the previous one just released
    taken = 0
    for _ in range(30):
        with run_lock(warehouse_cfg, command="push"):
            taken += 1
    assert taken == 30


def test_a_failing_run_releases_the_lock(warehouse_cfg):
    with pytest.raises(ValueError), run_lock(warehouse_cfg, command="push"):
        raise ValueError("the run failed")
    with run_lock(warehouse_cfg, command="extract") as me:
        assert me.command == "extract"
