"""``build_defs``: the project's ``dagster.Definitions``, one group per Custify connection.

Per connection: the extract's assets (``extract.py``), an asset per reverse-ETL sync with its
checks (``push.py``), a job of the whole group and its schedule (``[dagster] cron``, default
every 15 minutes; Dagster starts schedules stopped: turn them on in the UI or with
``dagster schedule start``). Every asset of a connection is in its pool (``naming.pool``).
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
from croniter import croniter  # type: ignore[import-untyped]

from custify.config_file import DEFAULT_CONNECTION, dagster_options
from custify.errors import ConfigError
from custify_sync.dagster import naming
from custify_sync.dagster.extract import extract_assets
from custify_sync.dagster.push import sync_assets
from custify_sync.project import Project, load_project
from pipelines import RunContext, custify_source
from reverse_etl.config import load_syncs

CONFIG_ENV = "CUSTIFY_SYNC_CONFIG"
DEFAULT_CRON = "*/15 * * * *"
#: a run waits this long for another run's lock; pools keep one account's runs apart, but
#: connections sharing one DuckDB file still take turns on it (DuckDB has one writer)
DEFAULT_LOCK_WAIT_S = 600.0


def config_path() -> Path:
    named = os.environ.get(CONFIG_ENV)
    return Path(named).expanduser() if named else Path.cwd() / "pipelines.toml"


def build_defs(config: Path | str | None = None) -> dg.Definitions:
    path = Path(config).absolute() if config else config_path().absolute()
    if not path.is_file():
        raise ConfigError(f"{path}: no pipelines.toml here; run from the project directory "
                          f"or set {CONFIG_ENV}")  # fmt: skip
    # step processes (multiprocess executor) load the definitions again: same file, any cwd
    os.environ.setdefault(CONFIG_ENV, str(path))
    project = load_project(path)
    options = dagster_options(project.raw, path)
    cron = options.get("cron", DEFAULT_CRON)
    if not croniter.is_valid(cron):
        raise ConfigError(f"{path} [dagster] cron: {cron!r} is not a cron expression")
    wait = options.get("lock_wait_s", DEFAULT_LOCK_WAIT_S)
    syncs = list(load_syncs(project.raw).values())
    # one source for every connection: it only names the resources (nothing runs, no client)
    source = custify_source(context=RunContext(None, options=project.options))
    assets: list[dg.AssetsDefinition | dg.AssetSpec] = []
    schedules = []
    for connection in connections(project):
        mine = [s for s in syncs if (s.connection or DEFAULT_CONNECTION) == connection]
        pushed, external = sync_assets(project, connection, mine, wait)
        assets += [extract_assets(project, connection, source, wait), *pushed, *external]
        job = dg.define_asset_job(
            naming.job_name(connection),
            selection=dg.AssetSelection.groups(naming.group(connection))
            - dg.AssetSelection.assets(*(spec.key for spec in external)),
            description=f"extract and push of Custify connection {connection}",
        )
        schedules.append(dg.ScheduleDefinition(
            name=naming.schedule_name(connection), job=job, cron_schedule=cron,
            execution_timezone=options.get("timezone", "UTC"),
        ))  # fmt: skip
    return dg.Definitions(assets=assets, schedules=schedules)


def connections(project: Project) -> list[str]:
    """Every named connection, and the default one when it is complete or the only one (a
    project of named connections only leaves ``[custify]`` without a key)."""
    settings = project.settings
    named = [n for n in settings.names if n != DEFAULT_CONNECTION]
    default_ok = DEFAULT_CONNECTION in settings.connections or not named
    chosen = [DEFAULT_CONNECTION, *named] if default_ok else named
    seen: dict[str, str] = {}
    for name in chosen:  # Dagster names allow [A-Za-z0-9_] only: `a-b` and `a_b` would clash
        other = seen.setdefault(naming.slug(name), name)
        if other != name:
            raise ConfigError(f"connections {other!r} and {name!r} have one Dagster name "
                              f"({naming.group(name)}); rename one of them")  # fmt: skip
    return chosen
