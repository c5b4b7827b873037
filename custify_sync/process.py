"""What the command line does to its own process, beside parsing and running a command."""

from __future__ import annotations

import atexit
import gc


def skip_final_collection() -> None:
    """Freeze the heap as the interpreter exits, so that its last garbage collection skips
    the objects the run left behind instead of traversing every one of them.

    After an extract that pass costs 0.3-0.5 s of CPU (bench/README.md), spent on memory the
    operating system takes back anyway. Everything still closes as before: files, DuckDB and
    SQLite connections are closed by the code that opened them, other exit handlers still run,
    and objects outside reference cycles are still freed one by one.
    """
    atexit.register(gc.freeze)
