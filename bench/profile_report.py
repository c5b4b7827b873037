"""Summarise a py-spy ``--format raw`` profile (collapsed stacks) as text.

``python -m bench.profile_report FILE [--top N] [--focus SUBSTRING]`` prints the share of
on-CPU samples by leaf function (self time) and by function anywhere on the stack (inclusive
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


def summarise(path: Path, top: int = 25, focus: str | None = None) -> str:
    stacks = load(path)
    if focus:
        stacks = [(s, n) for s, n in stacks if any(focus in f for f in s)]
    total = sum(n for _, n in stacks) or 1
    leaf: Counter[str] = Counter()
    incl: Counter[str] = Counter()
    for frames, n in stacks:
        leaf[frames[-1]] += n
        for f in set(frames):
            incl[f] += n
    lines = [
        f"{path.name}: {total} on-CPU samples" + (f" (stacks through {focus})" if focus else "")
    ]
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
    args = ap.parse_args(argv)
    print(summarise(args.file, args.top, args.focus))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
