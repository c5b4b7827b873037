"""Glue between the CLI and the engines: load the project, call, render. No sync logic here."""

from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console

from custify_sync.console import console
from models.stop import StopFlag


def run_sandbox_command(
    *,
    port: int,
    seed: int,
    scale: float,
    latency_ms: int,
    rate_limit: int,
    api_key: str | None,
    stop: StopFlag,
    profile: str | None = None,
    idle_timeout_s: float = 0.0,
) -> int:
    import secrets

    from custify.errors import ConfigError
    from models.registry import EXTRACTED
    from sandbox import Faults, Sandbox, profiles, serve

    if profile is not None:
        profiles.knobs(profile)  # an unknown name: one line and exit 2, before generating
    if not 0 <= port <= 65535:
        raise ConfigError(f"--port {port} is not a TCP port; use 1-65535, or 0 for a free one")
    key = api_key or f"sk_sandbox_{secrets.token_hex(16)}"
    console.print(f"Generating sandbox data (seed {seed}, scale {scale:g})…")
    sb = Sandbox(seed=seed, scale=scale, api_key=key, rate_limit=rate_limit or None,
                 faults=Faults(latency_s=latency_ms / 1000), profile=profile)  # fmt: skip
    try:
        server = serve(sb, port=port, idle_timeout_s=idle_timeout_s or None)
    except OSError as exc:
        raise ConfigError(
            f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}; "
            "pass another --port, or --port 0 for a free one"
        ) from None
    counts = ", ".join(f"{sb.store.count(o.name)} {o.name}" for o in EXTRACTED)
    print(f"Custify sandbox listening on {server.url}", flush=True)
    print(f"API key: {sb.api_key}", flush=True)
    print(f"export CUSTIFY_BASE_URL={server.url} CUSTIFY_API_KEY={sb.api_key}", flush=True)
    console.print(f"Holds {counts}.")
    limit = f"{rate_limit} requests per 10 s" if rate_limit else "off"
    shown = f"; profile {profile}" if profile else ""
    idle = f"; idle connections closed after {idle_timeout_s:g} s" if idle_timeout_s else ""
    console.print(f"Rate limit: {limit}; latency {latency_ms} ms{idle}{shown}. Ctrl-C stops it.")
    try:
        while not stop.is_set():
            stop_wait(stop, 0.5)
    finally:
        server.stop()
    return 0


def stop_wait(stop: StopFlag, seconds: float) -> None:
    import time

    deadline = time.monotonic() + seconds
    while not stop.is_set() and time.monotonic() < deadline:
        time.sleep(0.05)


def run_extract_command(
    *,
    config: Path | None,
    objects: str | None,
    destination: str | None,
    full_refresh: bool,
    reconcile: bool,
    stream_events: bool,
    connection: str | None,
    wait: float,
    stop: StopFlag,
) -> int:
    from custify_sync.project import load_project
    from custify_sync.render import ExtractProgress, extract_summary
    from pipelines import run_extract

    project = load_project(config, destination=destination, connection=connection)
    names = [n.strip() for n in objects.split(",") if n.strip()] if objects else None
    with ExtractProgress(console) as progress:
        report = run_extract(
            project.settings,
            connection=connection,
            options=project.options,
            objects=names,
            warehouse_cfg=project.warehouse,
            full_refresh=full_refresh,
            reconcile=reconcile,
            progress=progress.update,
            events_out=sys.stdout if stream_events else None,
            lock_wait_s=wait,
            stop=stop,
        )
    console.print(extract_summary(report))
    for line in report.failures:  # objects that failed alone; the others loaded
        console.print(f"error: {line}", soft_wrap=True, markup=False, highlight=False)
    return report.exit_code


def run_push_command(
    *,
    config: Path | None,
    syncs: list[str],
    dry_run: bool,
    destination: str | None,
    connection: str | None,
    wait: float,
    stop: StopFlag,
) -> int:
    from custify_sync.project import load_project
    from custify_sync.render import PushProgress, push_summary
    from reverse_etl import run_push

    project = load_project(config, destination=destination, connection=connection)
    with PushProgress(console) as progress:
        report = run_push(
            project.settings,
            syncs or None,
            connection=connection,
            dry_run=dry_run,
            warehouse_cfg=project.warehouse,
            progress=progress.update,
            lock_wait_s=wait,
            stop=stop,
        )
    console.print(push_summary(report))
    return report.exit_code


def run_status_command(
    *, config: Path | None, destination: str | None, connection: str | None
) -> int:
    from custify_sync.project import load_project
    from custify_sync.render import extract_status_tables, sync_status_table
    from pipelines import extract_status
    from reverse_etl import sync_status

    project = load_project(config, destination=destination, connection=connection,
                           needs_key=False)  # fmt: skip
    out = Console(width=None if sys.stdout.isatty() else 140)
    for table in extract_status_tables(extract_status(project.warehouse_for(connection))):
        out.print(table)
    if project.raw.get("syncs"):
        statuses = sync_status(project.settings, project.warehouse, connection)
        out.print(sync_status_table(statuses))
    from custify_sync.run_command import watch_status_tables

    state_dir = project.warehouse_for(connection).state_dir or project.settings.state_dir
    for table in watch_status_tables(state_dir, connection or project.settings.default):
        out.print(table)
    return 0


def run_sql_command(
    *,
    config: Path | None,
    query: str,
    output: str,
    destination: str | None,
    connection: str | None,
) -> int:
    from custify_sync.project import load_project
    from custify_sync.render import print_frame
    from warehouse import SessionWarehouse
    from warehouse.sql import run_query

    project = load_project(config, destination=destination, connection=connection,
                           needs_key=False)  # fmt: skip
    with SessionWarehouse(project.warehouse_for(connection)) as wh:
        frame = run_query(wh, query)
    print_frame(frame, output)
    return 0


def run_forget_command(
    *,
    config: Path | None,
    by: str,
    value: str,
    yes: bool,
    dry_run: bool,
    destination: str | None,
    connection: str | None,
    wait: float,
) -> int:
    from custify_sync.project import load_project
    from reverse_etl.engine.forget import forget
    from warehouse.scrub import summary

    project = load_project(config, destination=destination, connection=connection)
    report = forget(project.settings, by=by, value=value, warehouse_cfg=project.warehouse,
                    connection=connection, yes=yes, dry_run=dry_run,
                    lock_wait_s=wait)  # fmt: skip
    verb = "would change" if report.dry_run else "changed"
    for line in summary(report.tables):
        console.print(line, markup=False, highlight=False)
    console.print(
        f"forget ({'dry run' if report.dry_run else 'done'}, dataset {report.dataset}): "
        f"Custify {report.custify}; {verb} {report.rows} rows in {len(report.tables)} tables; "
        f"{report.packages} local load packages {'to drop' if report.dry_run else 'dropped'}; "
        f"ledger key {report.reference}…",
        markup=False, highlight=False,
    )  # fmt: skip
    return 0


def run_dbt_sources_command(
    *,
    config: Path | None,
    out: Path | None,
    destination: str | None,
    connection: str | None,
) -> int:
    from custify_sync.dbt_sources import sources_yaml
    from custify_sync.project import load_project

    project = load_project(config, destination=destination, connection=connection,
                           needs_key=False)  # fmt: skip
    text = sources_yaml(project.warehouse_for(connection),
                        deleted_column=project.options.deleted_column)  # fmt: skip
    if out is None:
        sys.stdout.write(text)
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    console.print(f"wrote {out}", markup=False, highlight=False)
    return 0
