"""Detection latency of ``run --watch`` against a sandbox at 300 ms and the real rate limit.

``python -m bench.watch_latency [--quick]``

One run, three pollers, the same change schedule (random times, seeded) on people, tickets,
tasks and notes, each against a fresh project on one sandbox (300 ms latency per request,
100 requests per 10 s):

1. ``custify-sync run --watch`` (the CLI, as deployed), with the ticket -> follow-up task
   recipe so a recipe's write can be timed;
2. a shell loop of ``custify-sync extract && custify-sync push`` every 10 s, run for real;
3. a fixed 5-minute poller, as workflow tools do: its latency is modelled on the same change
   times (the next tick after the change, plus the extract time measured in this run), since
   a real one needs hours to collect as many samples.

Per poller: median and p95 latency from the change (the wall time the bench made it) to the
event's ``detected_at``; changes detected exactly once (one event per change's ``updated_at``,
none missed); the share of the rate budget used while nothing changes (requests in the idle
phase / 100 per 10 s); for the watch, the time from a new ticket's detection to its
follow-up task in Custify; the watch's RSS at the start and the end of its run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from sandbox import Faults, Sandbox, serve

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "custify_sync.cli"]
CHANGED = ("people", "tickets", "tasks", "notes")
LIMIT, WINDOW = 100, 10.0
RECIPE = """
[syncs.recipe_ticket_task]
object = "tasks"
action = "create"
key = ["event_id"]
query = \"\"\"
SELECT e.event_id, 'Follow up: ' || t.title AS name, 'high' AS priority, 'open' AS status
FROM trigger_events e JOIN tickets t ON t.id = e.record_id
WHERE e.event_type = 'ticket.created' AND e.origin = 'custify'\"\"\"
"""


@dataclass
class Change:
    object: str
    record_id: str
    at: float  # wall time the bench made it
    updated_at: str
    created: bool = False
    title: str = ""


@dataclass
class Phase:
    name: str
    changes: list[Change] = field(default_factory=list)
    idle: tuple[float, float] = (0.0, 0.0)
    rss: list[float] = field(default_factory=list)
    result: dict[str, Any] = field(default_factory=dict)


def _env(served_url: str, key: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items()
            if not k.startswith(("CUSTIFY_", "SOURCES__", "DESTINATION__", "DLT_"))}  # fmt: skip
    return keep | {"PYTHONPATH": str(ROOT), "CUSTIFY_BASE_URL": served_url,
                   "CUSTIFY_API_KEY": key, "RUNTIME__LOG_LEVEL": "WARNING"}  # fmt: skip


def _project(base: Path, name: str, toml: str) -> Path:
    path = base / name
    path.mkdir(parents=True)
    (path / "pipelines.toml").write_text(toml)
    return path


def _change(sb: Sandbox, rnd: random.Random, n: int) -> Change:
    store = sb.store
    obj = rnd.choice(CHANGED)
    if obj == "tickets" and rnd.random() < 0.5:  # a new ticket: the recipe's trigger
        title = f"Bench ticket {n}"
        rec = store.create("tickets", externalId=f"BENCH-{n}-{rnd.randrange(10**9)}",
                           title=title, company=[], people=[], replies=[],
                           ticketStatus="open", tags=[])  # fmt: skip
        return Change(obj, rec["id"], time.time(), rec["updated_at"], True, title)
    ids = sorted(r["id"] for r in store.rows(obj))
    rid = rnd.choice(ids)
    field_name = {"people": "session_count", "tickets": "title", "tasks": "name",
                  "notes": "text"}[obj]  # fmt: skip
    rec = store.update(obj, rid, **{field_name: f"bench {n}" if obj != "people" else n})
    return Change(obj, rid, time.time(), rec["updated_at"])


def _schedule(seed: int, seconds: float, mean_gap: float) -> list[float]:
    rnd, at, out = random.Random(seed), 0.0, []
    while True:
        at += rnd.expovariate(1 / mean_gap)
        if at >= seconds:
            return out
        out.append(at)


def _drive(sb: Sandbox, phase: Phase, offsets: list[float], seed: int, proc=None) -> None:
    rnd, start = random.Random(seed + 1), time.time()
    for n, offset in enumerate(offsets):
        time.sleep(max(0.0, start + offset - time.time()))
        phase.changes.append(_change(sb, rnd, n))
        if proc is not None:
            phase.rss.append(_rss(proc))


def _rss(proc: subprocess.Popen) -> float:
    try:
        return psutil.Process(proc.pid).memory_info().rss / 2**20
    except psutil.Error:
        return 0.0


def _events(path: Path) -> list[dict[str, Any]]:
    import duckdb

    con = duckdb.connect(str(path / "custify.duckdb"), read_only=True)
    try:
        rows = con.execute(
            "SELECT record_id, epoch(detected_at), CAST(updated_at AS VARCHAR), event_type "
            "FROM custify.custify.trigger_events"
        ).fetchall()
    finally:
        con.close()
    return [{"record_id": r[0], "detected": float(r[1]), "updated_at": r[2], "type": r[3]}
            for r in rows]  # fmt: skip


def _stamp(value: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def _score(phase: Phase, events: list[dict[str, Any]]) -> None:
    by_record: dict[str, list[dict[str, Any]]] = {}
    for e in events:
        by_record.setdefault(e["record_id"], []).append(e)
    latencies, missed = [], 0
    for c in phase.changes:
        stamp = _stamp(c.updated_at)
        seen = [e for e in by_record.get(c.record_id, [])
                if _stamp(e["updated_at"]) >= stamp - 1e-3]  # fmt: skip
        if not seen:
            missed += 1
            continue
        latencies.append(min(e["detected"] for e in seen) - c.at)
    keys = [(e["record_id"], e["updated_at"]) for e in events]
    phase.result.update(
        changes=len(phase.changes), detected=len(latencies), missed=missed,
        duplicates=len(keys) - len(set(keys)),
        median_s=round(statistics.median(latencies), 2) if latencies else None,
        p95_s=round(_p95(latencies), 2) if latencies else None,
    )  # fmt: skip


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def _idle_share(sb: Sandbox, phase: Phase) -> float:
    lo, hi = phase.idle
    n = sum(1 for e in list(sb.journal) if lo <= e.t <= hi)
    return n / (LIMIT / WINDOW * (hi - lo))


def _recipe_latency(sb: Sandbox, phase: Phase, events: list[dict[str, Any]]) -> None:
    detected = {e["record_id"]: e["detected"] for e in events if e["type"] == "ticket.created"}
    tasks = {t["name"]: _stamp(t["created_at"]) for t in sb.store.rows("tasks")}
    gaps = [tasks[f"Follow up: {c.title}"] - detected[c.record_id] for c in phase.changes
            if c.created and c.record_id in detected and f"Follow up: {c.title}" in tasks]  # fmt: skip
    if gaps:
        phase.result.update(recipe_median_s=round(statistics.median(gaps), 2),
                            recipe_p95_s=round(_p95(gaps), 2), recipe_writes=len(gaps))  # fmt: skip


def run_watch(sb, url, key, base, offsets, args) -> Phase:
    phase = Phase("run --watch")
    toml = "[watch]\nmax_interval_s = 300\n" + RECIPE
    path = _project(base, "watch", toml)
    env = _env(url, key)
    subprocess.run([*CLI, "run"], cwd=path, env=env, check=True, capture_output=True)
    with (path / "watch.log").open("w") as log:
        proc = subprocess.Popen([*CLI, "-v", "run", "--watch"], cwd=path, env=env,
                                stdout=subprocess.DEVNULL, stderr=log)  # fmt: skip
        time.sleep(args.warmup)
        phase.rss.append(_rss(proc))
        _drive(sb, phase, offsets, args.seed, proc)
        time.sleep(args.settle)
        phase.idle = (time.time(), time.time() + args.idle)
        time.sleep(args.idle)
        phase.rss.append(_rss(proc))
        proc.send_signal(signal.SIGTERM)
        phase.result["exit"] = proc.wait(timeout=300)
    events = _events(path)
    _score(phase, events)
    _recipe_latency(sb, phase, events)
    phase.result["idle_budget"] = round(_idle_share(sb, phase), 3)
    phase.result["rss_mb"] = [round(phase.rss[0], 1), round(max(phase.rss), 1),
                              round(phase.rss[-1], 1)]  # fmt: skip
    return phase


def run_shell_loop(sb, url, key, base, offsets, args) -> Phase:
    phase = Phase("extract && push every 10 s")
    path = _project(base, "loop", RECIPE)
    env = _env(url, key)
    subprocess.run([*CLI, "extract"], cwd=path, env=env, check=True, capture_output=True)
    stop_at: list[float] = []

    def loop() -> None:
        while not stop_at or time.time() < stop_at[0]:
            subprocess.run([*CLI, "extract"], cwd=path, env=env, capture_output=True)
            subprocess.run([*CLI, "push"], cwd=path, env=env, capture_output=True)
            time.sleep(10)

    import threading

    worker = threading.Thread(target=loop, daemon=True)
    worker.start()
    time.sleep(args.warmup)
    _drive(sb, phase, offsets, args.seed)
    time.sleep(args.settle)
    phase.idle = (time.time(), time.time() + args.idle)
    time.sleep(args.idle)
    stop_at.append(time.time())
    worker.join(timeout=300)
    events = _events(path)
    _score(phase, events)
    _recipe_latency(sb, phase, events)
    phase.result["idle_budget"] = round(_idle_share(sb, phase), 3)
    return phase


def fixed_poller(sb, url, key, base, offsets, args, period: float = 300.0) -> Phase:
    """Modelled on the same change times: detected at the next tick plus one extract."""
    phase = Phase("fixed 5-minute poller (modelled)")
    path = _project(base, "fixed", "")
    env = _env(url, key)
    subprocess.run([*CLI, "extract"], cwd=path, env=env, check=True, capture_output=True)
    before = len(sb.journal)
    started = time.time()
    subprocess.run([*CLI, "extract"], cwd=path, env=env, check=True, capture_output=True)
    extract_s, cost = time.time() - started, len(sb.journal) - before
    # the poller's phase is unknown to the changes: every change at 100 evenly spread phases
    phases = [period * k / 100 for k in range(100)]
    lat = [(period - ((o - ph) % period)) + extract_s for o in offsets for ph in phases]
    phase.result.update(
        changes=len(offsets), detected=len(offsets), missed=0, duplicates=0,
        median_s=round(statistics.median(lat), 1), p95_s=round(_p95(lat), 1),
        idle_budget=round(cost / (LIMIT / WINDOW * period), 3), extract_s=round(extract_s, 1),
    )  # fmt: skip
    return phase


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short phases (about 4 minutes)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--latency-ms", type=float, default=300.0)
    args = parser.parse_args()
    active, args.idle = (60.0, 40.0) if args.quick else (240.0, 120.0)
    args.warmup, args.settle, gap = 10.0, 15.0, 4.0
    sb = Sandbox(seed=args.seed, scale=args.scale, rate_limit=LIMIT,
                 faults=Faults(latency_s=args.latency_ms / 1000))  # fmt: skip
    server = serve(sb)
    offsets = _schedule(args.seed, active, gap)
    phases = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench-watch-") as tmp:
            base = Path(tmp)
            for runner in (run_watch, run_shell_loop, fixed_poller):
                load = os.getloadavg()[0]
                phase = runner(sb, server.url, sb.api_key, base, offsets, args)
                phase.result["loadavg"] = [round(load, 1), round(os.getloadavg()[0], 1)]
                phases.append(phase)
                print(json.dumps({"phase": phase.name, **phase.result}), flush=True)
    finally:
        server.stop()
    print(_table(phases, args))


def _table(phases: list[Phase], args: argparse.Namespace) -> str:
    lines = [f"sandbox: {args.latency_ms:g} ms per request, {LIMIT} requests per {WINDOW:g} s; "
             f"changes: {phases[0].result.get('changes')} on {', '.join(CHANGED)}"
             f"{' (--quick)' if args.quick else ''}", "",
             "| poller | median | p95 | detected once | idle budget | recipe write after detection | load avg |",
             "|---|---|---|---|---|---|---|"]  # fmt: skip
    for p in phases:
        r = p.result
        once = f"{r['detected']}/{r['changes']}, {r['duplicates']} twice"
        recipe = (f"median {r['recipe_median_s']} s, p95 {r['recipe_p95_s']} s"
                  if "recipe_median_s" in r else "-")  # fmt: skip
        lines.append(f"| {p.name} | {r['median_s']} s | {r['p95_s']} s | {once} | "
                     f"{100 * r['idle_budget']:.1f} % | {recipe} | "
                     f"{r['loadavg'][0]} -> {r['loadavg'][1]} |")  # fmt: skip
    return "\n".join(lines)


if __name__ == "__main__":
    main()
