"""Plan one sync: read, validate, diff, guard, and write ``<sync>__diff`` / ``<sync>__rejected``
(and, for a dry run, ``<sync>__plan``: one row per record and field that would change).

Planning sends no writes (a dry run stops here). It may read Custify when the warehouse cannot
tell: tag names -> ids, whether a record exists for update-only/create-only/mirror syncs
without an extract, and the types of custom attributes rows would send that the extract does
not show. Every sync is planned before any is sent, so a configuration error or the delete
guard in the last sync still leaves Custify untouched.
"""

from __future__ import annotations

import datetime as dt
import logging

import polars as pl

from models.types import ActionKind
from reverse_etl import ledger
from reverse_etl.config import Kind, SyncConfig
from reverse_etl.diff.changes import (
    append_changes,
    hold_back,
    record_changes,
    seen_existing,
    settled,
    tag_changes,
)
from reverse_etl.diff.drift import drifted
from reverse_etl.diff.payload import with_payloads
from reverse_etl.diff.tags import tag_removals
from reverse_etl.engine.context import Context
from reverse_etl.engine.deletes import plan_deletes
from reverse_etl.engine.stages import Stages
from reverse_etl.engine.sync_plan import SyncPlan
from reverse_etl.identify import (
    GONE,
    ROW_HASH,
    Extracted,
    existing,
    load_extracted,
    load_tag_pairs,
    resolve_rows,
    reuse_confirmed,
    tag_ids,
    with_row_hash,
)
from reverse_etl.ledger import rows as ledger_rows
from reverse_etl.ledger.schemas import (
    DIFF_SCHEMA,
    PLAN_SCHEMA,
    RECORDS_SCHEMA,
    diff_table,
    plan_table,
    records_table,
    rejected_table,
)
from reverse_etl.source.desired import DELETE, ROW, Desired, load_desired
from reverse_etl.source.explicit import load_explicit
from reverse_etl.validate import attributes
from reverse_etl.validate.schema import key_columns, validate

log = logging.getLogger("reverse_etl")


def plan_sync(ctx: Context, cfg: SyncConfig, stages: Stages | None = None) -> SyncPlan:
    """The sync's plan; ``stages`` collects CPU and wall seconds per planning stage."""
    stages = stages if stages is not None else Stages()
    with stages.stage("read"):
        desired = load_explicit(ctx.wh, cfg) if cfg.diff_table else load_desired(ctx.wh, cfg)
    with stages.stage("validate"):
        kinds = attributes.plan_kinds(ctx, cfg, desired)
        valid, bad = validate(cfg, desired, kinds)
    with stages.stage("state"):
        state = ledger.load_state(ctx.wh, cfg.name)
    with stages.stage("resolve"):
        valid = with_row_hash(valid)
        fresh, reused = reuse_confirmed(ctx, cfg, valid, state)
        fresh, held = _hold_unresolved(ctx, cfg, fresh)
        fresh, unresolved = resolve_rows(ctx, cfg, fresh)
        unresolved = pl.concat([held, unresolved], how="diagonal_relaxed")
        unresolved = unresolved.with_columns(pl.lit("unresolved").alias("op"))
    with stages.stage("payload"):
        rows = pl.concat([with_payloads(cfg, fresh), reused], how="diagonal_relaxed").sort(ROW)
        rows = _resolved_from_payload(rows, fresh.fields, valid.fields)
        rows, repeated = _repeated_content(cfg, rows)
        bad = pl.concat(
            [ledger_rows.flat(f) for f in (bad, unresolved, repeated)], how="diagonal_relaxed"
        )
    plan = SyncPlan(cfg, pl.DataFrame(schema=DIFF_SCHEMA), ledger_rows.rejected(cfg.match, bad.sort(ROW)), state=state,
                kinds=kinds, stages=stages)  # fmt: skip
    gone = rows.get_column(GONE).fill_null(False) if GONE in rows.columns else pl.Series([False])
    if gone.any():
        plan.counts["already_gone"] = int(gone.sum())
        rows = rows.filter(~gone)
    with stages.stage("diff"):
        if cfg.kind == Kind.RECORD:
            changes = _record_plan(ctx, plan, rows, Desired(valid.frame, fresh.fields))
        elif cfg.kind == Kind.APPEND or cfg.kind == Kind.GET:
            changes, counts = append_changes(cfg, rows, state, drifted(ctx.wh, cfg, rows, state))
            plan.counts.update(counts)
            plan.changes = _whole_rows(changes, "new" if cfg.kind == Kind.APPEND else "read")
            if cfg.kind == Kind.GET and not ctx.dry_run:  # later syncs may read it from the start
                ctx.wh.create_table(records_table(cfg.name), RECORDS_SCHEMA)
        elif cfg.kind == Kind.DELETE:
            changes = plan_deletes(ctx, plan, rows, rows, load_extracted(ctx.wh, cfg, {}))
        else:
            changes = _tag_plan(ctx, plan, rows)
    with stages.stage("hold back"):
        latest = ledger.latest_attempts(ctx.wh, cfg.name)
        plan.diff, waiting = hold_back(cfg, changes, latest, pl.lit(ctx.now()))
        plan.counts.update(waiting)
        deletes = _whole_rows(plan.diff.filter(pl.col("op") == "delete"), "delete")
        plan.changes = pl.concat([plan.changes, deletes])
    with stages.stage("write plan"):
        _write_tables(ctx, plan)
    return plan


