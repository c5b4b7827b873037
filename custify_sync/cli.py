"""The `custify-sync` command line: parsing, rendering and exit codes; no sync logic here."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from custify_sync.errors import EXIT_USAGE, run_guarded
from custify_sync.process import skip_final_collection

app = typer.Typer(
    name="custify-sync",
    help="Two-way sync between Custify and your warehouse (ELT, reverse ETL, offline sandbox).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="pipelines.toml of the project (default: ./pipelines.toml)."
    ),
]
DestinationOpt = Annotated[
    str | None,
    typer.Option("--destination", "-d", help="duckdb (default), postgres or snowflake."),
]
ConnectionOpt = Annotated[
    str | None,
    typer.Option("--connection", help="Named Custify connection (default: the default one)."),
]
WaitOpt = Annotated[
    float,
    typer.Option(
        "--wait", min=0, help="Seconds to wait for another run of this connection to finish."
    ),
]


class LogFormat(StrEnum):
    text = "text"
    json = "json"


class OutputFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"custify-sync {version('custify-sync')}")
        raise typer.Exit()


@app.callback()
def main_options(
    verbose: Annotated[
        int, typer.Option("--verbose", "-v", count=True, help="-v: steps, -vv: every request.")
    ] = 0,
    log_format: Annotated[
        LogFormat,
        typer.Option(
            "--log-format", help="text, or json (one object per line, for orchestrators)."
        ),
    ] = LogFormat.text,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Two-way sync between Custify and your warehouse (ELT, reverse ETL, offline sandbox)."""
    from custify_sync.logs import setup

    setup(verbose, log_format.value)


