"""Which warehouse to use, from ``[warehouse]`` in pipelines.toml, a CLI flag and the environment.

Secrets (a Postgres password, Snowflake credentials) never live in pipelines.toml: they come
through dlt's usual providers (``.dlt/secrets.toml`` or ``DESTINATION__<NAME>__CREDENTIALS``),
so a user configures the destination exactly as dlt documents it.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

DESTINATIONS = ("duckdb", "postgres", "snowflake")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


class WarehouseConfigError(ValueError):
    """A warehouse setting is wrong; the message names the key to fix."""


def check_identifier(name: str, what: str) -> str:
    """Refuse table, schema and column names that would need quoting tricks (SQL injection)."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise WarehouseConfigError(
            f"{what} {name!r} is not a valid name: use letters, digits and underscores, "
            "starting with a letter or underscore, at most 63 characters"
        )
    return name


#: the keys of ``[warehouse]`` (anything else is a typo: refused with the closest name)
WAREHOUSE_KEYS = ("destination", "duckdb_path", "dataset", "state_dir", "pipelines_dir",
                  "pipeline_name", "duckdb_memory_limit")  # fmt: skip
DEFAULT_DATASET = "custify"
DEFAULT_PIPELINE = "custify"
DEFAULT_CONNECTION = "default"
#: DuckDB's memory for dlt's load (the merge of a first load of 1,000,000 people took 870 MB of
#: the process with DuckDB's own default, 80 % of RAM; DuckDB spills to disk beyond the limit),
#: so a run fits the 512 MB-1 GB containers scheduled jobs get: with one DuckDB thread, 96 MB
#: keeps that load's peak within 1.5x of a 10,000-row run's (bench/README.md, benchmark 5).
#: "" = DuckDB's default.
DEFAULT_DUCKDB_MEMORY = "96MB"
_SIZE = re.compile(r"^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$", re.IGNORECASE)
#: dlt's merge staging dataset of ``custify`` would be ``custify_staging`` by default, which is
#: exactly a connection named ``staging``'s dataset; a leading underscore keeps the two apart
#: (connection datasets start with a letter) and ``check_disjoint`` refuses any clash left
STAGING_LAYOUT = "_%s_staging"


@dataclass(frozen=True)
class WarehouseConfig:
    destination: str = "duckdb"
    dataset: str = DEFAULT_DATASET
    duckdb_path: Path = Path("custify.duckdb")
    #: dlt credentials (DSN string or dict); None = let dlt resolve them from its providers
    credentials: Any = None
    pipeline_name: str = DEFAULT_PIPELINE
    #: dlt's working directory (pipeline state, load packages); None = dlt's default
    pipelines_dir: Path | None = None
    #: the Custify connection whose data this dataset holds
    connection: str = DEFAULT_CONNECTION
    #: where the engine keeps files of its own (locks of non-file warehouses); None = none
    state_dir: Path | None = None
    #: DuckDB's ``memory_limit`` while dlt loads (``DEFAULT_DUCKDB_MEMORY``)
    duckdb_memory_limit: str = DEFAULT_DUCKDB_MEMORY

    def __post_init__(self) -> None:
        if self.destination not in DESTINATIONS:
            raise WarehouseConfigError(
                f"unknown destination {self.destination!r}; use one of {', '.join(DESTINATIONS)} "
                "([warehouse] destination in pipelines.toml or --destination)"
            )
        check_identifier(self.dataset, "[warehouse] dataset")
        check_identifier(self.pipeline_name, "[warehouse] pipeline_name")
        limit = self.duckdb_memory_limit
        if not isinstance(limit, str) or (limit and not _SIZE.match(limit.strip())):
            raise WarehouseConfigError(
                f'[warehouse] duckdb_memory_limit: expected a size such as "256MB" or "2GB" '
                f'(or "" for DuckDB\'s default), got {limit!r}'
            )

    def __repr__(self) -> str:  # credentials may hold a password: never show them
        creds = "set" if self.credentials else "from dlt providers"
        return (
            f"WarehouseConfig(destination={self.destination!r}, dataset={self.dataset!r}, "
            f"duckdb_path={str(self.duckdb_path)!r}, credentials={creds})"
        )

    def with_(self, **changes: Any) -> WarehouseConfig:
        return replace(self, **changes)

    @property
    def staging_dataset(self) -> str:
        """dlt's merge staging dataset for this dataset (``STAGING_LAYOUT``)."""
        return STAGING_LAYOUT % self.dataset

    @property
    def schemas(self) -> tuple[str, ...]:
        """Every schema (dataset) this connection's runs write to."""
        return (self.dataset, self.staging_dataset)

    def for_connection(self, name: str | None, dataset: str | None = None) -> WarehouseConfig:
        """The config of connection ``name``: its own dataset and pipeline (so its own dlt
        state, cursors, ledger and trigger events); the default connection keeps this one."""
        if name is None or name == DEFAULT_CONNECTION:
            return self
        slug = re.sub(r"[^A-Za-z0-9_]", "_", name).lower()
        return replace(
            self,
            connection=name,
            dataset=dataset or f"{self.dataset}_{slug}",
            pipeline_name=f"{self.pipeline_name}_{slug}",
        )


