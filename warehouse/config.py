"""Which warehouse to use, from ``[warehouse]`` in pipelines.toml, a CLI flag and the environment.

Secrets (a Postgres password, Snowflake credentials) never live in pipelines.toml: they come
through dlt's usual providers (``.dlt/secrets.toml`` or ``DESTINATION__<NAME>__CREDENTIALS``),
so a user configures the destination exactly as dlt documents it.
"""

from __future__ import annotations

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


@dataclass(frozen=True)
class WarehouseConfig:
    destination: str = "duckdb"
    dataset: str = "custify"
    duckdb_path: Path = Path("custify.duckdb")
    #: dlt credentials (DSN string or dict); None = let dlt resolve them from its providers
    credentials: Any = None
    pipeline_name: str = "custify"
    #: dlt's working directory (pipeline state, load packages); None = dlt's default
    pipelines_dir: Path | None = None

    def __post_init__(self) -> None:
        if self.destination not in DESTINATIONS:
            raise WarehouseConfigError(
                f"unknown destination {self.destination!r}; use one of {', '.join(DESTINATIONS)} "
                "([warehouse] destination in pipelines.toml or --destination)"
            )
        check_identifier(self.dataset, "[warehouse] dataset")
        check_identifier(self.pipeline_name, "[warehouse] pipeline_name")

    def __repr__(self) -> str:  # credentials may hold a password: never show them
        creds = "set" if self.credentials else "from dlt providers"
        return (
            f"WarehouseConfig(destination={self.destination!r}, dataset={self.dataset!r}, "
            f"duckdb_path={str(self.duckdb_path)!r}, credentials={creds})"
        )

    def with_(self, **changes: Any) -> WarehouseConfig:
        return replace(self, **changes)


def warehouse_config(
    raw: Mapping[str, Any] | None = None,
    *,
    destination: str | None = None,
    env: Mapping[str, str] = os.environ,
    base_dir: Path | None = None,
) -> WarehouseConfig:
    """Build the config from the parsed pipelines.toml (``raw``), a CLI override and env.

    ``CUSTIFY_DESTINATION`` and ``CUSTIFY_DUCKDB_PATH`` override the file; ``--destination``
    overrides both.
    """
    section = dict((raw or {}).get("warehouse", {}))
    dest = destination or env.get("CUSTIFY_DESTINATION") or section.get("destination", "duckdb")
    path = Path(env.get("CUSTIFY_DUCKDB_PATH") or section.get("duckdb_path", "custify.duckdb"))
    if base_dir is not None and not path.is_absolute():
        path = base_dir / path
    pipelines_dir = section.get("pipelines_dir")
    return WarehouseConfig(
        destination=dest,
        dataset=section.get("dataset", "custify"),
        duckdb_path=path,
        pipeline_name=section.get("pipeline_name", "custify"),
        pipelines_dir=Path(pipelines_dir) if pipelines_dir else None,
    )
