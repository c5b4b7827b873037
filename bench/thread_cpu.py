"""CPU seconds of one client process per Python thread, summed by thread name.

Sampling profilers attribute time badly where threads wait on each other: py-spy's ``--gil``
mode sees only the thread holding the GIL (native work that releases it is lost), and its
default mode counts some blocked threads as running (a run of 8 s CPU gave 11.9 s of samples).
The kernel's per-thread clocks do not guess: each thread's own CPU (``CLOCK_THREAD_CPUTIME_ID``)
is read when it ends, and for the threads still alive at the end through
``pthread_getcpuclockid``. Names are summed without their numbers (``custify-fetch_3`` and
``dlt-pool-1407..-_0`` count as ``custify-fetch`` and ``dlt-pool``). The process total minus
their sum is ``(other)``: native threads (DuckDB's, Arrow's, polars') and threads of a class that
overrides ``run`` and ended before the snapshot.
"""

from __future__ import annotations

import re
import resource
import threading
import time
from collections import defaultdict

_NUMBER = re.compile(r"\d+")
_ended: defaultdict[str, float] = defaultdict(float)
_lock = threading.Lock()
_installed = False


def _family(name: str) -> str:
    return _NUMBER.sub("", name).rstrip("-_") or name


def install() -> None:
    """Record every thread's CPU when it ends (call before the measured work starts any)."""
    global _installed
    if _installed:
        return
    _installed = True
    run = threading.Thread.run

    def counted(self: threading.Thread) -> None:
        try:
            run(self)
        finally:
            spent = time.thread_time()
            with _lock:
                _ended[_family(self.name)] += spent
                self._cpu_counted = True  # type: ignore[attr-defined]

    threading.Thread.run = counted  # type: ignore[method-assign]


def snapshot() -> dict[str, float]:
    """Seconds per thread family so far (ended and alive), largest first, with ``(other)``."""
    with _lock:
        spent = defaultdict(float, _ended)
        alive = [t for t in threading.enumerate() if not getattr(t, "_cpu_counted", False)]
    for thread in alive:
        if thread.ident is None:
            continue
        try:
            clock = time.pthread_getcpuclockid(thread.ident)
            spent[_family(thread.name)] += time.clock_gettime(clock)
        except (OSError, OverflowError):  # ended meanwhile: take snapshots once the work is done
            continue
    usage = resource.getrusage(resource.RUSAGE_SELF)
    spent["(other)"] = max(0.0, usage.ru_utime + usage.ru_stime - sum(spent.values()))
    return {name: round(s, 3) for name, s in sorted(spent.items(), key=lambda kv: -kv[1])}
