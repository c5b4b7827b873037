"""Glue for ``custify-sync run``: load the project, run one cycle or the watch, render."""

from __future__ import annotations

import sys
from pathlib import Path

from custify_sync.console import console
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


def watch_status_tables(state_dir: Path | None, connection: str) -> list:
    """The health the last watch of this connection wrote, as tables (none: never watched)."""
    import datetime as dt

    from rich.table import Table

    from pipelines.watch.health import read_health

    data = read_health(state_dir or Path(".custify-sync"), connection) if state_dir else None
    if data is None:
        return []

    def when(ts: float | None) -> str:
        if not ts:
            return "-"
        return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat(timespec="seconds")

    head = Table(title=f"watch ({connection}): {data['state']}, pid {data['pid']}")
    for col in ("cycles", "last cycle", "took", "exit", "events", "budget/min",
                "pending pushes", "webhook backlog", "dead letters"):  # fmt: skip
        head.add_column(col)
    took = data.get("last_cycle_s")
    head.add_row(
        str(data["cycles"]), when(data.get("last_cycle_at")),
        "-" if took is None else f"{took:.1f} s", str(data.get("last_exit", "-")),
        str(data.get("events", 0)), f"{100 * data.get('budget_per_min', 0):.0f} %",
        str(data.get("pending_pushes", 0)), str(data.get("webhook_backlog", 0)),
        str(data.get("webhook_dead", 0)),
    )  # fmt: skip
    objects = Table(title="watch: objects (lag = since the last successful poll)")
    for col in ("object", "mode", "interval", "lag", "polls", "changes"):
        objects.add_column(col)
    for name, o in sorted(data.get("objects", {}).items()):
        lag = o.get("lag_s")
        objects.add_row(name, o["mode"], f"{o['interval_s']:g} s",
                        "-" if lag is None else f"{lag:g} s", str(o["polls"]),
                        str(o["changes"]))  # fmt: skip
    tables = [head, objects]
    if data.get("errors"):
        errors = Table(title="watch: last errors")
        errors.add_column("error")
        for line in data["errors"]:
            errors.add_row(line)
        tables.append(errors)
    return tables
