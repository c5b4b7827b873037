"""Measurements for the ELT (not a test: numbers vary by machine, tests never assert timings).

    .venv/bin/python -m tests.pipelines.measure --scale 100 --objects people
    .venv/bin/python -m tests.pipelines.measure --scale 2 --latency-ms 300
    .venv/bin/python -m tests.pipelines.measure --scale 0.01 --extra-people 1000000 \
        --objects people --rate-limit 0

The sandbox runs in a CHILD process (its million-row store must not count against the
extractor's memory) and serves real HTTP on loopback with the real rate limit (100 requests
per 10 s unless --rate-limit says otherwise). This process runs ``run_extract`` into a fresh
DuckDB file and prints: rows, requests, 429s, requests per second over the HTTP phase (first
to last request), wall time and peak RSS (VmHWM of this process).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

SERVER = """
import sys, threading
from models.clock import RealClock
from sandbox import Faults, Sandbox, serve
seed, scale, latency, limit = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
extra = int(sys.argv[5])
sb = Sandbox(seed=seed, scale=scale, clock=RealClock(), rate_limit=limit or None,
             faults=Faults(latency_s=latency))
if extra:  # clones of the generated people with new ids and spread timestamps
    from sandbox.util import iso_ms
    base, now = sb.store.rows("people"), sb.clock.now()
    def clones():
        for i in range(extra):
            t = now - 86400 * 700 * (i / extra)
            yield {**base[i % len(base)], "id": f"{i:024x}", "user_id": f"X{i}",
                   "email": f"p{i}@bulk.example", "created_at": iso_ms(t - 86400),
                   "updated_at": iso_ms(t)}
    sb.store.table("people").load(clones())
server = serve(sb)
print(server.url, sb.api_key, flush=True)
sys.stdin.read()
"""


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _report_steps() -> None:
    """Peak RSS after each dlt step (extract holds the scan, load holds the warehouse work)."""
    import pipelines.run

    step = pipelines.run._step

    def timed(fn, cfg):
        result = step(fn, cfg)
        name = getattr(fn, "__name__", "extract")
        print(f"  after {name:9s} peak_rss={peak_rss_mb():.0f} MiB", flush=True)
        return result

    pipelines.run._step = timed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--latency-ms", type=int, default=0)
    ap.add_argument("--rate-limit", type=int, default=100)
    ap.add_argument("--objects", default=None, help="comma list; default every object")
    ap.add_argument("--extra-people", type=int, default=0, help="bulk-load this many people")
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="custify-measure-"))
    child = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(args.seed), str(args.scale),
         str(args.latency_ms / 1000), str(args.rate_limit), str(args.extra_people)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        url, key = child.stdout.readline().split()
        run(url, key, root, args)
    finally:
        child.kill()


def run(url: str, key: str, root: Path, args: argparse.Namespace) -> None:
    from custify import ApiKey, ConnectionSettings, CustifyClient
    from pipelines import ExtractOptions, run_extract
    from warehouse import WarehouseConfig

    settings = ConnectionSettings(api_key=ApiKey(key), base_url=url,
                                  budget_path=root / "budget.sqlite3")  # fmt: skip
    cfg = WarehouseConfig(duckdb_path=root / "measure.duckdb", pipelines_dir=root / "dlt")
    stamps: list[float] = []
    lock = threading.Lock()
    original = CustifyClient.list_page

    def list_page(self, *a, **k):  # first/last request times: the HTTP phase
        with lock:
            stamps.append(time.monotonic())
        return original(self, *a, **k)

    CustifyClient.list_page = list_page
    _report_steps()
    objects = args.objects.split(",") if args.objects else None
    started = time.monotonic()
    report = run_extract(settings, objects=objects, warehouse_cfg=cfg,
                         options=ExtractOptions(intervals={}))  # fmt: skip
    wall = time.monotonic() - started
    http = (max(stamps) - min(stamps)) if len(stamps) > 1 else float("nan")
    print(f"rows={report.rows} requests={report.requests} 429s={report.rate_limited} "
          f"retries={report.retries}")  # fmt: skip
    print(f"http_phase={http:.1f}s requests_per_s={report.requests / http:.2f} wall={wall:.1f}s")
    print(f"peak_rss={peak_rss_mb():.0f} MiB")
    for name, r in report.objects.items():
        print(f"  {name:20s} rows={r.rows:7d} requests={r.requests:5d} 429s={r.rate_limited}")


if __name__ == "__main__":
    main()
