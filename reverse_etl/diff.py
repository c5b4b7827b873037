"""Desired rows versus what Custify holds -> one diff row per change, all in polars.

A row needs no request when either

- the fresh extract already holds every value it sets (``equal_extract``), or
- this tool confirmed exactly this payload (same hash) and the extract shows no change in
  Custify since (``equal_confirmed``; Custify's ``updated_at`` not after our confirmation).

The second rule is what makes a rerun with no data change cost zero requests even before the
next extract; the first is what skips rows someone already set in Custify. Comparisons run on
hashes and on per-field comparison strings (``fields.compare_expr``), never per-row Python.
"""

from __future__ import annotations

import polars as pl

from models.clock import ECHO_SKEW_S
from models.types import ActionKind
from reverse_etl.config import SyncConfig
from reverse_etl.current import X_ID, X_PREFIX, X_UPDATED, Extracted
from reverse_etl.fields import Field, compare_expr

DIFF_SCHEMA: dict[str, pl.DataType] = {
    "key": pl.String, "op": pl.String, "payload": pl.String, "payload_hash": pl.String,
    "custify_id": pl.String, "created": pl.Boolean, "tag_id": pl.String, "row_hash": pl.String,
}  # fmt: skip
#: what ``hold_back`` adds to each diff row for the sender
RETRY_COLUMNS = ("attempt", "recheck", "since", "prev_hash")
_STATE_PREFIX = "s_"
_MAX_BACKOFF_S = 86_400.0


def _with_state(rows: pl.DataFrame, state: pl.DataFrame) -> pl.DataFrame:
    renamed = state.rename({c: _STATE_PREFIX + c for c in state.columns if c != "key"})
    return rows.join(renamed, on="key", how="left")


def _with_extract(rows: pl.DataFrame, extracted: Extracted | None, on: str = "key") -> pl.DataFrame:
    """Attach the extracted record; ``on`` is the column holding the record's identifier
    (the row key for records, ``entity_key`` for tag pairs)."""
    if extracted is None:
        return rows.with_columns(
            pl.lit(None, dtype=pl.String).alias(X_ID),
            pl.lit(None, dtype=pl.Datetime("us", "UTC")).alias(X_UPDATED),
        )
    right = extracted.frame.rename({"key": "__xkey"})
    return rows.join(right, left_on=on, right_on="__xkey", how="left", coalesce=True)


def _differs(cfg: SyncConfig, fields: dict[str, Field], joined: pl.DataFrame) -> pl.Expr:
    """True where some mapped field would change Custify's value (per the null policy)."""
    parts: list[pl.Expr] = []
    schema = joined.schema
    for path, fld in fields.items():
        if fld.read_only or fld.ident or not fld.send or path not in schema:
            continue
        mine = compare_expr(fld, pl.col(path), schema[path])
        xcol = X_PREFIX + path
        theirs = compare_expr(fld, pl.col(xcol), schema[xcol]) if xcol in schema else None
        if theirs is None:
            theirs = pl.lit(None, dtype=pl.String)
        sets = pl.col(path).is_not_null()
        parts.append(sets & (mine.is_null() | theirs.is_null() | (mine != theirs)))
        if cfg.nulls == "unset" and fld.unsettable:
            parts.append(pl.col(path).is_null() & theirs.is_not_null())
    return pl.any_horizontal(parts).fill_null(True) if parts else pl.lit(False)


def _equal_confirmed() -> pl.Expr:
    """This tool confirmed exactly this payload, and Custify shows no change after that (its
    ``updated_at`` may run ``ECHO_SKEW_S`` ahead of our clock: that is still our write)."""
    skew = pl.duration(seconds=ECHO_SKEW_S)
    newer_in_custify = pl.col(X_UPDATED) > pl.col("s_confirmed_at") + skew
    return (pl.col("s_payload_hash") == pl.col("payload_hash")) & ~newer_in_custify.fill_null(False)


def settled(
    rows: pl.DataFrame,
    state: pl.DataFrame,
    extracted: Extracted | None,
    on: str = "key",
    pairs: pl.DataFrame | None = None,
) -> pl.Series:
    """Rows whose exact payload this tool confirmed and that need no further work at all (not
    even resolving their tag names): Custify has not changed the record since, or, for a tag
    pair, the extract still shows the pair as this tool left it (another change bumped the
    record's ``updated_at``, e.g. the tag patch itself)."""
    cols = list(dict.fromkeys(["key", "payload_hash", on]))
    joined = _with_extract(_with_state(rows.select(cols), state), extracted, on)
    done = _equal_confirmed().fill_null(False)
    if pairs is not None and extracted is not None:
        marked = pairs.unique().with_columns(pl.lit(True).alias("x_has"))
        joined = joined.join(marked, left_on=[X_ID, "s_ref_id"], right_on=["x_id", "tag_id"],
                             how="left")  # fmt: skip
        same = pl.col("s_payload_hash") == pl.col("payload_hash")
        as_left = pl.col("x_has").fill_null(False) == (pl.col("s_op") == "tag_add")
        known = pl.col(X_ID).is_not_null() & pl.col("s_ref_id").is_not_null()
        done = done | (same & known & as_left).fill_null(False)
    flags = joined.select("key", done.alias("settled")).unique("key")
    return rows.select("key").join(flags, on="key", how="left", maintain_order="left")["settled"]


