"""Summarise a py-spy ``--format raw`` profile (collapsed stacks) as text.

``python -m bench.profile_report FILE [--top N] [--focus SUBSTRING]`` prints the share of
GIL-holding samples (``py-spy --gil``) by leaf function (self time) and by function anywhere on the stack (inclusive
time, counted once per stack), so a miss can be explained with file and function names.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^()]*?)(?::\d+)?\)$")


def _name(frame: str) -> str:
    """``func (path/to/file.py:123)`` -> ``file.py:func`` with the package folder kept."""
    m = _FRAME.match(frame.strip())
    if not m:
        return frame.strip()
    path = m.group("file")
    for marker in ("site-packages/", "/lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
    parts = path.split("/")
    short = "/".join(parts[-2:]) if len(parts) > 1 else path
    return f"{short}:{m.group('func')}"


def load(path: Path) -> list[tuple[list[str], int]]:
    stacks = []
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        stacks.append(([_name(f) for f in stack.split(";")], int(count)))
    return stacks


#: (area, substring of a frame); a stack goes to the area of its LEAF-most matching frame
AREAS: tuple[tuple[str, str], ...] = (
    ("imports", "<frozen importlib"),
    ("JSON decode (orjson, custify/http.py:decode_json)", "custify/http.py:decode_json"),
    ("JSON decode (stdlib json)", "json/decoder.py"),
    ("JSON decode (stdlib json)", "json/__init__.py:loads"),
    ("rate budget (SQLite)", "custify/ratelimit.py"),
    ("HTTP client (httpx/httpcore/h11)", "httpx/"),
    ("HTTP client (httpx/httpcore/h11)", "httpcore/"),
    ("HTTP client (httpx/httpcore/h11)", "h11/"),
    ("HTTP client (requests/urllib3)", "requests/"),
    ("HTTP client (requests/urllib3)", "urllib3/"),
    ("rows -> Arrow/polars (pipelines/frames.py)", "pipelines/frames.py"),
    ("typing/schema (pipelines/conform.py)", "pipelines/conform.py"),
    ("trigger events (pipelines/events.py)", "pipelines/events.py"),
    ("scan/jobs bookkeeping (pipelines/scan.py, jobs.py)", "pipelines/scan.py"),
    ("scan/jobs bookkeeping (pipelines/scan.py, jobs.py)", "pipelines/jobs.py"),
    ("envelopes/pagination (custify/)", "custify/envelopes.py"),
    ("envelopes/pagination (custify/)", "custify/pagination.py"),
    ("thread pool, futures, locks", "futures/"),
    ("thread pool, futures, locks", "threading.py"),
    ("JSON decode (simplejson/orjson in dlt)", "simplejson/"),
    ("JSON decode (simplejson/orjson in dlt)", "json/_orjson.py"),
    ("rest_api source (paginator, jsonpath)", "rest_api/"),
    ("rest_api source (paginator, jsonpath)", "rest_client/"),
    ("rest_api source (paginator, jsonpath)", "jsonpath"),
    ("dlt normalize (Python rows -> relational)", "normalize/"),
    ("dlt load (DuckDB)", "load/"),
    ("dlt load (DuckDB)", "duckdb/"),
    ("dlt extract (items, buffers, writers)", "extract/"),
    ("dlt extract (items, buffers, writers)", "data_writers/"),
    ("dlt extract (items, buffers, writers)", "common/"),
    ("dlt pipeline (state, schema, trace)", "pipeline/"),
)


def area(frames: list[str]) -> str:
    for frame in reversed(frames):
        for name, needle in AREAS:
            if needle in frame:
                return name
    return "other"


#: the child's set-up (imports before the clock starts): left out of the default summary
SETUP = "bench/child.py:_heavy_imports"


def summarise(path: Path, top: int = 25, focus: str | None = None,
              exclude: str | None = SETUP) -> str:  # fmt: skip
    stacks = load(path)
    if focus:
        stacks = [(s, n) for s, n in stacks if any(focus in f for f in s)]
    if exclude:
        stacks = [(s, n) for s, n in stacks if not any(exclude in f for f in s)]
    total = sum(n for _, n in stacks) or 1
    leaf: Counter[str] = Counter()
    incl: Counter[str] = Counter()
    for frames, n in stacks:
        leaf[frames[-1]] += n
        for f in set(frames):
            incl[f] += n
    lines = [
        f"{path.name}: {total} samples of the GIL-holding thread (10 ms each)"
        + (f", stacks through {focus}" if focus else "")
        + (f", without stacks through {exclude} (set-up)" if exclude else "")
    ]
    areas: Counter[str] = Counter()
    for frames, n in stacks:
        areas[area(frames)] += n
    lines.append("\nby area (leaf-most known frame):")
    lines += [f"  {100 * n / total:5.1f}%  {a}" for a, n in areas.most_common()]
    lines.append("\nself (leaf) time:")
    lines += [f"  {100 * n / total:5.1f}%  {f}" for f, n in leaf.most_common(top)]
    lines.append("\ninclusive time:")
    lines += [f"  {100 * n / total:5.1f}%  {f}" for f, n in incl.most_common(top * 2)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.profile_report")
    ap.add_argument("file", type=Path)
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--focus")
    ap.add_argument("--exclude", default=SETUP, help="leave out stacks through this ('' = none)")
    args = ap.parse_args(argv)
    print(summarise(args.file, args.top, args.focus, args.exclude or None))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