def check_disjoint(configs: list[WarehouseConfig]) -> None:
    """No two connections may share a dataset, or one's staging dataset be another's data."""
    owner: dict[str, str] = {}
    for cfg in configs:
        for schema in cfg.schemas:
            key = schema.lower()
            if key in owner and owner[key] != cfg.connection:
                raise WarehouseConfigError(
                    f"connections {owner[key]!r} and {cfg.connection!r} would both write to "
                    f"dataset {schema!r}; give one of them its own "
                    f"[custify.connections.<name>] dataset"
                )
            owner[key] = cfg.connection


def warehouse_config(
    raw: Mapping[str, Any] | None = None,
    *,
    destination: str | None = None,
    env: Mapping[str, str] = os.environ,
    base_dir: Path | None = None,
    state_dir: Path | None = None,
) -> WarehouseConfig:
    """The default connection's config from the parsed pipelines.toml (``raw``), a CLI override
    and env. ``CUSTIFY_DESTINATION`` and ``CUSTIFY_DUCKDB_PATH`` override the file;
    ``--destination`` overrides both. Relative paths resolve against ``base_dir`` (the project
    directory: the config file's); dlt's working directory is ``<state_dir>/dlt`` unless
    ``DLT_DATA_DIR`` or ``[warehouse] pipelines_dir`` says otherwise.
    """
    section = dict((raw or {}).get("warehouse", {}))
    for key in section:
        if key not in WAREHOUSE_KEYS:
            close = difflib.get_close_matches(key, WAREHOUSE_KEYS, n=1, cutoff=0.6)
            hint = f" (did you mean `{close[0]}`?)" if close else ""
            raise WarehouseConfigError(
                f"[warehouse] {key}: unknown key{hint}; known: {', '.join(sorted(WAREHOUSE_KEYS))}"
            )
    dest = destination or env.get("CUSTIFY_DESTINATION") or section.get("destination", "duckdb")
    path = _path(env.get("CUSTIFY_DUCKDB_PATH") or section.get("duckdb_path", "custify.duckdb"),
                 base_dir, "duckdb_path")  # fmt: skip
    if state_dir is None and base_dir is not None:
        state_dir = base_dir / ".custify-sync"
    pipelines_dir = None
    if section.get("pipelines_dir"):
        pipelines_dir = _path(section["pipelines_dir"], base_dir, "pipelines_dir")
    elif state_dir is not None and not env.get("DLT_DATA_DIR"):
        pipelines_dir = state_dir / "dlt"
    return WarehouseConfig(
        destination=dest,
        dataset=section.get("dataset", DEFAULT_DATASET),
        duckdb_path=path,
        pipeline_name=section.get("pipeline_name", DEFAULT_PIPELINE),
        pipelines_dir=pipelines_dir,
        state_dir=state_dir,
        duckdb_memory_limit=section.get("duckdb_memory_limit", DEFAULT_DUCKDB_MEMORY),
    )


def _path(value: Any, base_dir: Path | None, key: str) -> Path:
    if not isinstance(value, str | Path) or not str(value):
        raise WarehouseConfigError(f"[warehouse] {key}: expected a path, got {value!r}")
    path = Path(value).expanduser()
    return path if path.is_absolute() or base_dir is None else base_dir / path