def _state_live() -> pl.Expr:
    return pl.col("s_payload_hash").is_not_null() & (pl.col("s_op") != "delete")


def record_changes(
    cfg: SyncConfig,
    rows: pl.DataFrame,
    fields: dict[str, Field],
    state: pl.DataFrame,
    extracted: Extracted | None,
    known: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, dict[str, int]]:
    """Creates/updates/upserts for record syncs. ``known`` (key, custify_id) holds what get
    lookups found for keys whose existence nothing else could tell (modes that need it)."""
    joined = _with_extract(_with_state(rows, state), extracted)
    if known is not None:
        joined = joined.join(known.rename({"custify_id": "k_id"}), on="key", how="left")
    else:
        joined = joined.with_columns(pl.lit(None, dtype=pl.String).alias("k_id"))
    x_present = pl.col(X_ID).is_not_null()
    exists = x_present | _state_live() | pl.col("k_id").is_not_null()
    equal_x = x_present & ~_differs(cfg, fields, joined)
    unchanged = equal_x | _equal_confirmed().fill_null(False)
    joined = joined.with_columns(exists.alias("exists"), unchanged.alias("unchanged"))
    if cfg.action.kind is ActionKind.CREATE:  # a create never creates what already exists
        mode_op = "create" if cfg.mode != "update_only" else None
        op = pl.when(~pl.col("exists")).then(pl.lit(mode_op, dtype=pl.String))
        if cfg.mode == "mirror":
            op = op.otherwise(pl.lit("update"))
        joined = joined.with_columns(op.alias("op"))
    op = {
        "upsert": pl.lit(_record_op(cfg)),
        "update_only": pl.when(pl.col("exists")).then(pl.lit("update")),
        "create_only": pl.when(~pl.col("exists")).then(pl.lit("create")),
        "mirror": pl.when(pl.col("exists")).then(pl.lit("update")).otherwise(pl.lit("create")),
    }[cfg.mode]
    if cfg.action.kind is not ActionKind.CREATE:
        joined = joined.with_columns(op.alias("op"))
    counts = {
        "unchanged": int(joined.get_column("unchanged").sum()),
        "skipped_by_mode": int(joined.filter(~pl.col("unchanged") & pl.col("op").is_null()).height),
    }
    changes = joined.filter(~pl.col("unchanged") & pl.col("op").is_not_null())
    created = pl.col("s_created").fill_null(False) | (pl.col("op") == "create")
    custify_id = pl.coalesce(X_ID, "s_custify_id", "k_id")
    return _shape(changes, created, custify_id), counts


def seen_existing(cfg: SyncConfig, rows: pl.DataFrame, known: pl.DataFrame | None) -> pl.DataFrame:
    """Rows a lookup found already in Custify that this sync's mode leaves alone (a create of
    an existing record): remembered as ``exists`` so later runs need not ask again."""
    if known is None or known.height == 0 or cfg.mode == "update_only":
        return pl.DataFrame(schema=DIFF_SCHEMA)
    found = rows.join(known, on="key", how="inner")
    return _shape(found.with_columns(pl.lit("exists").alias("op")), pl.lit(False),
                  pl.col("custify_id"))  # fmt: skip


def _record_op(cfg: SyncConfig) -> str:
    return {ActionKind.CREATE: "create", ActionKind.UPDATE: "update"}.get(cfg.action.kind, "upsert")


def append_changes(
    cfg: SyncConfig, rows: pl.DataFrame, state: pl.DataFrame
) -> tuple[pl.DataFrame, dict[str, int]]:
    """Appended items (events): sent once per key and content; Custify cannot read them back."""
    joined = _with_state(rows, state)
    unchanged = (pl.col("s_payload_hash") == pl.col("payload_hash")).fill_null(False)
    op = "event" if cfg.action.verb == "insert" else cfg.action.verb
    changes = joined.filter(~unchanged).with_columns(pl.lit(op).alias("op"))
    counts = {"unchanged": rows.height - changes.height}
    return _shape(changes, pl.lit(True), pl.lit(None, dtype=pl.String)), counts