def _whole_rows(changes: pl.DataFrame, why: str) -> pl.DataFrame:
    """Plan rows of changes that are not per field (appends, gets, deletes): the payload
    names the record and what is sent."""
    return changes.select(
        "key", "op", pl.lit(None, dtype=pl.String).alias("field"),
        pl.lit(None, dtype=pl.String).alias("holds"), pl.col("payload").alias("sends"),
        pl.lit(why).alias("why"),
    ).cast(PLAN_SCHEMA)  # fmt: skip


def _resolved_from_payload(rows: pl.DataFrame, fields: dict, given: dict) -> pl.DataFrame:
    """Fields identifier resolution filled (a note's ``entity``, an unlink's ``companyId``)
    for rows that reused their confirmed request: read back from that payload, so the diff
    compares them like the freshly resolved ones."""
    filled = []
    for path, fld in fields.items():
        if path in given or not fld.send or "payload" not in rows.columns:
            continue
        from_payload = pl.col("payload").str.json_path_match(f"$['{path}']")
        old = pl.col(path).cast(pl.String) if path in rows.columns else pl.lit(None, pl.String)
        filled.append(pl.coalesce(old, from_payload).alias(path))
    return rows.with_columns(filled) if filled else rows


def _hold_unresolved(ctx: Context, cfg: SyncConfig, fresh: Desired) -> tuple[Desired, pl.DataFrame]:
    """Rows whose identifiers found nothing on a recent run (``retry_backoff_s``): rejected
    again with the same reason, without asking Custify again."""
    since = ctx.now() - dt.timedelta(seconds=cfg.retry_backoff_s)
    recent = ledger.recent_unresolved(ctx.wh, cfg.name, since)
    if recent.height == 0 or ROW_HASH not in fresh.frame.columns:
        return fresh, fresh.frame.clear()
    joined = fresh.frame.join(recent.rename({"payload_hash": ROW_HASH, "error": "reason"}),
                              on=ROW_HASH, how="left", maintain_order="left")  # fmt: skip
    hit = pl.col("reason").is_not_null()
    return Desired(joined.filter(~hit).drop("reason"), fresh.fields), joined.filter(hit)


