"""Pushes at scale: 100,000 people upserts against the rate limit, and a 1,000,000-row
people sync with 1 % changed (the diff and plan must stay columnar and memory bounded).

Same method as the other benchmarks: each client run is its own process (RSS and CPU from
``os.wait4``), requests are counted from the sandbox's journal, and the figures of the code
as it stood before (``BENCH_BASELINE_REF``, a git worktree) are measured in the same run when
one is given.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from bench.harness import run_client
from bench.suite import Log, SandboxProcess, Workdir, _client, _run_dict
from models.registry import BATCH_MAX_JOBS


@dataclass(frozen=True)
class ScaleSizes:
    push_rows: int = 100_000
    diff_rows: int = 1_000_000
    changed_every: int = 100  # 1 %
    latency_ms: float = 300.0


FULL = ScaleSizes()
QUICK = ScaleSizes(push_rows=20_000, diff_rows=200_000)


def _codes(baseline_code: str | None) -> list[tuple[str, str | None]]:
    """``(label, code root)`` per measured code: the baseline checkout first, then ours."""
    return ([("before", baseline_code)] if baseline_code else []) + [("ours", None)]


def bench_push_scale(sizes: ScaleSizes, work: Workdir, log: Log,
                     baseline_code: str | None = None) -> dict[str, Any]:  # fmt: skip
    """``push100k``: one people upsert sync of ``push_rows`` new people, limit 100 per 10 s."""
    n = sizes.push_rows
    log(f"[6] push at scale: {n:,} people upserts; limit 100 per 10 s, "
        f"{sizes.latency_ms:g} ms latency")  # fmt: skip
    minimum = math.ceil(n / BATCH_MAX_JOBS)
    out: dict[str, Any] = {"rows": n, "latency_ms": sizes.latency_ms, "min_requests": minimum,
                           "bound_s": minimum / 10.0}  # fmt: skip
    for label, root in _codes(baseline_code):
        with SandboxProcess(scale=1.0, latency_ms=sizes.latency_ms, rate_limit=100) as sb:
            before = sb.cmd("count", object="people")["count"]
            tag = sb.cmd("tag", category="people")["id"]
            spec = work.spec(sb, f"push-scale-{label}", limit_on=True, n=n, tag_id=tag,
                             prefix="scale", syncs=["people_upsert"], code_root=root)  # fmt: skip
            run_client("push_setup", spec, label="push-scale-setup")  # its own process
            run, journal = _client("push", dict(spec, setup=False), sb, log,
                                   f"{label}: people upsert push ({n:,} rows)")  # fmt: skip
            s = run.result["syncs"]["people_upsert"]
            out[label] = {
                **_run_dict(run), "sync": s, "requests": journal["requests"],
                "rate_limited": journal["rate_limited"], "max_in_window": journal["max_in_window"],
                "paths": journal["paths"], "per_record": journal["requests"] / n,
                "ratio": s["work_s"] / out["bound_s"],
                "people_created": sb.cmd("count", object="people")["count"] - before,
            }  # fmt: skip
    return out


def bench_diff_scale(sizes: ScaleSizes, work: Workdir, log: Log,
                     baseline_code: str | None = None) -> dict[str, Any]:  # fmt: skip
    """``diff1m``: ``diff_rows`` extracted people, the same desired except 1 % changed."""
    n = sizes.diff_rows
    log(f"[7] diff at scale: {n:,} extracted people, 1 in {sizes.changed_every} changed; "
        "limit off, no latency")  # fmt: skip
    out: dict[str, Any] = {"rows": n, "changed_every": sizes.changed_every}
    for label, root in _codes(baseline_code):
        with SandboxProcess(scale=1.0, sizes={"people": 0}) as sb:
            before = sb.cmd("count", object="people")["count"]
            spec = work.spec(sb, f"diff-scale-{label}", limit_on=False, n=n,
                             changed_every=sizes.changed_every, code_root=root)  # fmt: skip
            setup = run_client("push_diff_setup", spec, label="diff-scale-setup")
            log(f"  warehouse with {n:,} extracted people written in {setup.wall_s:.1f} s")
            dry, dry_journal = _client("push_diff", dict(spec, dry_run=True), sb, log,
                                       f"{label}: dry run (plan only), {n:,} rows")  # fmt: skip
            run, journal = _client("push_diff", spec, sb, log, f"{label}: people sync, {n:,} rows")
            r = {**run.result, "changed": setup.result["changed"]}
            stages = r.get("stages") or {}
            out[label] = {
                **_run_dict(run), **{k: r[k] for k in ("changed", "planned", "skipped", "sent",
                                                      "confirmed", "rejected", "failed", "error")},
                "stages": stages, "requests": journal["requests"], "paths": journal["paths"],
                "min_requests": math.ceil(r["changed"] / BATCH_MAX_JOBS),
                "people_created": sb.cmd("count", object="people")["count"] - before,
                "dry_run": {**_run_dict(dry), "planned": dry.result["planned"],
                            "stages": dry.result.get("stages") or {},
                            "requests": dry_journal["requests"]},
            }  # fmt: skip
    return out
