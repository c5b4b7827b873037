"""Glue between the CLI and the engines: load settings, call, render. No sync logic here."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

from rich.console import Console

console = Console(stderr=True)


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
