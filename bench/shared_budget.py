"""Two processes on one account: the Postgres budget against one SQLite file each.

    python -m bench.shared_budget                      # 2 x 300 list requests per mode
    python -m bench.shared_budget --requests 500 --modes postgres
    python -m bench.shared_budget --dsn postgresql://user:pw@host:5432/db

Two client processes ("two machines") send ``--requests`` list requests each through their own
``CustifyClient`` to one sandbox account (``bench/server.py``: the real 100 requests per 10 s,
300 ms latency, its own process). Modes:

- ``postgres``: both on ``budget_backend = "postgres"``, one shared log in the PostgreSQL of
  ``--dsn`` (default: ``DESTINATION__POSTGRES__CREDENTIALS``, else the local test database);
- ``sqlite``: each on its own SQLite file, as two machines were before the Postgres budget
  (each assumes the whole budget; 429s expected).

Figures per mode, from the sandbox's journal: the most requests in any 10 s, the 429 count,
and wall / bound, where wall runs from the first client's start to the last one's end (both
start at one agreed instant, after their imports) and bound = the clients' requests / 10 per s.
Writes ``bench/results/shared_budget.json``. Not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.harness import PYTHON, ROOT, SandboxProcess, _env

RESULTS = Path(__file__).resolve().parent / "results"
LOCAL_DSN = "postgresql://postgres@127.0.0.1:5432/test"
START_DELAY_S = 4.0  # time for both children to import and connect before the agreed start


def child(spec: dict[str, Any]) -> dict[str, Any]:
    """One client process: wait for the agreed start, send the requests, report."""
    from custify.client import CustifyClient
    from custify.settings import ApiKey, ConnectionSettings

    settings = ConnectionSettings(
        api_key=ApiKey(os.environ["CUSTIFY_API_KEY"]),
        base_url=spec["url"],
        budget_backend=spec["backend"],
        budget_path=Path(spec["budget_path"]),
        concurrency=spec["concurrency"],
    )
    with CustifyClient(settings, postgres_dsn=os.environ.get("BENCH_BUDGET_DSN")) as client:

        def one(i: int) -> int:
            return len(client.list_page("people", 1 + i % 20, page_size=10).rows)

        time.sleep(max(0.0, spec["start_at"] - time.time()))
        started = time.time()
        with ThreadPoolExecutor(max_workers=spec["concurrency"]) as pool:
            pages = list(pool.map(one, range(spec["requests"])))
        ended = time.time()
        stats = client.stats.snapshot()
    return {"started": started, "ended": ended, "pages": len(pages), "stats": stats}


def run_mode(sb: SandboxProcess, mode: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    sb.reset()
    env = {**_env(), "CUSTIFY_API_KEY": sb.api_key, "BENCH_BUDGET_DSN": args.dsn}
    start_at = time.time() + START_DELAY_S
    procs = []
    for i in range(2):
        spec = {
            "url": sb.url,
            "backend": mode,
            "budget_path": str(tmp / f"{mode}-{i}.sqlite3"),  # sqlite: one file per "machine"
            "concurrency": args.concurrency,
            "requests": args.requests,
            "start_at": start_at,
        }
        cmd = [PYTHON, "-m", "bench.shared_budget", "--child", json.dumps(spec)]
        procs.append(subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True))
    reports = []
    for proc in procs:
        out, _ = proc.communicate(timeout=3600)
        if proc.returncode != 0:
            raise RuntimeError(f"{mode} client exited with {proc.returncode}")
        reports.append(json.loads(out.strip().splitlines()[-1]))
    journal = sb.journal()
    if mode == "postgres":
        _forget(sb, args.dsn)
    sent = sum(r["pages"] for r in reports)
    wall = max(r["ended"] for r in reports) - min(r["started"] for r in reports)
    bound = sent / 10.0
    return {
        "mode": mode,
        "requests": sent,
        "journal_requests": journal["requests"],
        "rate_limited": journal["rate_limited"],
        "client_429s": sum(r["stats"]["rate_limited"] for r in reports),
        "max_in_10s": journal["max_in_window"],
        "wall_s": round(wall, 2),
        "bound_s": bound,
        "wall_over_bound": round(wall / bound, 3),
        "start_skew_s": round(abs(reports[0]["started"] - reports[1]["started"]), 3),
    }


def _forget(sb: SandboxProcess, dsn: str) -> None:
    """Remove the run's account from the shared log (its last window's grants)."""
    import psycopg2

    from custify.ratelimit import account_key
    from custify.ratelimit_pg import SCHEMA
    from custify.settings import ApiKey, ConnectionSettings

    account = account_key(ConnectionSettings(api_key=ApiKey(sb.api_key), base_url=sb.url))
    with psycopg2.connect(dsn) as db, db.cursor() as cur:
        cur.execute(f"DELETE FROM {SCHEMA}.grants WHERE account = %s", (account,))
        cur.execute(f"DELETE FROM {SCHEMA}.blocks WHERE account = %s", (account,))


def _table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| mode | requests | most in any 10 s | 429s | wall | bound | wall / bound |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['mode']} | {r['requests']} | {r['max_in_10s']} | {r['rate_limited']} "
            f"| {r['wall_s']:.1f} s | {r['bound_s']:.0f} s | {r['wall_over_bound']:.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.shared_budget", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    ap.add_argument("--requests", type=int, default=300, help="list requests per process")
    ap.add_argument("--concurrency", type=int, default=8, help="requests in flight per process")
    ap.add_argument("--latency-ms", type=float, default=300.0)
    ap.add_argument("--modes", default="postgres,sqlite")
    ap.add_argument(
        "--dsn", default=os.environ.get("DESTINATION__POSTGRES__CREDENTIALS", LOCAL_DSN)
    )
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child(json.loads(args.child))), flush=True)
        return 0
    rows = []
    with SandboxProcess(scale=0.2, latency_ms=args.latency_ms, rate_limit=100) as sb, \
            tempfile.TemporaryDirectory(prefix="bench-budget-") as tmp:  # fmt: skip
        for mode in args.modes.split(","):
            rows.append(run_mode(sb, mode, args, Path(tmp)))
            print(json.dumps(rows[-1]), flush=True)
    RESULTS.mkdir(exist_ok=True)
    machine = {"cpus": os.cpu_count(), "loadavg": os.getloadavg()[0]}
    (RESULTS / "shared_budget.json").write_text(json.dumps({"runs": rows, **machine}, indent=2))
    print(_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