def _repeated_content(cfg: SyncConfig, rows: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Rows keyed by their content that repeat another row: a join fanning out, most likely;
    each copy is rejected rather than one of them created (pandera checks the other keys)."""
    if key_columns(cfg) or rows.height == 0:
        return rows, rows.clear().with_columns(pl.lit(None, dtype=pl.String).alias("reason"))
    dup = rows.get_column("key").is_duplicated()
    reason = "duplicate row: the same content appears more than once; give the sync a key"
    return rows.filter(~dup), rows.filter(dup).with_columns(pl.lit(reason).alias("reason"))


def _record_plan(ctx: Context, plan: SyncPlan, rows: pl.DataFrame, valid: Desired) -> pl.DataFrame:
    cfg = plan.cfg
    extracted = load_extracted(ctx.wh, cfg, valid.fields)
    deleting = pl.col(DELETE).fill_null(False) if DELETE in rows.columns else pl.lit(False)
    upserts, flagged = rows.filter(~deleting), rows.filter(deleting)
    known = None
    askable = cfg.match is not None and cfg.native_match and cfg.match in cfg.target.find_by
    creates = cfg.action.kind is ActionKind.CREATE  # never create what already exists
    if (cfg.mode != "upsert" or creates) and extracted is None and askable:
        known = existing(ctx, cfg, upserts, plan.state)
    changes, counts, detail = record_changes(
        cfg, upserts, valid.fields, plan.state, extracted, known
    )
    plan.counts.update(counts)
    sent = upserts.join(changes.select("key"), on="key")
    misfit = attributes.misfits(ctx, cfg, plan.kinds, sent, valid.fields)
    if misfit.height:
        changes = changes.join(misfit.select("key"), on="key", how="anti")
        plan.rejected = pl.concat(
            [plan.rejected, ledger_rows.rejected(cfg.match, misfit)], how="diagonal_relaxed"
        )
    plan.changes = detail
    if creates:
        plan.seen = seen_existing(cfg, upserts, known)
    plan.warnings += _email_warning(cfg, valid, extracted)
    deletes = plan_deletes(ctx, plan, rows, flagged, extracted)
    return pl.concat([changes, deletes], how="vertical_relaxed")


def _email_warning(cfg: SyncConfig, valid: Desired, extracted: Extracted | None) -> list[str]:
    """Custify's "new person" rule (custify-api.md §2): an e-mail match with a different
    stored user_id creates a NEW person instead of updating."""
    if cfg.target.name != "people" or cfg.match != "email":
        return []
    with_uid = 0
    if "user_id" in valid.frame.columns:
        with_uid = int(valid.frame.get_column("user_id").is_not_null().sum())
    if extracted is not None and "x:user_id" in extracted.frame.columns:
        keys = valid.frame.get_column("email").cast(pl.String).implode()
        x = extracted.frame.filter(pl.col("key").is_in(keys) & pl.col("x:user_id").is_not_null())
        with_uid = max(with_uid, x.height)
    if not with_uid:
        return []
    message = (
        f"{cfg.where('match')}: matching people on email while {with_uid} of them have a "
        "user_id; Custify looks people up by user_id first, and an e-mail match whose stored "
        'user_id differs creates a NEW person (custify-api.md §2, "new person" rule); '
        "match on user_id to update them in place"
    )
    log.warning(message)
    return [message]


def _tag_plan(ctx: Context, plan: SyncPlan, rows: pl.DataFrame) -> pl.DataFrame:
    cfg = plan.cfg
    extracted = load_extracted(ctx.wh, cfg, {})
    pairs = load_tag_pairs(ctx.wh, cfg, extracted) if extracted is not None else None
    rows = rows.with_columns(pl.col(cfg.match or "").cast(pl.String).alias("entity_key"))
    done = settled(rows, plan.state, extracted, "entity_key", pairs)
    desired_keys = rows.get_column("key")
    rows = rows.filter(~done)
    rows, bad = tag_ids(ctx, cfg, rows, plan.state)
    if bad.height:
        plan.rejected = pl.concat([plan.rejected, bad], how="diagonal_relaxed")
    changes, counts, plan.changes = tag_changes(cfg, rows, plan.state, extracted, pairs)
    plan.counts["unchanged"] = counts["unchanged"] + int(done.sum())
    if cfg.mode == "mirror":
        removals = tag_removals(ctx, cfg, desired_keys, plan.state)
        changes = pl.concat([changes, removals])
    return changes


def _write_tables(ctx: Context, plan: SyncPlan) -> None:
    """``<sync>__diff`` (what this run sends) and ``<sync>__rejected`` (what it refuses)."""
    name = plan.cfg.name
    diff = plan.diff.select("key", "op", "payload", "payload_hash", "attempt").with_columns(
        pl.lit(ctx.run_id).alias("run_id")
    )
    ctx.wh.replace_df(diff_table(name), diff)
    rejected = ledger_rows.stamped(plan.rejected, run_id=ctx.run_id, now=ctx.now())
    ctx.wh.replace_df(rejected_table(name), rejected)
    if ctx.dry_run:  # what a reviewer reads before the real push
        planned = plan.changes.join(plan.diff.select("key"), on="key", how="semi")
        ctx.wh.replace_df(
            plan_table(name), planned.with_columns(pl.lit(ctx.run_id).alias("run_id"))
        )
