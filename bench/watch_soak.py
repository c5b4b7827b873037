"""Memory of a long ``run --watch``: RSS growth after the first 5 minutes of a 30-minute watch.

``python -m bench.watch_soak [--quick] [--duration SECONDS]``

One sandbox at 300 ms per request and the real rate limit (as ``bench.watch_latency``), one
fresh project after its baseline ``run``, then ``custify-sync -v run --watch --duration D``
(the CLI as deployed, with the ticket -> follow-up task recipe) while the bench makes a change
at a random time every 5 to 20 s (seeded; people, tickets, tasks and notes, half the ticket
changes new tickets) until shortly before the end, so the last ones are still seen.

Every 5 s it samples the RSS of the watch process and its children (psutil). It reports the
RSS at 5 minutes, at the end and at most, the growth after the first 5 minutes (end and
maximum against the 5-minute sample, and the median of the last minute against the median of
minute 5), the cycles the watch ran, and the changes detected exactly once. A shorter watch
(``--quick``: 300 s) measures from a third of its run instead of 5 minutes.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import psutil

from bench.watch_latency import (
    CLI,
    LIMIT,
    RECIPE,
    Phase,
    _drive,
    _env,
    _events,
    _project,
    _score,
)
from sandbox import Faults, Sandbox, serve

FIRST = 300.0  # the growth is measured after the first 5 minutes
SAMPLE_S = 5.0


def rss_tree_mb(pid: int) -> float:
    """RSS of a process and all its children in MB (0 once it is gone)."""
    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0.0
    total = 0
    for p in procs:
        with contextlib.suppress(psutil.Error):  # a child that ended meanwhile
            total += p.memory_info().rss
    return total / 2**20


def trickle(seed: int, start: float, end: float, gaps: tuple[float, float]) -> list[float]:
    """Change offsets from ``start`` to ``end`` seconds, one every ``gaps`` seconds at random."""
    rnd, at, out = random.Random(seed), start, []
    while True:
        at += rnd.uniform(*gaps)
        if at >= end:
            return out
        out.append(at)


class Sampler(threading.Thread):
    """Samples a process tree's RSS every ``SAMPLE_S`` seconds until the process ends."""

    def __init__(self, pid: int, started: float) -> None:
        super().__init__(daemon=True)
        self.pid, self.started = pid, started
        self.samples: list[tuple[float, float]] = []  # (seconds since start, MB)

    def run(self) -> None:
        while psutil.pid_exists(self.pid):
            mb = rss_tree_mb(self.pid)
            if mb:
                self.samples.append((time.time() - self.started, mb))
            time.sleep(SAMPLE_S)


def _at(samples: list[tuple[float, float]], t: float) -> float:
    return min(samples, key=lambda s: abs(s[0] - t))[1]


def _window_median(samples: list[tuple[float, float]], lo: float, hi: float) -> float:
    return statistics.median([mb for t, mb in samples if lo <= t < hi])


def memory_figures(samples: list[tuple[float, float]], first: float = FIRST) -> dict[str, float]:
    end_t = samples[-1][0]
    if end_t < first + 60:
        raise SystemExit(
            f"the watch ran {end_t:.0f} s: too short to measure growth after {first:g} s"
        )
    at_first, end = _at(samples, first), samples[-1][1]
    later = max(mb for t, mb in samples if t >= first)
    first_min = _window_median(samples, first, first + 60)
    last_min = _window_median(samples, end_t - 60, end_t + 1)
    return {
        "first_s": first, "rss_at_first_mb": round(at_first, 1), "rss_end_mb": round(end, 1),
        "rss_max_mb": round(max(mb for _, mb in samples), 1),
        "rss_max_after_first_mb": round(later, 1),
        "growth_end_pct": round(100 * (end / at_first - 1), 1),
        "growth_max_pct": round(100 * (later / at_first - 1), 1),
        "growth_median_pct": round(100 * (last_min / first_min - 1), 1),
        "median_first_minute_mb": round(first_min, 1), "median_last_minute_mb": round(last_min, 1),
        "samples": len(samples),
    }  # fmt: skip


