"""One project = one config file: its settings, warehouses and options, all checked at load.

A project is the directory of ``pipelines.toml`` (``-c FILE``; default the working directory).
Loading it reads every section once and refuses what nobody would read (a typo in any section
is exit 2 before anything is sent, whatever the command), resolves relative paths against the
project, puts every file the engine writes under ``<project>/.custify-sync`` and checks that no
two connections would share a dataset.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from custify.config_sources import did_you_mean
from custify.errors import ConfigError
from custify.settings import Settings, load_settings
from pipelines import ExtractOptions
from pipelines.watch.options import WatchOptions
from reverse_etl import load_syncs
from warehouse import WarehouseConfig, warehouse_config
from warehouse.config import check_disjoint


@dataclass(frozen=True)
class Project:
    settings: Settings
    #: the default connection's warehouse; ``warehouse_for`` derives the others from it
    warehouse: WarehouseConfig
    options: ExtractOptions

    def warehouse_for(self, connection: str | None) -> WarehouseConfig:
        name = connection or self.settings.default
        return self.warehouse.for_connection(name, self.settings.datasets.get(name))

    @property
    def raw(self) -> dict[str, Any]:
        return self.settings.raw


def load_project(
    config: Path | None,
    *,
    destination: str | None = None,
    connection: str | None = None,
    needs_key: bool = True,
) -> Project:
    """Load and check the whole project; ``connection`` must then be declared, and complete
    (its API key found) unless ``needs_key`` is False (commands that only read the warehouse)."""
    config_file = (config or Path("pipelines.toml")).absolute()
    # dlt resolves destination credentials from ``.dlt`` of its project dir: the same folder
    # custify-sync reads its secrets from (set before dlt first reads its configuration)
    os.environ.setdefault("DLT_PROJECT_DIR", str(config_file.parent))
    settings = load_settings(config_file, required=config is not None)
    base = warehouse_config(settings.raw, destination=destination,
                            base_dir=settings.project_dir, state_dir=settings.state_dir)  # fmt: skip
    project = Project(settings, base, ExtractOptions.from_raw(settings.raw))
    WatchOptions.from_raw(settings.raw)  # a typo in [watch] fails every command, as others do
    for sync in load_syncs(settings.raw).values():
        if sync.connection is not None and sync.connection not in settings.names:
            raise ConfigError(
                f"{sync.where('connection')}: unknown connection `{sync.connection}`"
                f"{did_you_mean(sync.connection, settings.names)}; declare it as "
                f"[custify.connections.{sync.connection}] in {settings.config_file}"
            )
    check_disjoint([project.warehouse_for(name) for name in settings.names])
    if connection is not None and (needs_key or connection not in settings.names):
        settings.connection(connection)
    return project
