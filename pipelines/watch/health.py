"""The watch's health, persisted in the project's state dir for ``status`` to show.

A watch is a long-lived process; an operator asks "is it running, is it keeping up, what is
it spending". After every cycle (and when it stops) the watch writes
``<state_dir>/watch-<connection>.json`` (atomically: a temporary file renamed over the old
one): cycle count, last cycle time and duration, per object the lag (now - last successful
poll), interval and change counts, the budget used per minute (requests this process sent in
the last 60 s, probes and scans and pushes), the pushes left pending by the last push, the
webhook backlog, and the last errors. ``status`` reads it whether the watch still runs or
not (``state`` says which, and the pid).
"""

from __future__ import annotations

import json
import os
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pipelines.watch.scheduler import Scheduler

#: errors kept in the health file (the newest last)
KEEP_ERRORS = 5


def health_path(state_dir: Path, connection: str) -> Path:
    return state_dir / f"watch-{connection}.json"


@dataclass
class Health:
    path: Path
    connection: str
    pid: int = field(default_factory=os.getpid)
    state: str = "running"
    started_at: float = field(default_factory=time.time)
    updated_at: float = 0.0
    cycles: int = 0
    last_cycle_at: float | None = None
    last_cycle_s: float | None = None
    last_exit: int | None = None
    events: int = 0
    pending_pushes: int = 0
    webhook_backlog: int = 0
    webhook_dead: int = 0
    requests_per_min: float = 0.0
    budget_per_min: float = 0.0
    planned_probe_rps: float = 0.0
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    _requests: deque = field(default_factory=deque, repr=False)

    def count_requests(self, now: float, total: int) -> None:
        """Keep (time, total requests) for the last minute; the difference is the use."""
        self._requests.append((now, total))
        while self._requests and now - self._requests[0][0] > 60:
            self._requests.popleft()
        first_t, first_n = self._requests[0]
        span = max(now - first_t, 1.0)
        self.requests_per_min = (total - first_n) * 60.0 / span

    def error(self, line: str) -> None:
        self.errors = [*self.errors, line][-KEEP_ERRORS:]

    def update(self, scheduler: Scheduler, now: float) -> None:
        self.planned_probe_rps = scheduler.planned_rps()
        self.objects = {
            p.name: {
                "lag_s": None if p.last_poll_at is None else round(now - p.last_poll_at, 1),
                "interval_s": round(p.interval, 1), "polls": p.polls, "changes": p.changes,
                "mode": "probe" if p.probed else f"scan ({p.why_scheduled})",
            }
            for p in scheduler.polls.values()
        }  # fmt: skip

    def write(self, now: float) -> None:
        self.updated_at = now
        data = {k: v for k, v in asdict(self).items() if not k.startswith("_") and k != "path"}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(data, indent=1, default=str))
        os.replace(tmp, self.path)


def read_health(state_dir: Path, connection: str) -> dict[str, Any] | None:
    """The last health a watch of this connection wrote (None: no watch ever ran here)."""
    path = health_path(state_dir, connection)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if data.get("state") == "running" and not _alive(int(data.get("pid") or 0)):
        data["state"] = "gone (the process ended without stopping)"
    return data


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