def soak(sb: Sandbox, url: str, key: str, base: Path, args: argparse.Namespace) -> Phase:
    phase = Phase("run --watch (soak)")
    path = _project(base, "soak", "[watch]\nmax_interval_s = 300\n" + RECIPE)
    env = _env(url, key)
    subprocess.run([*CLI, "run"], cwd=path, env=env, check=True, capture_output=True)
    offsets = trickle(args.seed, args.warmup, args.duration - args.settle, (5.0, 20.0))
    cmd = [*CLI, "-v", "run", "--watch", "--duration", str(args.duration)]
    if args.tracemalloc:  # snapshots after the warm-up and just before the end
        marks = f"{min(FIRST, args.duration / 3):g},{args.duration - 15:g}"
        cmd = [*CLI[:-2], "-m", "bench.traced_cli", str(args.tracemalloc.resolve()), marks,
               "--", *cmd[len(CLI):]]  # fmt: skip
    with (path / "watch.log").open("w") as log, (path / "watch.out").open("w") as out:
        started = time.time()
        proc = subprocess.Popen(cmd, cwd=path, env=env, stdout=out, stderr=log)
        sampler = Sampler(proc.pid, started)
        sampler.start()
        _drive(sb, phase, offsets, args.seed)
        phase.result["exit"] = proc.wait(timeout=args.duration + 600)
        sampler.join(timeout=2 * SAMPLE_S)
    # the CLI's closing line ("watch: N cycles in ...") goes to stderr with the log
    summary = (path / "watch.out").read_text() + (path / "watch.log").read_text()
    cycles = re.search(r"(\d+) cycles in (\d+) s, (\d+) events, (\d+) failed", summary)
    if cycles:
        phase.result.update(cycles=int(cycles[1]), watch_s=int(cycles[2]),
                            events=int(cycles[3]), failed_cycles=int(cycles[4]))  # fmt: skip
    else:
        phase.result["summary"] = summary.strip()[-300:]  # the run's last words
    (path / "rss.json").write_text(json.dumps(sampler.samples))
    phase.result.update(memory_figures(sampler.samples, min(FIRST, args.duration / 3)))
    _score(phase, _events(path))
    return phase


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a 5-minute watch (300 s)")
    parser.add_argument("--duration", type=float, default=None, help="seconds (default 1800)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--latency-ms", type=float, default=300.0)
    parser.add_argument("--keep", type=Path, default=None,
                        help="a new dir to keep the project in (watch.log, rss.json)")  # fmt: skip
    parser.add_argument("--tracemalloc", type=Path, default=None,
                        help="run the watch under tracemalloc; snapshots in this dir")  # fmt: skip
    args = parser.parse_args()
    args.duration = args.duration or (300.0 if args.quick else 1800.0)
    args.warmup, args.settle = 20.0, 40.0
    sb = Sandbox(seed=args.seed, scale=args.scale, rate_limit=LIMIT,
                 faults=Faults(latency_s=args.latency_ms / 1000))  # fmt: skip
    server = serve(sb)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-soak-") as tmp:
            load = os.getloadavg()[0]
            phase = soak(sb, server.url, sb.api_key, args.keep or Path(tmp), args)
            phase.result["loadavg"] = [round(load, 1), round(os.getloadavg()[0], 1)]
    finally:
        server.stop()
    r = phase.result
    print(json.dumps({"phase": phase.name, "duration_s": args.duration, **r}), flush=True)
    print(
        f"watch {args.duration:g} s at {args.latency_ms:g} ms per request: RSS (with children) "
        f"{r['rss_at_first_mb']} MB at {r['first_s']:g} s, {r['rss_end_mb']} MB at the end, "
        f"{r['rss_max_mb']} MB at most; growth after that {r['growth_end_pct']} % (end), "
        f"{r['growth_max_pct']} % (max), {r['growth_median_pct']} % (last minute's median "
        f"against the minute after {r['first_s']:g} s); {r.get('cycles')} cycles; "
        f"{r['detected']}/{r['changes']} changes detected, {r['missed']} missed, "
        f"{r['duplicates']} twice"
    )


if __name__ == "__main__":
    main()
