"""Typed readers for the values of a ``[syncs.<name>]`` section (each error names its key).

Apart from ``config.parse`` so that module keeps to what a sync means; these only say what a
well-formed value looks like.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TypedDict

from models.registry import Action
from models.types import FieldType
from reverse_etl.config.errors import SyncConfigError

NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
QUALIFIED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$")


def choice(where: str, section: dict, key: str, allowed: tuple[str, ...], default: str) -> str:
    value = section.get(key, default)
    if value not in allowed:
        raise SyncConfigError(f"{where} {key}: {value!r} is not one of {', '.join(allowed)}")
    return value


def opt_str(where: str, section: dict, key: str) -> str | None:
    value = section.get(key)
    if value is not None and (not isinstance(value, str) or not value):
        raise SyncConfigError(f"{where} {key}: expected a non-empty string")
    return value


def flag(where: str, section: dict, key: str, default: bool) -> bool:
    value = section.get(key, default)
    if not isinstance(value, bool):
        raise SyncConfigError(f"{where} {key}: expected true or false, got {value!r}")
    return value


def number(where: str, section: dict, key: str, default: float, lo: float, hi: float) -> float:
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
        raise SyncConfigError(f"{where} {key}: expected a number from {lo:g} to {hi:g}")
    return float(value)


def column(where: str, section: dict, key: str) -> str | None:
    value = section.get(key)
    if value is not None and (not isinstance(value, str) or not NAME.match(value)):
        raise SyncConfigError(f"{where} {key}: {value!r} is not a valid column name")
    return value


def key_column_names(where: str, section: dict) -> tuple[str, ...]:
    value = section.get("key", [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and NAME.match(v) for v in value):
        raise SyncConfigError(f"{where} key: expected a list of column names")
    return tuple(value)


def files_dir(where: str, section: dict, action: Action) -> Path | None:
    """The directory uploads are confined to: required by actions with a FILE field."""
    value = section.get("files_dir")
    needs = any(t is FieldType.FILE for t in action.body.values())
    if value is None:
        if needs:
            raise SyncConfigError(
                f"{where} files_dir: {action.name} uploads local files; set the directory every "
                "path must stay inside"
            )
        return None
    if not needs:
        raise SyncConfigError(f"{where} files_dir: {action.name} uploads no files")
    if not isinstance(value, str) or not value:
        raise SyncConfigError(f"{where} files_dir: expected a directory path")
    path = Path(value).expanduser().resolve()
    if not path.is_dir():
        raise SyncConfigError(f"{where} files_dir: {value!r} is not a directory")
    return path


class Source(TypedDict):
    """The one source a sync reads (the other two are None)."""

    table: str | None
    query: str | None
    diff_table: str | None


def source(where: str, section: dict) -> Source:
    given = {k: section.get(k) for k in ("table", "query", "diff_table") if section.get(k)}
    if len(given) != 1:
        raise SyncConfigError(f"{where}: give exactly one source: table, query or diff_table")
    ((key, value),) = given.items()
    if not isinstance(value, str):
        raise SyncConfigError(f"{where} {key}: expected a string")
    if key != "query" and not QUALIFIED.match(value):
        raise SyncConfigError(
            f"{where} {key}: {value!r} is not a table name (letters, digits, underscores; "
            "optionally schema.table)"
        )
    return Source(table=given.get("table"), query=given.get("query"),
                  diff_table=given.get("diff_table"))  # fmt: skip


def sync_names(where: str, section: dict, key: str) -> tuple[str, ...]:
    """A list of sync names (``after``); whether they exist is checked across all syncs."""
    value = section.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and NAME.match(v) for v in value):
        raise SyncConfigError(f"{where} {key}: expected a list of sync names")
    return tuple(dict.fromkeys(value))
