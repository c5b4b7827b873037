"""The CLI under tracemalloc, with snapshots at set times: where a long watch's memory goes.

``python -m bench.traced_cli OUT_DIR T1,T2,... -- <custify-sync arguments>``

Starts tracemalloc (25 frames), then runs ``custify_sync.cli.main`` with the arguments after
``--``; a thread dumps a snapshot to ``OUT_DIR/snapshot-<T>.pickle`` T seconds after the start.
``python -m bench.traced_cli --diff A B`` prints the 25 largest growths from A to B, grouped by
traceback. ``bench.watch_soak --tracemalloc OUT_DIR`` runs the watch this way.
"""

from __future__ import annotations

import sys
import threading
import time
import tracemalloc
from pathlib import Path

FRAMES = 25


def _dump_at(out: Path, times: list[float]) -> None:
    start = time.time()
    for t in times:
        time.sleep(max(0.0, start + t - time.time()))
        tracemalloc.take_snapshot().dump(str(out / f"snapshot-{t:g}.pickle"))


def diff(a: str, b: str, top: int = 25) -> str:
    old, new = tracemalloc.Snapshot.load(a), tracemalloc.Snapshot.load(b)
    keep = [tracemalloc.Filter(False, tracemalloc.__file__)]
    stats = new.filter_traces(keep).compare_to(old.filter_traces(keep), "traceback")
    lines = [f"total traced: {_mb(old)} MB -> {_mb(new)} MB"]
    for s in stats[:top]:
        lines.append(f"{s.size_diff / 2**20:+.2f} MB, {s.count_diff:+d} blocks "
                     f"(now {s.size / 2**20:.2f} MB)")  # fmt: skip
        ours = [f for f in s.traceback if "site-packages" not in f.filename] or list(s.traceback)
        lines.extend(f"    {f.filename}:{f.lineno}" for f in ours[-6:])
    return "\n".join(lines)


def _mb(snapshot: tracemalloc.Snapshot) -> str:
    return f"{sum(t.size for t in snapshot.traces) / 2**20:.1f}"


def main() -> None:
    if sys.argv[1] == "--diff":
        print(diff(sys.argv[2], sys.argv[3]))
        return
    out, times, rest = Path(sys.argv[1]), sys.argv[2], sys.argv[sys.argv.index("--") + 1 :]
    out.mkdir(parents=True, exist_ok=True)
    tracemalloc.start(FRAMES)
    marks = [float(t) for t in times.split(",")]
    threading.Thread(target=_dump_at, args=(out, marks), daemon=True).start()
    from custify_sync.cli import main as cli_main

    sys.argv = ["custify-sync", *rest]
    cli_main()


if __name__ == "__main__":
    main()
