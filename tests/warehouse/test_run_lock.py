"""The run lock in-process: held for the block, refused to a second holder (another thread
here, as another process would be), re-entrant for its own thread, free the moment the block
ends (a run started right after another must never see the lock still held)."""

from __future__ import annotations

import threading

import pytest

from warehouse.lock import RunLocked, run_lock


def _try_in_another_thread(cfg) -> BaseException | None:
    caught: list[BaseException | None] = [None]

    def attempt() -> None:
        try:
            with run_lock(cfg, command="extract"):
                pass
        except BaseException as exc:  # handed to the test thread
            caught[0] = exc

    t = threading.Thread(target=attempt)
    t.start()
    t.join()
    return caught[0]


def test_a_second_holder_is_refused_while_the_first_holds(warehouse_cfg):
    with run_lock(warehouse_cfg, command="push"):
        err = _try_in_another_thread(warehouse_cfg)
        with run_lock(warehouse_cfg, command="extract") as inner:  # the holder's own thread
            assert inner.command == "push"
    assert isinstance(err, RunLocked), err
    assert _try_in_another_thread(warehouse_cfg) is None  # free again


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
