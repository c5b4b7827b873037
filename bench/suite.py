"""The five benchmarks. Each returns a plain dict (saved as results.json).

Every client run is its own process (``harness.run_client``) against a sandbox served by
another process (``harness.SandboxProcess``); every figure is a ratio against a baseline
measured in the same run.
"""

from __future__ import annotations

import math
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.harness import ClientRun, SandboxProcess, run_client
from bench.restapi_baseline import BASELINE_OBJECTS
from models.registry import EXTRACTED, REGISTRY

Log = Callable[[str], None]
#: what each part of the CPU benchmark extracts, as the results name it
PART_LABELS = {
    "all": f"the {len(BASELINE_OBJECTS)} objects rest_api reads",
    "people": "people only",
    "every": "every object (ours only)",
}
UNLIMITED = 10**9  # the client's own budget when the sandbox's limit is off


@dataclass(frozen=True)
class Sizes:
    """Dataset sizes of one suite run (``--quick`` shrinks them)."""

    cpu_scale: float = 10.0
    cpu_people: int = 100_000
    cpu_rounds: int = 3  # alternating rounds of the benchmark-1 runs that carry a verdict
    rate_sizes: tuple[tuple[str, int], ...] = (
        ("people", 80_000), ("companies", 20_000), ("notes", 5_000))  # fmt: skip
    push_rows: int = 10_000
    loop_rows: int = 100  # per action: 3 x 100 = a 300-row sample
    growth: tuple[int, ...] = (10_000, 100_000, 1_000_000)
    latency_ms: float = 300.0
    rest_api_variants: tuple[str, ...] = ("defaults", "nesting0")


FULL = Sizes()
QUICK = Sizes(
    cpu_scale=1.0,
    cpu_people=20_000,
    cpu_rounds=1,
    rate_sizes=(("people", 16_000), ("companies", 4_000), ("notes", 1_000)),
    push_rows=2_000,
    loop_rows=30,
    growth=(10_000, 100_000),
    rest_api_variants=("defaults",),
)


