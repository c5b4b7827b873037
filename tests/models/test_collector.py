"""The collector runs in larger steps during a run and is as the caller left it afterwards."""

from __future__ import annotations

import gc
import threading

import pytest

from models.collector import RUN_THRESHOLDS, fewer_collections


@pytest.fixture
def thresholds():
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*before)


def test_thresholds_are_raised_inside_and_restored_after(thresholds) -> None:
    with fewer_collections():
        assert gc.get_threshold() == RUN_THRESHOLDS
    assert gc.get_threshold() == (700, 10, 10)


def test_nested_and_concurrent_blocks_restore_only_at_the_outermost_exit(thresholds) -> None:
    inner_done = threading.Event()
    seen: list[tuple[int, int, int]] = []

    def other_run() -> None:
        with fewer_collections():
            inner_done.wait(5)
        seen.append(gc.get_threshold())

    with fewer_collections():
        worker = threading.Thread(target=other_run)
        worker.start()
        with fewer_collections():
            pass
        assert gc.get_threshold() == RUN_THRESHOLDS  # the nested exit restored nothing
        inner_done.set()
        worker.join(5)
        assert seen == [RUN_THRESHOLDS]  # the other run ended while this one still runs
        assert gc.get_threshold() == RUN_THRESHOLDS
    assert gc.get_threshold() == (700, 10, 10)


def test_an_exception_restores_the_thresholds(thresholds) -> None:
    with pytest.raises(RuntimeError), fewer_collections():
        raise RuntimeError("the run failed")
    assert gc.get_threshold() == (700, 10, 10)


def test_cycles_made_inside_are_still_collected(thresholds) -> None:
    class Node:
        pass

    with fewer_collections():
        node = Node()
        node.self = node  # type: ignore[attr-defined]
        ref = __import__("weakref").ref(node)
        del node
        gc.collect()  # a full pass still runs when asked (and every 100,000 allocations)
        assert ref() is None
