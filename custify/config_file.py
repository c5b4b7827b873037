"""The shape of pipelines.toml: its top-level sections, the connection sections of ``[custify]``
and their typed options, and the refusal of secrets in a file that is committed to git.

Each section's owner checks its own keys (``[warehouse]``, ``[extract]``, ``[syncs.*]``,
``[watch]``); this module knows which sections exist and what a connection section holds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from custify.config_sources import did_you_mean, unknown_key
from custify.errors import ConfigError

DEFAULT_CONNECTION = "default"


def env_name(connection: str, suffix: str) -> str:
    """``CUSTIFY_API_KEY`` for the default connection, ``CUSTIFY_<NAME>_API_KEY`` otherwise."""
    if connection == DEFAULT_CONNECTION:
        return f"CUSTIFY_{suffix}"
    return f"CUSTIFY_{re.sub(r'[^A-Za-z0-9]', '_', connection).upper()}_{suffix}"


_SECRET_KEYS = re.compile(r"(api_?key|secret|token|password)", re.IGNORECASE)
_OPTIONS: dict[str, type] = {
    "base_url": str,
    "timeout_s": float,
    "connect_timeout_s": float,
    "rate_limit": int,
    "rate_window_s": float,
    "rate_safety_s": float,
    "max_retries": int,
    "max_backoff_s": float,
    "concurrency": int,
    "budget_path": Path,
    "budget_backend": str,
    "batch": str,
}
#: options only a named connection takes (the default connection's dataset is [warehouse]'s)
_NAMED_ONLY: dict[str, type] = {"dataset": str}
#: the top-level sections of pipelines.toml; each owner checks the keys of its own section
SECTIONS: dict[str, str] = {
    "custify": "Custify connections (custify.settings)",
    "warehouse": "destination, dataset, files (warehouse.config)",
    "extract": "extraction options (pipelines.options)",
    "syncs": "reverse-ETL syncs (reverse_etl.config)",
    "watch": "run --watch: poll budget, intervals, webhook (pipelines.watch.options)",
    "dagster": "Dagster schedules and runs (custify_sync.dagster)",
}
#: ``[dagster]`` keys and their types, checked at load even where Dagster is not installed
DAGSTER_OPTIONS: dict[str, type] = {
    "cron": str,  # every connection's schedule, default every 15 minutes
    "timezone": str,  # the schedule's, default UTC
    "lock_wait_s": float,  # seconds a run waits for the run lock another run holds
}
CONNECTION_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,39}$")


def connection_sections(doc: dict[str, Any], file: Path) -> dict[str, dict[str, Any]]:
    """``{name: options}`` for the default ``[custify]`` and each ``[custify.connections.*]``."""
    custify = doc.get("custify", {})
    if not isinstance(custify, dict):
        raise ConfigError(f"{file}: [custify] must be a table")
    named = custify.get("connections", {})
    if not isinstance(named, dict) or not all(isinstance(v, dict) for v in named.values()):
        raise ConfigError(f"{file}: [custify.connections.<name>] entries must be tables")
    for name in named:
        if not CONNECTION_NAME.match(name) or name == DEFAULT_CONNECTION:
            raise ConfigError(
                f"{file}: [custify.connections.{name}]: connection names start with a letter and "
                f"use letters, digits, '_' and '-' (at most 40), and may not be {DEFAULT_CONNECTION!r}"
            )
    out = {DEFAULT_CONNECTION: {k: v for k, v in custify.items() if k != "connections"}}
    out.update(named)
    return out


def section_label(name: str) -> str:
    return "[custify]" if name == DEFAULT_CONNECTION else f"[custify.connections.{name}]"


def connection_options(name: str, section: dict[str, Any], file: Path) -> dict[str, Any]:
    """Typed non-secret options of one section; a secret or an unknown key is refused."""
    known = {**_OPTIONS, **({} if name == DEFAULT_CONNECTION else _NAMED_ONLY)}
    out: dict[str, Any] = {}
    for key, value in section.items():
        where = f"{file} {section_label(name)}"
        if key == "dataset" and name == DEFAULT_CONNECTION:
            raise ConfigError(f"{where} dataset: the default connection's dataset is "
                              "[warehouse] dataset")  # fmt: skip
        if key not in known:
            raise unknown_key(where, key, known, "option")
        kind = known[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if kind is Path and isinstance(value, str):
            value = Path(value)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ConfigError(f"{where} {key}: expected {kind.__name__}, got {value!r}")
        out[key] = value
    return out


def refuse_secrets(sections: dict[str, dict[str, Any]], file: Path) -> None:
    """A key in pipelines.toml (committed to git) is refused at load, whatever connection."""
    for name, section in sections.items():
        for key in section:
            if _SECRET_KEYS.search(key):
                raise ConfigError(
                    f"{file} {section_label(name)} {key}: secrets do not belong in "
                    f"pipelines.toml; move it to .dlt/secrets.toml or the "
                    f"{env_name(name, 'API_KEY')} environment variable"
                )


def check_sections(doc: dict[str, Any], file: Path) -> None:
    for name, value in doc.items():
        if name not in SECTIONS:
            raise ConfigError(
                f"{file}: unknown section [{name}]{did_you_mean(name, SECTIONS)}; known: "
                + ", ".join(f"[{s}]" for s in SECTIONS)
            )
        if not isinstance(value, dict):
            raise ConfigError(f"{file}: `{name}` must be a table ([{name}])")
    dagster_options(doc, file)


def dagster_options(doc: Mapping[str, Any], file: Path | str = "pipelines.toml") -> dict[str, Any]:
    """The typed ``[dagster]`` options; an unknown key or a wrong type is one line."""
    out: dict[str, Any] = {}
    for key, value in (doc.get("dagster") or {}).items():
        if key not in DAGSTER_OPTIONS:
            raise unknown_key(f"{file} [dagster]", key, DAGSTER_OPTIONS, "option")
        kind = DAGSTER_OPTIONS[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ConfigError(f"{file} [dagster] {key}: expected {kind.__name__}, got {value!r}")
        out[key] = value
    return out
