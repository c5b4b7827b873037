"""Read what Custify should hold from the warehouse and rename it to Custify's field paths.

The source is a table, a view or a query the analytics engineer owns; the only contract is
its columns. Every column must land on a field (or be the delete flag / an event key column),
so a renamed or misspelt column fails the sync before anything of it is sent
(``SyncSourceError``), not a field that silently stops syncing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import polars as pl

from models.types import FieldType
from reverse_etl.config import (
    TAG_FIELDS,
    Kind,
    SyncConfig,
    SyncConfigError,
    SyncSourceError,
    resolve_target,
)
from reverse_etl.config.fields import Field, request_names
from warehouse import Warehouse, WarehouseUnavailable

log = logging.getLogger("reverse_etl")
ROW = "__row"
DELETE = "__delete"
KEY_PREFIX = "__keycol_"


@dataclass
class Desired:
    """The source rows renamed to target paths, and the ``Field`` of each target column."""

    frame: pl.DataFrame
    fields: dict[str, Field]


def read_source(wh: Warehouse, cfg: SyncConfig) -> pl.DataFrame:
    """Run the sync's table or query; a failure names the key (``table`` / ``query``)."""
    key = "table" if cfg.table else "query"
    if cfg.table and "." not in cfg.table and not wh.table_exists(cfg.table):
        raise SyncSourceError(
            f"{cfg.where('table')}: table {cfg.table!r} does not exist in dataset "
            f"{wh.cfg.dataset!r}"
        )
    try:
        return wh.query_df(source_sql(wh, cfg))
    except WarehouseUnavailable:
        raise
    except Exception as exc:  # a SQL error in the user's query: say which sync and why
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SyncSourceError(f"{cfg.where(key)}: the source failed: {reason[:300]}") from None


def load_desired(wh: Warehouse, cfg: SyncConfig) -> Desired:
    return map_columns(cfg, without_forgotten(wh, read_source(wh, cfg)))


def without_forgotten(wh: Warehouse, raw: pl.DataFrame) -> pl.DataFrame:
    """Rows naming a person ``custify-sync forget`` removed (any text cell holding their
    id, e-mail or user_id) are never sent: the source may still hold them."""
    from warehouse import forgotten

    with wh.client() as client:
        stones = forgotten.load(client)
    kept, dropped = forgotten.drop_rows(raw, stones)
    if dropped:
        log.info("%d source rows name forgotten people: not sent", dropped)
    return kept


def map_columns(cfg: SyncConfig, raw: pl.DataFrame) -> Desired:
    """Rename source columns to target paths and check the identifier and required fields."""
    by_lower = {c.lower(): c for c in raw.columns}
    mapping = cfg.mapping or _identity(cfg, raw.columns)
    exprs: list[pl.Expr] = [pl.int_range(pl.len(), dtype=pl.Int64).alias(ROW)]
    fields: dict[str, Field] = {}
    for column, target in mapping.items():
        actual = by_lower.get(column.lower())
        if actual is None:
            raise SyncSourceError(
                f"{cfg.where('mapping')} {column}: unknown column {column!r} in the source; "
                f"columns: {', '.join(raw.columns) or 'none'}"
            )
        fields[target] = cfg.fields.get(target) or resolve_target(cfg, target, cfg.where(column))
        exprs.append(pl.col(actual).alias(target))
    for extra, role, alias in _extra_columns(cfg):
        actual = by_lower.get(extra.lower())
        if actual is None:
            raise SyncSourceError(f"{cfg.where(role)}: unknown column {extra!r} in the source")
        exprs.append(pl.col(actual).alias(alias))
    frame = raw.select(exprs)
    frame, fields = _expand_objects(cfg, frame, fields)
    _check_required(cfg, fields)
    return Desired(frame, fields)


def _extra_columns(cfg: SyncConfig) -> list[tuple[str, str, str]]:
    """Columns that are not fields: (column, config key naming it, alias in the frame)."""
    extra = [(c, "key", KEY_PREFIX + c) for c in cfg.key]
    if cfg.delete_flag:
        extra.append((cfg.delete_flag, "delete_flag", DELETE))
    return extra


