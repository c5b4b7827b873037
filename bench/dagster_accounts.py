"""Many accounts through Dagster's multiprocess executor: wall against the slowest account.

    python -m bench.dagster_accounts                # 20 accounts, scale 0.2, ~3 min
    python -m bench.dagster_accounts --quick        # 4 accounts
    python -m bench.dagster_accounts --accounts 8 --dsn postgresql://user:pw@host:5432/db

Every account is a sandbox process of its own (``bench/server.py``: the real 100 requests per
10 s, 300 ms latency, scale 0.2). One project declares one connection per account, each with
its own dataset in PostgreSQL (``--dsn``: one advisory lock per dataset, so the accounts do not
wait for each other as connections sharing one DuckDB file would). One
``dagster asset materialize -m custify_sync.dagster --select '*'`` run extracts them all, its
multiprocess executor running every account's step at once (``max_concurrent`` = accounts),
every step in its account's pool (limit 1, in the temporary DAGSTER_HOME).

Figures: wall of the command and of the Dagster run; each account's rate bound (its requests
/ 10 per s: what one account alone cannot beat); wall / (1.3 x the slowest bound), the target
being <= 1; 429s and the most requests in any 10 s per account (sandbox journals); and whether
every table of every dataset equals its account, record for record (``expected`` command of
the sandbox against ``tests/pipelines/helpers.warehouse_state``). Writes
``bench/results/dagster_accounts.json``. Not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.harness import PYTHON, ROOT, SandboxProcess, _env

RESULTS = Path(__file__).resolve().parent / "results"
LOCAL_DSN = "postgresql://postgres:unused@127.0.0.1:5432/test"  # dlt wants a password field
POOL_LIMIT_1 = "concurrency:\n  pools:\n    default_limit: 1\n"


def project_toml(dataset: str, names: list[str]) -> str:
    lines = ["[warehouse]", 'destination = "postgres"', f'dataset = "{dataset}"', "",
             "[dagster]", "lock_wait_s = 0", ""]  # fmt: skip
    for name in names:
        lines += [f"[custify.connections.{name}]", f'dataset = "{dataset}_{name}"', ""]
    return "\n".join(lines)


#: forkserver: step processes fork from one that imported everything and built the definitions
#: once (spawn does both anew in every step process: seconds of CPU each, paid per account)
PRELOAD = ["custify_sync.dagster.preload"]


def materialize(
    project: Path, env: dict[str, str], accounts: int, start_method: str
) -> tuple[float, str]:
    executor: dict[str, Any] = {"max_concurrent": accounts}
    if start_method == "forkserver":
        executor["start_method"] = {"forkserver": {"preload_modules": PRELOAD}}
    run_config = {"execution": {"config": {"multiprocess": executor}}}
    cmd = [PYTHON, "-m", "dagster", "asset", "materialize", "-m", "custify_sync.dagster",
           "--select", "*", "--config-json", json.dumps(run_config)]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True,
                          timeout=3600)  # fmt: skip
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"dagster asset materialize exited {done.returncode}:\n"
                           f"{done.stderr[-4000:]}")  # fmt: skip
    return wall, done.stderr


def run_timings(dagster_home: Path) -> dict[str, Any]:
    """The run's own wall, and the spread of its steps' starts (process start-up under load)."""
    import dagster as dg

    instance = dg.DagsterInstance.from_config(str(dagster_home))
    run = instance.get_runs()[0]
    stats = instance.get_run_stats(run.run_id)
    starts, ends = {}, {}
    for r in instance.all_logs(run.run_id):
        if r.dagster_event_type == dg.DagsterEventType.STEP_START:
            starts[r.step_key] = r.timestamp
        elif r.dagster_event_type == dg.DagsterEventType.STEP_SUCCESS:
            ends[r.step_key] = r.timestamp
    steps = sorted(ends[k] - starts[k] for k in ends if k in starts)
    return {
        "status": run.status.value,
        "run_wall_s": round((stats.end_time or 0) - (stats.start_time or 0), 2),
        "steps": len(starts),
        "first_step_start_s": round(min(starts.values()) - (stats.start_time or 0), 2),
        "last_step_start_s": round(max(starts.values()) - (stats.start_time or 0), 2),
        #: an account's extract inside its step (run_extract and the step's own overhead)
        "step_median_s": round(steps[len(steps) // 2], 2) if steps else None,
        "step_max_s": round(steps[-1], 2) if steps else None,
    }


def exact(sb: SandboxProcess, cfg: Any) -> list[str]:
    """The objects whose table differs from the account (empty: the dataset is exact)."""
    from models.registry import EXTRACTED
    from tests.pipelines import helpers
    from tests.pipelines.helpers import Reader, use_naming, warehouse_state

    use_naming(cfg)  # Postgres shortens long column names: the sandbox side must too
    wrong = []
    with Reader(cfg) as db:
        for obj in EXTRACTED:
            want = sb.cmd("expected", object=obj.name,
                          max_length=helpers.NAMING.max_length)["state"]  # fmt: skip
            got = json.loads(json.dumps(warehouse_state(db, obj.name), default=str,
                                        sort_keys=True))  # fmt: skip
            if got != want:
                wrong.append(obj.name)
    return wrong


def drop_schemas(dsn: str, prefix: str) -> None:
    import psycopg2

    with psycopg2.connect(dsn) as db, db.cursor() as cur:
        cur.execute("SELECT schema_name FROM information_schema.schemata "
                    "WHERE schema_name LIKE %s", (f"%{prefix}%",))  # fmt: skip
        for (schema,) in cur.fetchall():
            cur.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def run(args: argparse.Namespace) -> dict[str, Any]:
    from warehouse import WarehouseConfig

    names = [f"a{i:02d}" for i in range(1, args.accounts + 1)]
    dataset = f"bench_dg_{uuid.uuid4().hex[:6]}"
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=4) as pool:  # generation is CPU: a few at a time
        sandboxes = list(pool.map(
            lambda i: SandboxProcess(scale=args.scale, latency_ms=args.latency_ms,
                                     rate_limit=100, seed=100 + i), range(len(names))))  # fmt: skip
    sandboxes_s = time.perf_counter() - started
    try:
        with tempfile.TemporaryDirectory(prefix="bench-dagster-") as tmp:
            project = Path(tmp) / "project"
            project.mkdir()
            (project / "pipelines.toml").write_text(project_toml(dataset, names))
            home = Path(tmp) / "dagster_home"
            home.mkdir()
            (home / "dagster.yaml").write_text(POOL_LIMIT_1)
            env = {**_env(), "DAGSTER_HOME": str(home),
                   "DESTINATION__POSTGRES__CREDENTIALS": args.dsn}  # fmt: skip
            for name, sb in zip(names, sandboxes, strict=True):
                env[f"CUSTIFY_{name.upper()}_BASE_URL"] = sb.url
                env[f"CUSTIFY_{name.upper()}_API_KEY"] = sb.api_key
                sb.reset()
            load = os.getloadavg()[0]
            wall, _ = materialize(project, env, len(names), args.start_method)
            timings = run_timings(home)
            accounts = []
            base = WarehouseConfig(destination="postgres", dataset=dataset, credentials=args.dsn,
                                   pipelines_dir=Path(tmp) / "reader")  # fmt: skip
            for name, sb in zip(names, sandboxes, strict=True):
                journal = sb.journal()
                cfg = base.for_connection(name, f"{dataset}_{name}")
                accounts.append({
                    "account": name, "requests": journal["requests"],
                    "rate_limited": journal["rate_limited"],
                    "max_in_10s": journal["max_in_window"],
                    "bound_s": journal["requests"] / 10.0,
                    "not_exact": exact(sb, cfg),
                })  # fmt: skip
    finally:
        for sb in sandboxes:
            sb.stop()
        drop_schemas(args.dsn, dataset)
    slowest = max(a["bound_s"] for a in accounts)
    return {
        "accounts": len(names), "start_method": args.start_method, "scale": args.scale, "latency_ms": args.latency_ms,
        "wall_s": round(wall, 2), **timings,
        "slowest_bound_s": slowest, "target_s": round(1.3 * slowest, 1),
        "wall_over_target": round(wall / (1.3 * slowest), 3),
        "run_wall_over_target": round(timings["run_wall_s"] / (1.3 * slowest), 3),
        "requests": sum(a["requests"] for a in accounts),
        "rate_limited": sum(a["rate_limited"] for a in accounts),
        "max_in_10s": max(a["max_in_10s"] for a in accounts),
        "exact_accounts": sum(1 for a in accounts if not a["not_exact"]),
        "sandboxes_s": round(sandboxes_s, 1), "loadavg_before": round(load, 1),
        "loadavg_after": round(os.getloadavg()[0], 1), "cpus": os.cpu_count(),
        "per_account": accounts,
    }  # fmt: skip


def table(r: dict[str, Any]) -> str:
    return "\n".join([
        "| accounts | requests (slowest account) | wall (run) | 1.3 x slowest bound | "
        "wall / target | 429s | most in any 10 s | exact datasets |",
        "|---|---|---|---|---|---|---|---|",
        f"| {r['accounts']} | {r['requests']} ({r['slowest_bound_s'] * 10:.0f}) "
        f"| {r['wall_s']:.1f} s ({r['run_wall_s']:.1f} s) | {r['target_s']:.1f} s "
        f"| {r['wall_over_target']:.2f} ({r['run_wall_over_target']:.2f}) | {r['rate_limited']} "
        f"| {r['max_in_10s']} | {r['exact_accounts']} / {r['accounts']} |",
    ])  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.dagster_accounts", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    ap.add_argument("--accounts", type=int, default=20)
    ap.add_argument("--quick", action="store_true", help="4 accounts")
    ap.add_argument("--scale", type=float, default=0.2)
    ap.add_argument("--start-method", choices=["forkserver", "spawn"], default="forkserver",
                    help="how the multiprocess executor starts step processes")  # fmt: skip
    ap.add_argument("--latency-ms", type=float, default=300.0)
    ap.add_argument(
        "--dsn", default=os.environ.get("DESTINATION__POSTGRES__CREDENTIALS", LOCAL_DSN)
    )
    args = ap.parse_args(argv)
    if args.quick:
        args.accounts = 4
    result = run(args)
    RESULTS.mkdir(exist_ok=True)
    name = f"dagster_accounts{'_quick' if args.quick else ''}_{args.start_method}.json"
    (RESULTS / name).write_text(json.dumps(result, indent=2))
    print(json.dumps({k: v for k, v in result.items() if k != "per_account"}, indent=2))
    print(table(result))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