@app.command()
def extract(
    objects: Annotated[
        str | None, typer.Option("--objects", help="Comma-separated objects (default: all).")
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
    wait: WaitOpt = 0.0,
    config: ConfigOpt = None,
) -> None:
    """Extract Custify objects incrementally into the warehouse and record trigger events."""
    from custify_sync.commands import run_extract_command

    run_guarded(
        lambda stop: run_extract_command(
            config=config,
            objects=objects,
            destination=destination,
            full_refresh=full_refresh,
            reconcile=reconcile,
            stream_events=events,
            connection=connection,
            wait=wait,
            stop=stop,
        )
    )


@app.command()
def push(
    syncs: Annotated[list[str] | None, typer.Argument(help="Syncs to run (default: all).")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Write the diff and a plan; send nothing.")
    ] = False,
    destination: DestinationOpt = None,
    connection: ConnectionOpt = None,
    wait: WaitOpt = 0.0,
    config: ConfigOpt = None,
) -> None:
    """Push warehouse diffs to Custify through the syncs of pipelines.toml."""
    from custify_sync.commands import run_push_command

    run_guarded(
        lambda stop: run_push_command(
            config=config,
            syncs=syncs or [],
            dry_run=dry_run,
            destination=destination,
            connection=connection,
            wait=wait,
            stop=stop,
        )
    )


@app.command()
def run(
    watch: Annotated[
        bool, typer.Option("--watch", help="Repeat cycles until SIGTERM/Ctrl-C or --duration.")
    ] = False,
    duration: Annotated[
        float | None,
        typer.Option("--duration", min=0, help="With --watch: stop after this many seconds."),
    ] = None,
    events: Annotated[
        bool, typer.Option("--events", help="Stream trigger events as JSON lines on stdout.")
    ] = False,
    destination: DestinationOpt = None,
    connection: ConnectionOpt = None,
    wait: WaitOpt = 0.0,
    config: ConfigOpt = None,
) -> None:
    """One cycle: extract what is due, then push the syncs in `after` order (or --watch)."""
    from custify_sync.run_command import run_run_command

    if duration is not None and not watch:
        from custify.errors import ConfigError

        def refuse(stop: object) -> int:
            raise ConfigError("--duration needs --watch")

        run_guarded(refuse)
    run_guarded(
        lambda stop: run_run_command(
            config=config,
            destination=destination,
            connection=connection,
            watch=watch,
            duration=duration,
            stream_events=events,
            wait=wait,
            stop=stop,
        )  # fmt: skip
    )


@app.command()
def status(
    destination: DestinationOpt = None,
    connection: ConnectionOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Show the last runs, rows per table, cursors, and per sync the pending/failed/rejected."""
    from custify_sync.commands import run_status_command

    run_guarded(
        lambda stop: run_status_command(
            config=config, destination=destination, connection=connection
        )
    )


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="SQL to run; plain table names are the dataset's.")],
    output: Annotated[OutputFormat, typer.Option("--format", help="Output format.")] = (
        OutputFormat.table
    ),
    destination: DestinationOpt = None,
    connection: ConnectionOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Run a query in the connection's dataset (any destination) and print the result."""
    from custify_sync.commands import run_sql_command

    run_guarded(
        lambda stop: run_sql_command(
            config=config,
            query=query,
            output=output,
            destination=destination,
            connection=connection,
        )  # fmt: skip
    )


@app.command()
def forget(
    email: Annotated[str | None, typer.Option("--email", help="The person's e-mail.")] = None,
    user_id: Annotated[str | None, typer.Option("--user-id", help="The person's user_id.")] = None,
    id_: Annotated[str | None, typer.Option("--id", help="The person's Custify id.")] = None,
    yes: Annotated[
        bool, typer.Option("--yes", help="Really delete them in Custify and every table.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List the tables and rows it would change.")
    ] = False,
    destination: DestinationOpt = None,
    connection: ConnectionOpt = None,
    wait: WaitOpt = 0.0,
    config: ConfigOpt = None,
) -> None:
    """GDPR: delete one person in Custify and every trace of them in the warehouse."""
    from custify_sync.commands import run_forget_command
    from custify_sync.errors import fail

    given = {k: v for k, v in (("email", email), ("user_id", user_id), ("id", id_)) if v}
    if len(given) != 1:
        fail("forget needs exactly one of --email, --user-id or --id")
    ((by, value),) = given.items()
    run_guarded(
        lambda stop: run_forget_command(
            config=config,
            by=by,
            value=value,
            yes=yes,
            dry_run=dry_run,
            destination=destination,
            connection=connection,
            wait=wait,
        )  # fmt: skip
    )


@app.command("dbt-sources")
def dbt_sources(
    out: Annotated[
        Path | None, typer.Option("--out", help="Where to write sources.yml (default: stdout).")
    ] = None,
    destination: DestinationOpt = None,
    connection: ConnectionOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Write a dbt sources.yml for the connection's dataset: tables, columns, descriptions, tests."""
    from custify_sync.commands import run_dbt_sources_command

    run_guarded(
        lambda stop: run_dbt_sources_command(
            config=config, out=out, destination=destination, connection=connection
        )
    )


@app.command()
def sandbox(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0 picks a free one).")] = 8765,
    seed: Annotated[int, typer.Option(help="Seed of the generated data.")] = 0,
    scale: Annotated[float, typer.Option(help="1 = 200 companies, 1,000 people.")] = 1.0,
    latency_ms: Annotated[int, typer.Option(help="Latency added to every request.")] = 0,
    rate_limit: Annotated[
        int, typer.Option(help="Requests per 10-s window; 0 turns the limit off.")
    ] = 100,
    api_key: Annotated[
        str | None,
        typer.Option("--api-key", help="The key to accept (default: a fresh random one)."),
    ] = None,
    profile: Annotated[
        str | None, typer.Option(help="A named set of fault knobs, e.g. unknowns.")
    ] = None,
    idle_timeout: Annotated[
        float,
        typer.Option(min=0, help="Close keep-alive connections idle this many seconds (0: never)."),
    ] = 0.0,
) -> None:
    """Serve the offline Custify API on 127.0.0.1 until interrupted."""
    from custify_sync.commands import run_sandbox_command

    run_guarded(
        lambda stop: run_sandbox_command(
            port=port,
            seed=seed,
            scale=scale,
            latency_ms=latency_ms,
            rate_limit=rate_limit,
            api_key=api_key,
            profile=profile,
            idle_timeout_s=idle_timeout,
            stop=stop,
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

    run_guarded(lambda stop: run_demo(workdir=workdir, scale=scale, stop=stop))


def main() -> None:
    """The console entry point: usage errors are one ``error:`` line and exit code 2.

    Typer raises click's exceptions (from whichever click it ships with) when not in
    standalone mode; they are recognised by their interface, not their import path."""
    skip_final_collection()
    try:
        code = app(standalone_mode=False)
    except Exception as exc:
        code = _usage_error(exc)
    sys.exit(code if isinstance(code, int) else 0)


def _usage_error(exc: Exception) -> int:
    ctx = getattr(exc, "ctx", None)
    if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
        typer.echo(ctx.get_help())
        return EXIT_USAGE
    if type(exc).__name__ == "Abort":
        return 130
    if not hasattr(exc, "format_message") or not hasattr(exc, "exit_code"):
        raise exc
    hint = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
    typer.echo(f"error: {exc.format_message()}{hint}", err=True)
    return int(exc.exit_code) or EXIT_USAGE


if __name__ == "__main__":  # pragma: no cover
    main()