class Workdir:
    """Fresh folders for each client run's warehouse, dlt state and rate-budget file."""

    def __init__(self, root: Path | None) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="custify-bench-", dir=root))
        self._n = 0

    def spec(self, sb: SandboxProcess, name: str, *, limit_on: bool, **extra: Any) -> dict:
        self._n += 1
        d = self.root / f"{self._n:02d}-{name}"
        d.mkdir(parents=True, exist_ok=True)
        return {
            "url": sb.url, "api_key": sb.api_key, "duckdb_path": str(d / "warehouse.duckdb"),
            "pipelines_dir": str(d / "dlt"), "budget_path": str(d / "budget.sqlite3"),
            "client_rate_limit": 100 if limit_on else UNLIMITED, **extra,
        }  # fmt: skip

    def cleanup(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def _client(job: str, spec: dict, sb: SandboxProcess, log: Log, label: str,
            times: bool = False) -> tuple[ClientRun, dict]:  # fmt: skip
    """One measured client run. The sandbox's journal is cleared and a fresh rate window opened
    before it (each run also gets a fresh budget file), and the journal is read after it."""
    sb.reset()
    log(f"  {label} ...")
    sandbox_cpu = sb.cpu_s()
    run = run_client(job, spec, label=_slug(label))
    journal = sb.cmd("journal", times=times)
    journal["sandbox_cpu_s"] = sb.cpu_s() - sandbox_cpu
    log(f"  {label} (load average {run.loadavg:.1f}): {run.wall_s:.1f} s wall, {run.cpu_s:.1f} s CPU (sandbox "
        f"{journal['sandbox_cpu_s']:.1f} s), {journal['requests']} "
        f"requests ({journal['rate_limited']} x 429), peak RSS {run.max_rss_mb:.0f} MB")  # fmt: skip
    return run, journal


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")[:60]


def _run_dict(run: ClientRun) -> dict[str, Any]:
    return {
        "process_wall_s": run.wall_s, "process_cpu_s": run.cpu_s, "user_s": run.user_s,
        "sys_s": run.sys_s, "max_rss_mb": run.max_rss_mb, "work_s": run.work_s,
        "work_cpu_s": run.work_cpu_s, "setup_cpu_s": run.result.get("setup_cpu_s"),
        "loadavg": run.loadavg, "thread_cpu_s": run.result.get("thread_cpu_s"),
    }  # fmt: skip


def _parent_rows(row_counts: dict[str, int]) -> dict[str, int]:
    return {t: n for t, n in row_counts.items() if "__" not in t and not t.startswith("_dlt")}


def _min_pages(counts: dict[str, int], objects: list[str]) -> int:
    """Pages a complete scan needs at the maximum page size (the physical minimum)."""
    return sum(math.ceil(counts[o] / REGISTRY[o].page_size_max) for o in objects)


# -- 1 + 4a: extraction CPU, then "nothing changed" ---------------------------------------------
def bench_cpu(sizes: Sizes, work: Workdir, log: Log, *, baseline: bool = True,
              idle: bool = True) -> dict[str, Any]:  # fmt: skip
    out: dict[str, Any] = {}
    log(f"[1] extraction CPU: sandbox scale {sizes.cpu_scale:g}, {sizes.cpu_people:,} people, "
        "rate limit off, no latency")  # fmt: skip
    with SandboxProcess(scale=sizes.cpu_scale, sizes={"people": sizes.cpu_people}) as sb:
        records = {o.name: sb.counts[o.name] for o in EXTRACTED}
        out["sandbox"] = {"scale": sizes.cpu_scale, "counts": records,
                          "generate_s": sb.info["generate_s"], "rss_mb": sb.rss_mb()}  # fmt: skip
        # "all": the objects the baseline reads, on both sides; "every": every object we
        # extract (the read side's lists under parents included), ours only
        parts = (("all", list(BASELINE_OBJECTS), baseline), ("people", ["people"], baseline),
                 ("every", None, False))  # fmt: skip
        for part, objects, with_baseline in parts:
            rounds = sizes.cpu_rounds if part == "all" and with_baseline else 1  # the verdicts
            out[part] = _cpu_part(sb, work, log, sizes, part, objects, with_baseline, rounds)
        if idle:
            spec = out["every"]["spec"]
            out["idle"] = _idle_extract(sb, spec, out["every"]["ours"]["requests"], log)
    for part, *_ in parts:
        out[part].pop("spec", None)
    out["ours"], out["rest_api"] = out["all"]["ours"], out["all"].get("rest_api")
    return out


def _cpu_part(sb: SandboxProcess, work: Workdir, log: Log, sizes: Sizes, part: str,
              objects: list[str] | None, baseline: bool, rounds: int = 1) -> dict[str, Any]:  # fmt: skip
    """Our source and the rest_api baseline(s) on ``objects`` (all when None).

    With ``rounds`` > 1 every source runs that many times, the sources alternating within each
    round: this machine's speed drifts by 15-25 % within minutes, so one run of each made a
    ratio partly a matter of when each ran. Each source's figures are then those of its median
    run by CPU, and ``rounds_cpu_s`` keeps every run's CPU in run order.
    """
    what = PART_LABELS[part]
    ours: list[dict[str, Any]] = []
    baselines: dict[str, list[dict[str, Any]]] = {}
    specs = []
    for n in range(rounds):
        label = _round_label(f"custify-sync source, {what}", n, rounds)
        specs.append(work.spec(sb, f"cpu-{part}-ours", limit_on=False, objects=objects))
        run, journal = _client("extract_ours", specs[-1], sb, log, label)
        ours.append({
            **_run_dict(run), "records": run.result["rows"], "requests": journal["requests"],
            "sandbox_cpu_s": journal["sandbox_cpu_s"], "objects": run.result["objects"],
            "steps": run.result["steps"]})  # fmt: skip
        for variant in sizes.rest_api_variants if baseline else ():
            baselines.setdefault(variant, []).append(
                _rest_api_run(sb, work, log, part, objects, variant, n, rounds)
            )
    out: dict[str, Any] = {"spec": specs[0], "ours": _median_run(ours)}
    if baseline:
        out["rest_api"] = {variant: _median_run(runs) for variant, runs in baselines.items()}
    return out


def _rest_api_run(sb: SandboxProcess, work: Workdir, log: Log, part: str,
                  objects: list[str] | None, variant: str, n: int, rounds: int) -> dict[str, Any]:  # fmt: skip
    nesting = 0 if variant == "nesting0" else None
    bspec = work.spec(sb, f"cpu-{part}-rest-{variant}", limit_on=False, objects=objects,
                      max_table_nesting=nesting)  # fmt: skip
    label = _round_label(f"dlt rest_api ({variant}), {PART_LABELS[part]}", n, rounds)
    brun, bjournal = _client("extract_rest_api", bspec, sb, log, label)
    parents = _parent_rows(brun.result["row_counts"])
    return {
        **_run_dict(brun), "records": sum(parents.values()), "tables": parents,
        "child_rows": sum(brun.result["row_counts"].values()) - sum(parents.values()),
        "requests": bjournal["requests"], "steps": brun.result["steps"],
        "sandbox_cpu_s": bjournal["sandbox_cpu_s"],
    }  # fmt: skip


def _round_label(label: str, n: int, rounds: int) -> str:
    return f"{label}, round {n + 1}/{rounds}" if rounds > 1 else label


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median CPU (the lower middle one of an even count), with every run's."""
    middle = sorted(runs, key=lambda r: r["process_cpu_s"])[(len(runs) - 1) // 2]
    return {**middle, "rounds_cpu_s": [r["process_cpu_s"] for r in runs]}


def _idle_extract(sb: SandboxProcess, spec: dict, full_requests: int, log: Log) -> dict[str, Any]:
    """Re-extract into the same warehouse with nothing changed in the sandbox."""
    log("[4] nothing changed: extract again (same warehouse, same sandbox)")
    out: dict[str, Any] = {"full_requests": full_requests}
    run, journal = _client("extract_ours", spec, sb, log, "re-extract, default intervals")
    out["default"] = {"requests": journal["requests"], "paths": journal["paths"],
                      "objects": run.result["objects"], "work_s": run.work_s}  # fmt: skip
    explicit = dict(spec, objects=[o.name for o in EXTRACTED])
    run, journal = _client("extract_ours", explicit, sb, log,
                           "re-extract, every object named (objectives due)")  # fmt: skip
    out["explicit"] = {"requests": journal["requests"], "paths": journal["paths"],
                       "objective_requests": journal["objective_requests"],
                       "objects": run.result["objects"], "work_s": run.work_s}  # fmt: skip
    out["companies"] = sb.counts["companies"]
    return out


# -- 2: rate-budget use --------------------------------------------------------------------------
def bench_rate(sizes: Sizes, work: Workdir, log: Log, *, baseline: bool = True) -> dict[str, Any]:
    table = dict(sizes.rate_sizes)
    objects = list(table)
    log(f"[2] rate budget: {table}, limit 100 per 10 s, {sizes.latency_ms:g} ms latency")
    out: dict[str, Any] = {"sizes": table, "latency_ms": sizes.latency_ms}
    with SandboxProcess(scale=1.0, sizes=table, latency_ms=sizes.latency_ms, rate_limit=100) as sb:
        pages = _min_pages(sb.counts, objects)
        out["pages"] = pages
        out["bound_s"] = pages / 10.0
        out["windows_s"] = (math.ceil(pages / 100) - 1) * 10.0
        runs = [("ours", "extract_ours")] + ([("rest_api", "extract_rest_api")] if baseline else [])
        for key, job in runs:
            spec = work.spec(sb, f"rate-{key}", limit_on=True, objects=objects)
            run, journal = _client(job, spec, sb, log, f"{key} ({pages} pages minimum)", times=True)
            times = journal.pop("times")
            requests_span = times[-1][0] if times else 0.0
            out[key] = {
                **_run_dict(run), "requests": journal["requests"],
                "rate_limited": journal["rate_limited"], "max_in_window": journal["max_in_window"],
                "requests_span_s": requests_span, "ratio": run.work_s / out["bound_s"],
                "sandbox_cpu_s": journal["sandbox_cpu_s"],
                "times": times, "steps": run.result.get("steps"),
            }  # fmt: skip
    return out


# -- 3 + 4b: push, empty push, per-row loop ------------------------------------------------------
def bench_push(sizes: Sizes, work: Workdir, log: Log, *, loop: bool = True) -> dict[str, Any]:
    n = sizes.push_rows
    log(f"[3] push: {n:,} people upserts, {n:,} tag changes, {n:,} events; limit 100 per 10 s, "
        f"{sizes.latency_ms:g} ms latency")  # fmt: skip
    out: dict[str, Any] = {"rows": n, "latency_ms": sizes.latency_ms}
    with SandboxProcess(scale=1.0, latency_ms=sizes.latency_ms, rate_limit=100) as sb:
        tag = sb.cmd("tag", category="people")["id"]
        people_before = sb.cmd("count", object="people")["count"]
        spec = work.spec(sb, "push", limit_on=True, n=n, tag_id=tag, prefix="bench")
        run, journal = _client("push", spec, sb, log, "batched push (3 syncs)", times=True)
        syncs = run.result["syncs"]
        for s in syncs.values():
            s["bound_s"] = s["requests"] / 10.0
            s["per_record"] = s["requests"] / n
        out["batched"] = {**_run_dict(run), "syncs": syncs, "requests": journal["requests"],
                          "rate_limited": journal["rate_limited"],
                          "max_in_window": journal["max_in_window"], "paths": journal["paths"],
                          "times": journal["times"]}  # fmt: skip
        out["check"] = {
            "people_created": sb.cmd("count", object="people")["count"] - people_before,
            "events": sb.cmd("events", name="bench_login")["count"],
        }
        log("[4] nothing to push: the same three syncs again")
        again = dict(spec, setup=False)
        run, journal = _client("push", again, sb, log, "push with an empty diff")
        out["idle"] = {"requests": journal["requests"],
                       "syncs": {k: v["requests"] for k, v in run.result["syncs"].items()},
                       "work_s": run.work_s}  # fmt: skip
        if loop:
            m = sizes.loop_rows
            lspec = work.spec(sb, "loop", limit_on=True, n=m, tag_id=tag, prefix="loop")
            run, journal = _client("push_loop", lspec, sb, log,
                                   f"per-row loop ({m} rows per action)")  # fmt: skip
            actions = run.result["actions"]
            for a in actions.values():
                a["per_record"] = a["requests"] / m
                a["s_per_record"] = a["work_s"] / m
                a["extrapolated_s"] = a["s_per_record"] * n
                a["extrapolated_requests"] = a["per_record"] * n
            out["loop"] = {**_run_dict(run), "rows": m, "actions": actions,
                           "requests": journal["requests"],
                           "rate_limited": journal["rate_limited"]}  # fmt: skip
    return out


# -- 5: memory and growth ------------------------------------------------------------------------
def bench_growth(sizes: Sizes, work: Workdir, log: Log) -> dict[str, Any]:
    log(f"[5] growth: people {', '.join(f'{n:,}' for n in sizes.growth)}; limit off, no latency")
    out: dict[str, Any] = {"points": []}
    for n in sizes.growth:
        with SandboxProcess(scale=1.0, sizes={"people": n}) as sb:
            log(f"  sandbox with {n:,} people generated in {sb.info['generate_s']:.1f} s "
                f"(sandbox RSS {sb.rss_mb():.0f} MB)")  # fmt: skip
            spec = work.spec(sb, f"growth-{n}", limit_on=False, objects=["people"])
            run, journal = _client("extract_ours", spec, sb, log, f"extract {n:,} people")
            out["points"].append({
                "people": n, **_run_dict(run), "rows": run.result["rows"],
                "requests": journal["requests"], "steps": run.result["steps"],
                "sandbox_cpu_s": journal["sandbox_cpu_s"], "rss_timeline": run.rss_timeline, "sandbox_generate_s": sb.info["generate_s"],
                "sandbox_rss_mb": sb.rss_mb(),
            })  # fmt: skip
    return out