def _identity(cfg: SyncConfig, columns: list[str]) -> dict[str, str]:
    """No mapping: columns named like fields (``custom_attributes__x`` for attributes)."""
    skip = {c.lower() for c in cfg.key} | ({cfg.delete_flag.lower()} if cfg.delete_flag else set())
    spelled = _field_names(cfg)
    out: dict[str, str] = {}
    for column in columns:
        if column.lower() in skip:
            continue
        target = spelled.get(column.lower(), column)
        if "__" in column and cfg.kind != Kind.TAG:
            top, _, sub = column.partition("__")
            target = f"{spelled.get(top.lower(), top)}.{sub}"
        if cfg.kind == Kind.TAG and target not in (cfg.match, *TAG_FIELDS):
            target = ""
        try:
            if not target:
                raise SyncConfigError("not a tag field")
            resolve_target(cfg, target, "")
        except SyncConfigError:
            raise SyncSourceError(
                f"{cfg.where()}: source column {column!r} is not a field of {cfg.action.name}; "
                f"map it in [syncs.{cfg.name}.mapping] or leave it out of the source"
            ) from None
        out[column] = target
    return out


def _field_names(cfg: SyncConfig) -> dict[str, str]:
    """Lower-cased name -> Custify's spelling: warehouses that fold unquoted or created names
    to lower case (Postgres) still land ``externalId`` on ``externalId``."""
    act, obj = cfg.action, cfg.object
    names = [*act.body, *request_names(act), *(r.column for r in act.refs), *obj.find_by,
             *cfg.target.find_by, *TAG_FIELDS,
             *(w for f in obj.find_by.values() for w in f.within)]  # fmt: skip
    return {n.lower(): n for n in names}


def _expand_objects(
    cfg: SyncConfig, frame: pl.DataFrame, fields: dict[str, Field]
) -> tuple[pl.DataFrame, dict[str, Field]]:
    """A struct or JSON column mapped to ``custom_attributes`` becomes one column per key."""
    for path, fld in list(fields.items()):
        if fld.ftype is not FieldType.ATTRIBUTES:
            continue
        col = frame.get_column(path)
        if col.dtype == pl.String:
            col = col.str.json_decode(infer_schema_length=None)
        if not isinstance(col.dtype, pl.Struct):
            raise SyncSourceError(
                f"{cfg.where('mapping')}: the column mapped to {path} must be a struct or JSON "
                f"object, not {col.dtype}"
            )
        parts = col.struct.unnest()
        renamed = {name: f"{path}.{name}" for name in parts.columns}
        del fields[path]
        for target in renamed.values():
            if target in fields:
                raise SyncSourceError(f"{cfg.where('mapping')}: {target} is mapped twice")
            fields[target] = resolve_target(cfg, target, cfg.where("mapping"))
        frame = pl.concat([frame.drop(path), parts.rename(renamed)], how="horizontal")
    return frame, fields


def _check_required(cfg: SyncConfig, fields: dict[str, Field]) -> None:
    """The identifier and the action's required fields must come from some column (a required
    field may also come from a reference column the engine resolves, e.g. a note's
    ``company_id`` fills ``entity`` and ``entityModel``)."""
    if cfg.diff_table:
        return
    needed = [cfg.match] if cfg.match else []
    if cfg.kind == Kind.TAG:
        needed.append("tag")
    elif cfg.kind == Kind.RECORD or cfg.kind == Kind.APPEND:
        needed += [f for f in cfg.action.required if f not in needed]
    refs = [r for r in cfg.action.refs if r.column in fields]
    resolved = set() if cfg.native_match else {i.name for i in cfg.action.identifiers}
    for name in needed:
        if (
            name in fields
            or name in resolved
            or any(name == r.field or name in r.sets for r in refs)
        ):
            continue
        raise SyncSourceError(
            f"{cfg.where('match' if name == cfg.match else 'mapping')}: no source column "
            f"maps to {name!r}, which {cfg.action.name} needs"
        )


def qualified(wh: Warehouse, name: str) -> str:
    """``table`` in the dataset, or ``schema.table`` elsewhere, both parts quoted."""
    if "." in name:
        schema, table = name.split(".", 1)
        return f"{wh.quote(schema)}.{wh.quote(table)}"
    return wh.table(name)


def source_sql(wh: Warehouse, cfg: SyncConfig) -> str:
    if cfg.query:
        return cfg.query
    return f"SELECT * FROM {qualified(wh, cfg.table or cfg.diff_table or '')}"
