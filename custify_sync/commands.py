"""Glue between the CLI and the engines: load settings, call, render. No sync logic here."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

from rich.console import Console

#: progress and summaries go to stderr so stdout stays clean for `extract --events`; when it
#: is not a terminal (CI, cron, a log file) a fixed width keeps the tables readable.
console = Console(stderr=True, width=None if sys.stderr.isatty() else 140)


def run_sandbox_command(
    *, port: int, seed: int, scale: float, latency_ms: int, rate_limit: int
) -> int:
    from sandbox import Faults, Sandbox, serve

    console.print(f"Generating sandbox data (seed {seed}, scale {scale:g})…")
    sb = Sandbox(
        seed=seed,
        scale=scale,
        rate_limit=rate_limit or None,
        faults=Faults(latency_s=latency_ms / 1000),
    )
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):  # before the banner: a caller may stop us at once
        signal.signal(sig, lambda *_: stop.set())
    server = serve(sb, port=port)
    from models.registry import EXTRACTED

    counts = ", ".join(f"{sb.store.count(o.name)} {o.name}" for o in EXTRACTED)
    print(f"Custify sandbox listening on {server.url}", flush=True)
    print(f"API key: {sb.api_key}", flush=True)
    print(f"export CUSTIFY_BASE_URL={server.url} CUSTIFY_API_KEY={sb.api_key}", flush=True)
    console.print(f"Holds {counts}.")
    limit = f"{rate_limit} requests per 10 s" if rate_limit else "off"
    console.print(f"Rate limit: {limit}; latency {latency_ms} ms. Ctrl-C stops it.")
    stop.wait()
    server.stop()
    return 0


def load(config: Path, destination: str | None):
    """Settings and warehouse config from pipelines.toml + environment (one reader)."""
    from custify.settings import load_settings
    from warehouse import warehouse_config

    settings = load_settings(config)
    cfg = warehouse_config(settings.raw, destination=destination)
    return settings, cfg


def run_extract_command(
    *,
    config: Path,
    objects: str | None,
    destination: str | None,
    full_refresh: bool,
    reconcile: bool,
    stream_events: bool,
    connection: str | None,
) -> int:
    from custify_sync.render import ExtractProgress, extract_summary
    from pipelines import ExtractOptions, run_extract

    settings, cfg = load(config, destination)
    names = [n.strip() for n in objects.split(",") if n.strip()] if objects else None
    with ExtractProgress(console) as progress:
        report = run_extract(
            settings.connection(connection),
            options=ExtractOptions.from_raw(settings.raw),
            objects=names,
            warehouse_cfg=cfg,
            full_refresh=full_refresh,
            reconcile=reconcile,
            progress=progress.update,
            events_out=sys.stdout if stream_events else None,
        )
    console.print(extract_summary(report))
    return 0


def run_push_command(
    *, config: Path, syncs: list[str], dry_run: bool, destination: str | None
) -> int:
    from custify_sync.render import PushProgress, push_summary
    from reverse_etl import run_push

    settings, cfg = load(config, destination)
    with PushProgress(console) as progress:
        report = run_push(
            settings, syncs or None, dry_run=dry_run, warehouse_cfg=cfg, progress=progress.update
        )
    console.print(push_summary(report))
    return report.exit_code


def run_status_command(*, config: Path, destination: str | None) -> int:
    from custify_sync.render import extract_status_tables, sync_status_table
    from pipelines import extract_status
    from reverse_etl import sync_status

    settings, cfg = load(config, destination)
    out = Console(width=None if sys.stdout.isatty() else 140)
    for table in extract_status_tables(extract_status(cfg)):
        out.print(table)
    if (settings.raw or {}).get("syncs"):
        out.print(sync_status_table(sync_status(settings, cfg)))
    return 0
