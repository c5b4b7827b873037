"""Identifier resolution: rows name records the way the user knows them, requests need ids.

A note names its company by Custify id (``entity``), a comment its task, a file upload its
person; a task update needs the task's ``_id``. Rows may give the user's own identifiers
instead (``company_id``, ``user_id``, ``email``, ``externalId``, a tag's name): the registry's
``Ref`` rows say which column fills which request field, and ``find_by`` how the record is
found (``identify.records``). Three kinds of lookups run here, all set-based per distinct value:

- **refs** of the action (``Action.refs``): fill the request field and its companions
  (``entityModel``); a value that finds nothing, or several records, rejects the row;
- **match resolution**: a sync matched on an identifier the action does not take (a task
  update by ``externalId``, a tag delete by name) gets the id the action needs; for upserts
  "nothing found" means create, for deletes "already gone". Deletes, and updates and gets
  whose identifier may name several records (``models.registry.resolves_first``: people by
  e-mail or user_id), resolve to ONE id first and the request names the record by it;
  several records = rejected with all their ids, nothing sent;
- **existence checks**: an update, reply or delete whose identifier names nothing (a ticket
  update for an unknown externalId) is rejected or skipped before anything is sent, when the
  extract or a cheap lookup can tell (a get per row is not spent just to check).

Rejected rows keep their reason for ``<sync>__rejected``; the rest of the run continues.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

import polars as pl

from models.registry import REGISTRY, Ref, resolves_first
from models.types import ActionKind
from reverse_etl.config import Kind, SyncConfig, resolve_target
from reverse_etl.diff.payload import stable_hash
from reverse_etl.engine.context import Context
from reverse_etl.identify import records
from reverse_etl.ledger import rows as ledger_rows
from reverse_etl.ledger.schemas import GONE, REJECTED_SCHEMA, ROW_HASH
from reverse_etl.source.desired import ROW, Desired

REASON = "reason"


@dataclass(frozen=True)
class Lookup:
    ref: Ref
    #: write the found value into ``ref.field`` (False: only check that the record exists)
    fill: bool = True
    #: what a value that finds nothing means: reject the row, create, or "already gone"
    missing: str = "reject"
    #: ask Custify for values the extract and snapshot lack (False: only the warehouse)
    remote: bool = True


def lookups_for(ctx: Context, cfg: SyncConfig, fields: dict) -> list[Lookup]:
    out: list[Lookup] = []
    if cfg.match and cfg.kind != Kind.TAG and cfg.match in fields:
        out += _match_lookup(ctx, cfg)
    for ref in cfg.action.refs:
        if ref.column in fields and all(k in fields for k in ref.when):
            out.append(Lookup(ref))
    return out


def _match_lookup(ctx: Context, cfg: SyncConfig) -> list[Lookup]:
    target, match = cfg.target, cfg.match or ""
    gone = "gone" if cfg.kind == Kind.DELETE else "reject"
    if not cfg.native_match:
        ident = id_identifier(cfg)
        missing = "create" if cfg.action.kind is ActionKind.UPSERT else gone
        return [Lookup(Ref(match, ident, target.name, match), missing=missing)]
    checks = cfg.kind in (Kind.DELETE, Kind.GET, Kind.APPEND) or (
        cfg.action.kind is ActionKind.UPDATE
    )
    finder = target.find_by.get(match)
    if not checks or finder is None:
        return []
    has_extract = target.extracted and ctx.wh.table_exists(target.name)
    cheap = finder.how != "get" and not cfg.action.batch_job and cfg.kind != Kind.GET
    if not (has_extract or cheap):
        return []
    ref = Ref(match, match, target.name, match, take=finder.field)
    return [Lookup(ref, fill=False, missing=gone, remote=cheap)]


def id_identifier(cfg: SyncConfig) -> str:
    """The internal-id identifier a non-native match resolves to (``_id`` for task updates)."""
    names = [i.name for i in cfg.action.identifiers]
    return next((n for n in ("_id", "id") if n in names), names[0] if names else "id")


def resolve_rows(ctx: Context, cfg: SyncConfig, desired: Desired) -> tuple[Desired, pl.DataFrame]:
    """Rows with their references resolved, and the rows rejected with a reason."""
    fields = dict(desired.fields)
    frame = desired.frame.with_columns(
        pl.lit(None, dtype=pl.String).alias(REASON), pl.lit(False).alias(GONE)
    )
    lookups = lookups_for(ctx, cfg, fields)
    filled: dict[str, pl.Series] = {}
    for lookup in lookups:
        frame = _apply(ctx, cfg, lookup, frame, fields, filled)
    frame = _required(cfg, frame, fields, lookups)
    bad = frame.filter(pl.col(REASON).is_not_null()).drop(GONE)
    good = frame.filter(pl.col(REASON).is_null()).drop(REASON)
    return Desired(good, fields), bad


def _apply(
    ctx: Context,
    cfg: SyncConfig,
    lookup: Lookup,
    frame: pl.DataFrame,
    fields: dict,
    filled: dict[str, pl.Series],
) -> pl.DataFrame:
    ref = lookup.ref
    obj = REGISTRY[ref.object]
    within = _within(obj, ref, frame)
    value = pl.col(ref.column).cast(pl.String)
    if within:
        narrow = [pl.col(w).cast(pl.String).fill_null("") for w in within]
        value = pl.concat_str([value, *narrow], separator=records.SEP)
    cond = value.is_not_null() & pl.col(REASON).is_null()
    for key, wanted in ref.when.items():
        cond = cond & (pl.col(key).cast(pl.String) == wanted).fill_null(False)
    if ref.field in filled:
        cond = cond & ~pl.lit(filled[ref.field])
    applies = frame.select(cond.fill_null(False).cast(pl.Boolean).alias("c")).get_column("c")
    values = frame.filter(applies).select(value.alias("v")).get_column("v").unique().to_list()
    found = records.find(ctx, cfg, obj, ref.by, ref.take, values, lookup.remote, within,
                         count_all=lookup.fill)  # fmt: skip
    frame = frame.with_columns(_outcome(lookup, found, value, applies))
    if lookup.fill:
        frame = _fill(cfg, lookup, found, frame, fields, applies, value)
        before = filled.get(ref.field, pl.Series([False] * frame.height, dtype=pl.Boolean))
        filled[ref.field] = applies | before
    return frame


def _within(obj: object, ref: Ref, frame: pl.DataFrame) -> tuple[str, ...]:
    """Narrowing fields of the finder the row carries (a tag's category)."""
    finder = getattr(obj, "find_by", {}).get(ref.by)
    within = finder.within if finder is not None else ()
    return within if within and all(w in frame.columns for w in within) else ()


def _outcome(
    lookup: Lookup, found: dict[str, list[str]], value: pl.Expr, applies: pl.Series
) -> list[pl.Expr]:
    """The row's reason (nothing / several found) and whether it is already gone."""
    ref = lookup.ref
    many = {v: f"{len(ids)} {ref.object} records have {ref.by}" for v, ids in found.items()
            if len(ids) > 1}  # fmt: skip
    listed = {v: ", ".join(sorted(ids)) for v, ids in found.items() if len(ids) > 1}
    none = [v for v, ids in found.items() if not ids] if lookup.remote else []
    if not lookup.remote and lookup.missing == "gone":
        none = [v for v, ids in found.items() if not ids]
    on = pl.lit(applies)
    count = value.replace_strict(many, default=None, return_dtype=pl.String)
    ids = value.replace_strict(listed, default=None, return_dtype=pl.String)
    shown = value.str.strip_suffix(records.SEP).str.replace_all(records.SEP, " in ", literal=True)
    reason = (
        pl.when(on & count.is_not_null())
        .then(pl.format(f"{ref.column}: {{}} '{{}}' (ids {{}}); nothing was sent: name one of "
                        "them by its Custify id", count, shown, ids))
        .when(on & value.is_in(none) & pl.lit(lookup.missing == "reject"))
        .then(pl.format(f"{ref.column}: no {ref.object} record with {ref.by} '{{}}' in Custify",
                        shown))
    )  # fmt: skip
    gone = on & value.is_in(none) & pl.lit(lookup.missing == "gone")
    return [
        pl.coalesce(pl.col(REASON), reason).alias(REASON),
        (pl.col(GONE) | gone.fill_null(False)).alias(GONE),
    ]


def _fill(
    cfg: SyncConfig,
    lookup: Lookup,
    found: dict[str, list[str]],
    frame: pl.DataFrame,
    fields: dict,
    applies: pl.Series,
    value: pl.Expr,
) -> pl.DataFrame:
    """Write the found value into the request field and add the ref's companion fields."""
    ref = lookup.ref
    single = {v: ids[0] for v, ids in found.items() if len(ids) == 1}
    if ref.by == ref.take:  # an id nothing could check passes as given; Custify judges it
        single.update({v: v for v in _values(frame, value, applies) if v not in found})
    got = value.replace_strict(single, default=None, return_dtype=pl.String)
    on = pl.lit(applies) & got.is_not_null()
    before = pl.col(ref.field).cast(pl.String) if ref.field in frame.columns else pl.lit(None)
    updates = [pl.when(on).then(got).otherwise(before).cast(pl.String).alias(ref.field)]
    for key, constant in ref.sets.items():
        old = pl.col(key).cast(pl.String) if key in frame.columns else pl.lit(None)
        updates.append(
            pl.when(pl.lit(applies)).then(pl.lit(constant)).otherwise(old).cast(pl.String)
            .alias(key)
        )  # fmt: skip
    for name in (ref.field, *ref.sets):
        if name not in fields:
            fields[name] = resolve_target(cfg, name, cfg.where("mapping"))
    idents = {i.name for i in cfg.action.identifiers}
    if ref.column != ref.field and {ref.column, ref.field} <= idents and ref.column in fields:
        # the found id names the record now (DELETE /people/{id}, never ?email=)
        fields[ref.column] = replace(fields[ref.column], send=False)
    return frame.with_columns(updates)


def _values(frame: pl.DataFrame, value: pl.Expr, applies: pl.Series) -> list[str]:
    return frame.filter(applies).select(value.alias("v")).get_column("v").drop_nulls().to_list()


def _required(cfg: SyncConfig, frame: pl.DataFrame, fields: dict, lookups: list) -> pl.DataFrame:
    """Required fields that refs fill: a row still without one names no record at all."""
    by_field: dict[str, list[str]] = {}
    for lookup in lookups:
        for name in (lookup.ref.field, *lookup.ref.sets):
            by_field.setdefault(name, []).append(lookup.ref.column)
    for name in cfg.action.required:
        if name not in by_field or name not in frame.columns:
            continue
        columns = ", ".join(dict.fromkeys(by_field[name]))
        missing = pl.col(name).is_null() & pl.col(REASON).is_null()
        frame = frame.with_columns(
            pl.when(missing)
            .then(pl.lit(f"{name}: is required; give it or name the record by {columns}"))
            .otherwise(pl.col(REASON))
            .alias(REASON)
        )
    return frame


def with_row_hash(desired: Desired) -> Desired:
    """Hash of the row as the source gave it, before resolution: when this sync confirmed a
    row with the same hash, its confirmed payload is reused and nothing is looked up again
    (so a push with no data change costs no request, lookups included)."""
    columns = [c for c in desired.frame.columns if c != ROW]
    if columns:
        text = pl.struct(pl.col(columns)).struct.json_encode()
        frame = desired.frame.with_columns(text.alias(ROW_HASH))
        frame = frame.with_columns(stable_hash(frame.get_column(ROW_HASH)).alias(ROW_HASH))
    else:
        frame = desired.frame.with_columns(pl.lit(None, dtype=pl.String).alias(ROW_HASH))
    return Desired(frame, desired.fields)


def reuse_confirmed(
    ctx: Context, cfg: SyncConfig, desired: Desired, state: pl.DataFrame
) -> tuple[Desired, pl.DataFrame]:
    """Split off the rows whose source row this sync confirmed before: they carry the key,
    payload and hash it confirmed (the diff then decides whether anything changed)."""
    empty = desired.frame.clear().with_columns(
        pl.lit(None, dtype=pl.String).alias(c) for c in ("key", "payload", "payload_hash")
    )
    if not lookups_for(ctx, cfg, dict(desired.fields)) or state.height == 0:
        return desired, empty
    known = (
        state.filter(pl.col(ROW_HASH).is_not_null())
        .select(ROW_HASH, "key", "payload", "payload_hash")
        .unique(ROW_HASH, keep="last")
    )
    joined = desired.frame.join(known, on=ROW_HASH, how="left", maintain_order="left")
    hit = pl.col("payload_hash").is_not_null()
    rest = joined.filter(~hit).drop("key", "payload", "payload_hash")
    return Desired(rest, desired.fields), joined.filter(hit)


def delete_by_id(
    ctx: Context, cfg: SyncConfig, frame: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """The deletes a record sync makes (mirror, ``delete_flag``) named by ONE Custify id, as a
    delete sync's rows are: the id this sync confirmed for the key, else the extract, else a
    lookup that counts every match. Returns ``(deletes, rejected, already gone)``; a key that
    names several records is rejected with their ids, one that names none is gone."""
    act = cfg.delete_action
    rejected = pl.DataFrame(schema=REJECTED_SCHEMA)
    if act is None or cfg.match is None or not resolves_first(act, cfg.match):
        return frame, rejected, 0
    missing = frame.filter(pl.col("custify_id").is_null()).get_column("key").unique().to_list()
    found = records.find(ctx, cfg, cfg.target, cfg.match, "id", missing, count_all=True)
    single = {k: ids[0] for k, ids in found.items() if len(ids) == 1}
    several = {k: ids for k, ids in found.items() if len(ids) > 1}
    frame = frame.with_columns(
        pl.coalesce("custify_id", pl.col("key").replace_strict(single, default=None,
                                                             return_dtype=pl.String))
    )  # fmt: skip
    bad = frame.filter(pl.col("key").is_in(list(several)))
    reasons = [
        f"{cfg.match}: {len(several[k])} {cfg.target.name} records have {cfg.match} '{k}' "
        f"(ids {', '.join(sorted(several[k]))}); nothing was deleted: name one of them by "
        "its Custify id"
        for k in bad.get_column("key").to_list()
    ]
    rejected = ledger_rows.unresolved(bad, reasons)
    keep = frame.filter(~pl.col("key").is_in(list(several)) & pl.col("custify_id").is_not_null())
    gone = frame.height - bad.height - keep.height
    payload = pl.col("custify_id").map_elements(lambda v: json.dumps({"id": v}), pl.String)
    keep = keep.with_columns(payload.alias("payload"))
    keep = keep.with_columns(stable_hash(keep.get_column("payload")).alias("payload_hash"))
    return keep, rejected, gone
