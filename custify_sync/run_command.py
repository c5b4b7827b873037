"""Glue for ``custify-sync run``: load the project, run one cycle or the watch, render."""

from __future__ import annotations

import sys
from pathlib import Path

from custify_sync.commands import console
from models.stop import StopFlag


def run_run_command(
    *,
    config: Path | None,
    destination: str | None,
    connection: str | None,
    watch: bool,
    duration: float | None,
    stream_events: bool,
    wait: float,
    stop: StopFlag,
) -> int:
    from custify_sync.project import load_project
    from custify_sync.render import extract_summary, push_summary
    from pipelines.watch import CycleInputs, run_cycle

    project = load_project(config, destination=destination, connection=connection)
    inputs = CycleInputs(
        settings=project.settings, warehouse_cfg=project.warehouse, connection=connection,
        options=project.options, stop=stop, lock_wait_s=wait,
        events_out=sys.stdout if stream_events else None,
    )  # fmt: skip
    if watch:
        from pipelines.watch.loop import run_watch

        report = run_watch(inputs, duration_s=duration)
        console.print(f"watch: {report.describe()}", markup=False, highlight=False)
        return report.exit_code
    cycle = run_cycle(inputs)
    if cycle.extract is not None:
        console.print(extract_summary(cycle.extract))
    if cycle.push is not None and cycle.push.syncs:
        console.print(push_summary(cycle.push))
    for line in cycle.errors:
        console.print(f"error: {line}", soft_wrap=True, markup=False, highlight=False)
    return cycle.exit_code