def tag_changes(
    cfg: SyncConfig,
    rows: pl.DataFrame,
    state: pl.DataFrame,
    extracted: Extracted | None,
    pairs: pl.DataFrame | None,
) -> tuple[pl.DataFrame, dict[str, int]]:
    """Tag add/remove per (entity, tag) pair; ``rows`` carry ``entity_key``, ``tag_id`` and
    ``adds``."""
    joined = _with_extract(_with_state(rows, state), extracted, "entity_key")
    if pairs is not None and extracted is not None:
        marked = pairs.unique().with_columns(pl.lit(True).alias("x_has"))
        joined = joined.join(marked, left_on=[X_ID, "tag_id"], right_on=["x_id", "tag_id"],
                             how="left")  # fmt: skip
        x_has = pl.col("x_has").fill_null(False)
        equal_x = pl.col(X_ID).is_not_null() & (x_has == pl.col("adds"))
    else:
        equal_x = pl.lit(False)
    unchanged = equal_x | _equal_confirmed().fill_null(False)
    op = pl.when(pl.col("adds")).then(pl.lit("tag_add")).otherwise(pl.lit("tag_remove"))
    joined = joined.with_columns(unchanged.alias("unchanged"), op.alias("op"))
    changes = joined.filter(~pl.col("unchanged"))
    counts = {"unchanged": rows.height - changes.height}
    created = pl.col("op") == "tag_add"
    return _shape(changes, created, pl.coalesce(X_ID, "s_custify_id")), counts


def _shape(frame: pl.DataFrame, created: pl.Expr, custify_id: pl.Expr) -> pl.DataFrame:
    def optional(name: str) -> pl.Expr:
        return pl.col(name) if name in frame.columns else pl.lit(None, dtype=pl.String)

    return frame.select(
        "key", "op", "payload", "payload_hash", custify_id.cast(pl.String).alias("custify_id"),
        created.alias("created"), optional("tag_id").cast(pl.String).alias("tag_id"),
        optional("row_hash").cast(pl.String).alias("row_hash"),
    )  # fmt: skip


def mirror_candidates(
    state: pl.DataFrame, desired_keys: pl.Series, ops: tuple[str, ...]
) -> pl.DataFrame:
    """Snapshot rows this sync created (``created``, op in ``ops``) that are no longer desired."""
    return state.filter(
        pl.col("created").fill_null(False)
        & pl.col("op").is_in(list(ops))
        & ~pl.col("key").is_in(desired_keys.implode())
    )


def hold_back(
    cfg: SyncConfig, diff: pl.DataFrame, latest: pl.DataFrame, now: pl.Expr
) -> tuple[pl.DataFrame, dict[str, int]]:
    """Drop rows the ledger says must wait; number the attempt of the rest.

    Rejected rows wait until their payload changes; failed rows wait an exponential backoff and
    give up after ``max_attempts``; rows left ``pending``/``sent`` by a crash go again at once.
    """
    lat = latest.rename({c: "l_" + c for c in latest.columns if c != "key"})
    joined = diff.join(lat, on="key", how="left")
    same = pl.col("l_payload_hash") == pl.col("payload_hash")
    rejected = same & (pl.col("l_status") == "rejected")
    failed = same & (pl.col("l_status") == "failed")
    gave_up = failed & (pl.col("l_attempt") >= cfg.max_attempts)
    wait_s = (pl.lit(cfg.retry_backoff_s) * pl.lit(2.0).pow(pl.col("l_attempt") - 1)).clip(
        upper_bound=_MAX_BACKOFF_S
    )
    waiting = failed & (pl.col("l_attempted_at") + pl.duration(seconds=wait_s) > now)
    retry = same & pl.col("l_status").is_in(["failed", "pending", "sent"])
    unconfirmed = pl.col("l_status").is_in(["pending", "sent"]).fill_null(False)
    joined = joined.with_columns(
        rejected.fill_null(False).alias("h_rej"),
        gave_up.fill_null(False).alias("h_gave_up"),
        waiting.fill_null(False).alias("h_wait"),
        pl.when(retry.fill_null(False)).then(pl.col("l_attempt") + 1).otherwise(1).alias("attempt"),
        # an attempt that may have reached Custify: a create Custify does not deduplicate
        # looks for its record before it is sent again (sender.Sender._recover)
        unconfirmed.alias("recheck"),
        pl.col("l_attempted_at").alias("since"),
        pl.col("l_payload_hash").alias("prev_hash"),
    )
    held = pl.col("h_rej") | pl.col("h_gave_up") | pl.col("h_wait")
    counts = {
        "held_rejected": int(joined.get_column("h_rej").sum()),
        "held_gave_up": int(joined.get_column("h_gave_up").sum()),
        "held_backoff": int((joined.get_column("h_wait") & ~joined.get_column("h_gave_up")).sum()),
    }
    return joined.filter(~held).select([*DIFF_SCHEMA, *RETRY_COLUMNS]), counts
