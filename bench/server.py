"""The sandbox process of a benchmark: ``python -m bench.server [options]``.

Runs ``sandbox.Sandbox`` behind ``sandbox.serve`` (a real threaded HTTP server on 127.0.0.1)
in its OWN process, so that the CPU and memory it spends never count as the client's. It
prints one JSON line when it is ready (``{"url", "api_key", "counts", "generate_s", "rss_mb"}``)
and then answers control commands, one JSON object per line on stdin, with one JSON line on
stdout. Commands (admin work outside the measured traffic; none of them is journaled):

- ``{"cmd": "reset"}``: clear the journal and open a fresh rate window;
- ``{"cmd": "set", "rate_limit": n|null, "latency_ms": n}``;
- ``{"cmd": "journal", "times": false}``: a summary of the traffic since the last reset (requests, 429s,
  statuses, per-path counts, most requests in any 10-s span, first/last request time);
- ``{"cmd": "tag", "category": "people"}``: the id of one tag of that category;
- ``{"cmd": "count", "object": "people"}`` / ``{"cmd": "events", "name": "..."}``: sizes
  of the sandbox's state, to check that a push really arrived;
- ``{"cmd": "touch", "object": "people", "n": 3}``: "changed in Custify" updates;
- ``{"cmd": "expected", "object": "people", "max_length": 63}``: what the warehouse must hold
  for that object (tests/pipelines/helpers ``expected_state`` with the destination's longest
  identifier, as JSON), to check a dataset is exact;
- ``{"cmd": "quit"}`` (or stdin closing).
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import sys
import time
from collections import Counter
from typing import Any

from sandbox import Faults, Sandbox, serve
from sandbox import server as _server

# The sandbox's handler writes the status line + headers and the body in separate sends with
# Nagle's algorithm on; with the client's delayed ACK that stalls every keep-alive answer by
# ~40 ms, which a sequential client (the rest_api baseline) pays on every page and a
# concurrent one mostly hides. Real API front ends set TCP_NODELAY; so does the benchmark
# (``StreamRequestHandler.disable_nagle_algorithm``), reported to the sandbox owners.
_server._Handler.disable_nagle_algorithm = True

_ID = re.compile(r"[0-9a-f]{24}")


def _journal_summary(sb: Sandbox, times: bool = False) -> dict[str, Any]:
    entries = list(sb.journal)
    statuses = Counter(e.status for e in entries)
    paths = Counter(f"{e.method} {_ID.sub('{id}', e.path)}" for e in entries)
    objectives = sum(1 for e in entries if e.path == "/objective")
    stamps = [e.t for e in entries]
    first = min(stamps) if stamps else 0.0
    out = {
        "requests": len(entries),
        "counted": sum(1 for e in entries if e.counted),
        "rate_limited": statuses.get(429, 0),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "paths": dict(paths.most_common(40)),
        "objective_requests": objectives,
        "max_in_window": sb.journal.max_in_window(10.0),
        "first_t": min(stamps) if stamps else None,
        "last_t": max(stamps) if stamps else None,
    }
    if times:  # (seconds since the first request, status) of every request, in time order
        out["times"] = sorted((round(e.t - first, 3), e.status) for e in entries)
    return out


def _command(sb: Sandbox, msg: dict[str, Any]) -> dict[str, Any]:
    cmd = msg.get("cmd")
    if cmd == "reset":
        sb.journal.clear()
        sb.window.reset()
        return {"ok": True}
    if cmd == "set":
        if "rate_limit" in msg:
            sb.rate_limit = msg["rate_limit"]
            sb.window.reset()
        if "latency_ms" in msg:
            sb.faults.latency_s = float(msg["latency_ms"]) / 1000.0
        return {"ok": True, "rate_limit": sb.rate_limit, "latency_s": sb.faults.latency_s}
    if cmd == "journal":
        return _journal_summary(sb, bool(msg.get("times")))
    if cmd == "tag":
        tags = [t for t in sb.store.table("tags").rows.values()
                if t.get("category") == msg["category"]]  # fmt: skip
        return {"id": tags[0]["id"], "name": tags[0]["name"]}
    if cmd == "count":
        return {"count": sb.store.count(msg["object"])}
    if cmd == "events":
        return {"count": sum(1 for e in sb.store.events if e.get("name") == msg["name"])}
    if cmd == "touch":
        ids = list(sb.store.table(msg["object"]).rows)[: int(msg.get("n", 1))]
        for rid in ids:
            sb.store.touch(msg["object"], rid)
        return {"touched": len(ids)}
    if cmd == "expected":
        from dlt.common.normalizers.naming.snake_case import NamingConvention

        from tests.pipelines import helpers

        helpers.NAMING = NamingConvention(max_length=msg.get("max_length"))
        state = helpers.expected_state(sb, msg["object"])
        return {"state": json.loads(json.dumps(state, default=str, sort_keys=True))}
    return {"error": f"unknown command {cmd!r}"}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.server")
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--size", action="append", default=[], metavar="TABLE=N",
                    help="row count of one table, overriding the scale (repeatable)")  # fmt: skip
    ap.add_argument("--latency-ms", type=float, default=0.0)
    ap.add_argument("--rate-limit", type=int, default=0, help="0 = off")
    args = ap.parse_args(argv)
    sizes = {k: int(v) for k, v in (s.split("=", 1) for s in args.size)}
    started = time.perf_counter()
    sb = Sandbox(
        seed=args.seed,
        scale=args.scale,
        sizes=sizes or None,
        rate_limit=args.rate_limit or None,
        faults=Faults(latency_s=args.latency_ms / 1000.0),
    )
    for name in ("people", "companies"):  # build the sorted indexes now, not in a measured page
        for fld in ("updated_at", "created_at"):
            sb.store.table(name).sorted_index(fld)
    generated = time.perf_counter() - started
    server = serve(sb)
    ready = {
        "url": server.url,
        "api_key": sb.api_key,
        "counts": {n: len(t) for n, t in sb.store.tables.items()},
        "generate_s": round(generated, 2),
        "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(json.dumps(ready), flush=True)
    try:
        for line in sys.stdin:
            if not line.strip():
                continue
            msg = json.loads(line)
            if msg.get("cmd") == "quit":
                break
            try:
                out = _command(sb, msg)
            except Exception as exc:  # keep serving; the harness shows the error
                out = {"error": repr(exc)}
            print(json.dumps(out), flush=True)
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
