"""CPU and wall seconds per stage of a push (read, validate, diff, send, ...), for a reader
and for ``make bench``: where a large sync spends its time, without a profiler.

``process_time`` counts every thread of the process, so the native threads DuckDB and polars
run for a stage are in its figure; planning runs on one Python thread, so stages never overlap.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Stages:
    """Seconds per stage name, in the order the stages first ran."""

    cpu_s: dict[str, float] = field(default_factory=dict)
    wall_s: dict[str, float] = field(default_factory=dict)
    #: the process's peak resident set (MB) when the stage last ended: where memory peaks
    peak_mb: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        cpu0, wall0 = time.process_time(), time.perf_counter()
        try:
            yield
        finally:
            self.cpu_s[name] = self.cpu_s.get(name, 0.0) + time.process_time() - cpu0
            self.wall_s[name] = self.wall_s.get(name, 0.0) + time.perf_counter() - wall0
            self.peak_mb[name] = _peak_mb()

    def as_dict(self) -> dict[str, dict[str, float]]:
        return {n: {"cpu_s": round(c, 3), "wall_s": round(self.wall_s[n], 3),
                    "peak_mb": round(self.peak_mb[n], 1)} for n, c in self.cpu_s.items()}  # fmt: skip


def _peak_mb() -> float:
    try:
        import resource
    except ImportError:  # not on every platform
        return 0.0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024.0 if sys.platform != "darwin" else peak / 2**20
