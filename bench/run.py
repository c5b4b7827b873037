"""``python -m bench.run`` (``make bench``): the whole benchmark suite.

    python -m bench.run                     # everything, issue sizes (~25 min)
    python -m bench.run --quick             # smaller data, a few minutes
    python -m bench.run --only cpu,idle     # some benchmarks: cpu rate push idle growth
                                            #   push100k diff1m
    python -m bench.run --only diff1m --baseline-code DIR   # also measure the code in DIR
    python -m bench.run --no-baseline       # skip the dlt rest_api runs
    python -m bench.run --replot            # results.md and PNGs again from results.json

Writes ``bench/results/results.json``, ``results.md`` and ``*.png`` (gitignored).
See bench/README.md for what each benchmark measures and the figures of the last full run.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path


def _ensure_bench_extra() -> None:
    """``make bench`` installs the ``test`` extra only: add the ``bench`` extra's packages
    (read from pyproject.toml) to this interpreter when one is missing."""
    import importlib.util
    import subprocess
    import tomllib

    missing = [m for m in ("psutil", "matplotlib") if importlib.util.find_spec(m) is None]
    if not missing:
        return
    root = Path(__file__).resolve().parent.parent
    extra = tomllib.loads((root / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]["bench"]  # fmt: skip
    print(f"bench: installing the bench extra ({', '.join(extra)})", flush=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *extra], check=True)


_ensure_bench_extra()

import psutil  # noqa: E402

from bench import report, suite  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
BENCHES = ("cpu", "rate", "push", "idle", "growth", "push100k", "diff1m")


def _code() -> str:
    """Which code was measured: the commit, and whether files outside bench/ were changed."""
    import os
    import subprocess

    root = Path(__file__).resolve().parent.parent
    if os.environ.get("BENCH_CODE_REF"):
        return os.environ["BENCH_CODE_REF"]
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--", ".",
                                ":!bench"], capture_output=True, text=True).stdout.split("\n")  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout; set BENCH_CODE_REF)"
    changed = [line[3:] for line in dirty if line.strip() and not line.startswith("??")]
    return head + (f" with uncommitted changes in {', '.join(changed)}" if changed else "")


def _machine() -> str:
    mem = psutil.virtual_memory().total / 2**30
    return f"{platform.machine()}, {psutil.cpu_count()} CPUs, {mem:.0f} GiB, Python {platform.python_version()}"


def _compile_bytecode(baseline_code: str | None) -> None:
    """The measured code's bytecode, compiled first as an installed wheel ships it (see
    scripts/compile-bytecode): the baseline's dlt, in site-packages, was compiled when it was
    installed; without this, ours would be compiled again in every client process."""
    import subprocess

    root = Path(__file__).resolve().parent.parent
    roots = [str(root), *([baseline_code] if baseline_code else [])]
    subprocess.run([sys.executable, str(root / "scripts" / "compile-bytecode"), *roots], check=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    ap.add_argument("--quick", action="store_true", help="smaller data; a few minutes")
    ap.add_argument("--only", default=",".join(BENCHES),
                    help=f"comma-separated subset of {', '.join(BENCHES)}")  # fmt: skip
    ap.add_argument("--no-baseline", action="store_true", help="skip the dlt rest_api baseline")
    ap.add_argument("--no-loop", action="store_true", help="skip the per-row push loop")
    ap.add_argument("--push-rows", type=int, default=None,
                    help="rows per push action (default 10,000; 2,000 with --quick)")  # fmt: skip
    ap.add_argument("--baseline-code", default=None,
                    help="a checkout of earlier code (e.g. `git archive REV | tar -x -C DIR`): "
                    "push100k and diff1m measure it too, in the same run")  # fmt: skip
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--tmp", type=Path, default=None, help="where the runs' warehouses go")
    ap.add_argument("--replot", action="store_true", help="only re-render results.json")
    ap.add_argument("--profile", action="store_true",
                    help="record every client run with py-spy (figures are perturbed, so "
                    "results go to bench/results/profile/ with a text summary per run)")  # fmt: skip
    args = ap.parse_args(argv)
    out: Path = args.out / "profile" if args.profile else args.out
    out.mkdir(parents=True, exist_ok=True)
    if args.profile:
        from bench import harness

        harness.PROFILE_DIR = out
    if args.replot:
        res = json.loads((out / "results.json").read_text())
        _render(res, out)
        return 0
    selected = [b.strip() for b in args.only.split(",") if b.strip()]
    unknown = sorted(set(selected) - set(BENCHES))
    if unknown:
        ap.error(f"unknown benchmark {unknown[0]!r}; choose from {', '.join(BENCHES)}")
    sizes = suite.QUICK if args.quick else suite.FULL
    if args.push_rows:
        sizes = dataclasses.replace(sizes, push_rows=args.push_rows)
    started = time.perf_counter()
    _compile_bytecode(args.baseline_code)

    def log(msg: str) -> None:
        print(f"[{time.perf_counter() - started:7.1f} s] {msg}", flush=True)

    res: dict = {}
    work = suite.Workdir(args.tmp)
    baseline = not args.no_baseline
    try:
        if "cpu" in selected or "idle" in selected:
            res["cpu"] = suite.bench_cpu(sizes, work, log, baseline=baseline and "cpu" in selected,
                                         idle="idle" in selected)  # fmt: skip
            _save(res, out, args, started)
        if "rate" in selected:
            res["rate"] = suite.bench_rate(sizes, work, log, baseline=baseline)
            _save(res, out, args, started)
        if "push" in selected or "idle" in selected:
            res["push"] = suite.bench_push(
                sizes, work, log, loop="push" in selected and not args.no_loop
            )
            _save(res, out, args, started)
        if "growth" in selected:
            res["growth"] = suite.bench_growth(sizes, work, log)
            _save(res, out, args, started)
        _push_scale(res, selected, work, log, args, lambda: _save(res, out, args, started))
    finally:
        work.cleanup()
    _save(res, out, args, started)
    _render(res, out)
    if args.profile:
        from bench.profile_report import summarise

        for raw in sorted(out.glob("*.raw")):
            raw.with_suffix(".txt").write_text(summarise(raw) + "\n")
            log(f"profile: {raw.with_suffix('.txt')}")
    log(f"done: {out / 'results.md'}")
    print((out / "results.md").read_text().split("\n## ", 1)[0])
    return 0


def _push_scale(res: dict, selected: list[str], work: suite.Workdir, log: suite.Log,
                args: argparse.Namespace, save: Callable[[], None]) -> None:  # fmt: skip
    """The push-scale benchmarks (push100k, diff1m), with the baseline code when given."""
    from bench import push_scale

    sizes = push_scale.QUICK if args.quick else push_scale.FULL
    base = str(Path(args.baseline_code).resolve()) if args.baseline_code else None
    if "push100k" in selected:
        res["push_scale"] = push_scale.bench_push_scale(sizes, work, log, base)
        save()
    if "diff1m" in selected:
        res["diff_scale"] = push_scale.bench_diff_scale(sizes, work, log, base)
        save()


def _save(res: dict, out: Path, args: argparse.Namespace, started: float) -> None:
    cmd = "python -m bench.run" + "".join(f" {a}" for a in sys.argv[1:])
    res["meta"] = {"command": cmd, "quick": args.quick, "machine": _machine(), "code": _code(),
                   "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                   "total_s": time.perf_counter() - started}  # fmt: skip
    (out / "results.json").write_text(json.dumps(res, indent=1, default=str))


def _render(res: dict, out: Path) -> None:
    (out / "results.md").write_text(report.markdown(res))
    for path in report.plots(res, out):
        print(f"plot: {path}")


if __name__ == "__main__":
    sys.exit(main())
