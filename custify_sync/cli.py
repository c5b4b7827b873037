"""The `custify-sync` command line: parsing, rendering and exit codes; no sync logic here."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from custify_sync.errors import run_guarded

app = typer.Typer(
    name="custify-sync",
    help="Two-way sync between Custify and your warehouse (ELT, reverse ETL, offline sandbox).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

ConfigOpt = Annotated[
    Path, typer.Option("--config", "-c", help="pipelines.toml with connections, warehouse, syncs.")
]
DestinationOpt = Annotated[
    str | None,
    typer.Option("--destination", "-d", help="duckdb (default), postgres or snowflake."),
]
ConnectionOpt = Annotated[
    str | None, typer.Option("--connection", help="Named Custify connection from pipelines.toml.")
]


@app.command()
def extract(
    objects: Annotated[
        str | None, typer.Option("--objects", help="Comma-separated objects (default: all 14).")
    ] = None,
    destination: DestinationOpt = None,
    full_refresh: Annotated[
        bool, typer.Option("--full-refresh", help="Reload the chosen objects from scratch.")
    ] = False,
    reconcile: Annotated[
        bool, typer.Option("--reconcile", help="Detect records deleted in Custify.")
    ] = False,
    events: Annotated[
        bool, typer.Option("--events", help="Stream this run's trigger events as JSON lines.")
    ] = False,
    connection: ConnectionOpt = None,
    config: ConfigOpt = Path("pipelines.toml"),
) -> None:
    """Extract Custify objects incrementally into the warehouse and record trigger events."""
    from custify_sync.commands import run_extract_command

    run_guarded(
        lambda: run_extract_command(
            config=config,
            objects=objects,
            destination=destination,
            full_refresh=full_refresh,
            reconcile=reconcile,
            stream_events=events,
            connection=connection,
        )
    )


@app.command()
def push(
    syncs: Annotated[list[str] | None, typer.Argument(help="Syncs to run (default: all).")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Write the diff and a plan; send nothing.")
    ] = False,
    destination: DestinationOpt = None,
    config: ConfigOpt = Path("pipelines.toml"),
) -> None:
    """Push warehouse diffs to Custify through the syncs of pipelines.toml."""
    from custify_sync.commands import run_push_command

    run_guarded(
        lambda: run_push_command(
            config=config, syncs=syncs or [], dry_run=dry_run, destination=destination
        )
    )


@app.command()
def status(
    destination: DestinationOpt = None,
    config: ConfigOpt = Path("pipelines.toml"),
) -> None:
    """Show the last runs, rows per table, cursors, and per sync the pending/failed/rejected."""
    from custify_sync.commands import run_status_command

    run_guarded(lambda: run_status_command(config=config, destination=destination))


@app.command()
def sandbox(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0 picks a free one).")] = 8765,
    seed: Annotated[int, typer.Option(help="Seed of the generated data.")] = 0,
    scale: Annotated[float, typer.Option(help="1 = 200 companies, 1,000 people.")] = 1.0,
    latency_ms: Annotated[int, typer.Option(help="Latency added to every request.")] = 0,
    rate_limit: Annotated[
        int, typer.Option(help="Requests per 10-s window; 0 turns the limit off.")
    ] = 100,
) -> None:
    """Serve the offline Custify API on 127.0.0.1 until interrupted."""
    from custify_sync.commands import run_sandbox_command

    run_guarded(
        lambda: run_sandbox_command(
            port=port, seed=seed, scale=scale, latency_ms=latency_ms, rate_limit=rate_limit
        )
    )


@app.command()
def demo(
    workdir: Annotated[
        Path, typer.Option(help="Where the demo writes custify.duckdb and its state.")
    ] = Path("."),
    scale: Annotated[float, typer.Option(help="Size of the sandbox's data.")] = 1.0,
) -> None:
    """The main job on embedded defaults: sandbox, extract into DuckDB, a push, a re-extract."""
    from custify_sync.demo import run_demo

    run_guarded(lambda: run_demo(workdir=workdir, scale=scale))


if __name__ == "__main__":  # pragma: no cover
    app()
