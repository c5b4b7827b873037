"""Desired rows versus what Custify holds -> one diff row per change, all in polars.

What Custify holds is known from two witnesses: the fresh extract (read at ``x_read_at``,
``identify.extract``) and this sync's confirmed write (``_custify_sync_state``, at
``confirmed_at``). **The newest known truth wins**, per field and per tag: a confirmed write
after the extract's read is what Custify holds (so a value set back without an extract in
between is sent); an extract read after the write is (so an edit someone made in Custify is
seen, and set back). A field Custify never reads back is compared with the confirmed write
only. A row whose every field Custify already holds needs no request; the comparison is per
field on canonical forms (``diff.compare``), column-wise, never per-row Python.

A record the extract re-read after our write but whose ``updated_at`` predates that write
(Custify did not bump it for our change, or the incremental scan had no reason to re-read
it) is not newer evidence: the confirmed write stays the truth, so no write bounces back and
forth between extracts.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from models.clock import ECHO_SKEW_S
from models.types import ActionKind
from reverse_etl.config import SyncConfig
from reverse_etl.config.fields import Field
from reverse_etl.diff import compare
from reverse_etl.identify import X_ID, X_PREFIX, X_READ, X_UPDATED, Extracted
from reverse_etl.ledger.schemas import DIFF_SCHEMA, PLAN_SCHEMA, RETRY_COLUMNS

_STATE_PREFIX = "s_"
_MAX_BACKOFF_S = 86_400.0


def _with_state(rows: pl.DataFrame, state: pl.DataFrame) -> pl.DataFrame:
    renamed = state.rename({c: _STATE_PREFIX + c for c in state.columns if c != "key"})
    if renamed.height == 0:  # the first run: nothing to join, columns of nulls (no copy)
        return rows.with_columns(
            pl.lit(None, dtype=t).alias(c) for c, t in renamed.schema.items() if c != "key"
        )
    return rows.join(renamed, on="key", how="left", maintain_order="left")


def _with_extract(rows: pl.DataFrame, extracted: Extracted | None, on: str = "key") -> pl.DataFrame:
    """Attach the extracted record; ``on`` is the column holding the record's identifier
    (the row key for records, ``entity_key`` for tag pairs)."""
    if extracted is None:
        return rows.with_columns(
            pl.lit(None, dtype=pl.String).alias(X_ID),
            pl.lit(None, dtype=pl.Datetime("us", "UTC")).alias(X_UPDATED),
            pl.lit(None, dtype=pl.Datetime("us", "UTC")).alias(X_READ),
        )
    right = extracted.frame.rename({"key": "__xkey"})
    return rows.join(right, left_on=on, right_on="__xkey", how="left", coalesce=True,
                     maintain_order="left")  # fmt: skip


def _snapshot_newer() -> pl.Expr:
    """This sync's confirmed write is the newest truth about the record: the extract does not
    show it, read it before the write, or shows no change since before the write (its
    ``updated_at``, allowing ``ECHO_SKEW_S`` of clock difference). Without a read time (no
    extract run log) the extract is newer only when its ``updated_at`` is after the write."""
    confirmed = pl.col("s_confirmed_at")
    skew = pl.duration(seconds=ECHO_SKEW_S)
    read_after = (
        pl.when(pl.col(X_READ).is_not_null())
        .then(pl.col(X_READ) > confirmed)
        .otherwise(pl.col(X_UPDATED) > confirmed + skew)
    )
    changed_since = pl.col(X_UPDATED).is_null() | (pl.col(X_UPDATED) >= confirmed - skew)
    x_newer = pl.col(X_ID).is_not_null() & read_after.fill_null(False) & changed_since
    return (_state_live() & ~x_newer).fill_null(False)


def _comparable(fld: Field) -> bool:
    return not (fld.read_only or fld.ident or not fld.send)


@dataclass
class _Part:
    """One field's verdict: does the row change it, what Custify holds, and why it is sent."""

    path: str
    differs: pl.Expr
    holds: pl.Expr
    why: pl.Expr


def _field_parts(
    cfg: SyncConfig, fields: dict[str, Field], joined: pl.DataFrame, extracted: Extracted | None
) -> list[_Part]:
    """Per mapped field: the witness to trust (the newest that knows the field) and whether it
    shows the wanted value (see the module doc)."""
    schema = joined.schema
    marker = compare.marker_field(cfg.action)
    refs = extracted.refs if extracted is not None else {}
    live = _state_live().fill_null(False)
    x_present = pl.col(X_ID).is_not_null()
    parts: list[_Part] = []
    for path, fld in fields.items():
        if not _comparable(fld) or path not in schema or path == cfg.match:
            continue  # the match names the record: equal wherever the record was found
        x_same = compare.extract_same(fld, schema, refs.get(path), marker)
        s_value = compare.snapshot_value(fld)
        s_known = live & s_value.is_not_null()
        s_same = pl.when(live).then(compare.snapshot_same(fld, schema, marker))
        if x_same is None:
            use_x = pl.lit(False)
            same: pl.Expr = s_same
        else:
            use_x = x_present & (~pl.col("s_newer") | ~s_known)
            same = pl.when(use_x).then(x_same).otherwise(s_same)
        sets = pl.col(path).is_not_null()
        differs = sets & ~same.fill_null(False)
        why = (
            pl.when(~sets).then(pl.lit("unset"))
            .when(same.is_null()).then(pl.lit("new"))
            .when(use_x & s_same.fill_null(False)).then(pl.lit("set back"))
            .otherwise(pl.lit("changed"))
        )  # fmt: skip
        if cfg.nulls == "unset" and fld.unsettable:
            held = (
                s_known
                if x_same is None
                else pl.when(use_x).then(pl.col(X_PREFIX + path).is_not_null()).otherwise(s_known)
            )
            differs = differs | (~sets & held.fill_null(False))
        x_text = compare.held_text(fld, schema, marker)
        holds = pl.when(use_x).then(x_text).otherwise(pl.when(s_known).then(s_value))
        parts.append(_Part(path, differs, holds, why))
    return parts


def settled(
    rows: pl.DataFrame,
    state: pl.DataFrame,
    extracted: Extracted | None,
    on: str = "key",
    pairs: pl.DataFrame | None = None,
) -> pl.Series:
    """Tag rows whose exact payload this tool confirmed and whose pair needs no work at all
    (not even resolving the tag's name): the confirmed write is the newest truth, or the
    newer extract still shows the pair as this tool left it."""
    cols = list(dict.fromkeys(["key", "payload_hash", on]))
    joined = _with_extract(_with_state(rows.select(cols), state), extracted, on)
    same = (pl.col("s_payload_hash") == pl.col("payload_hash")).fill_null(False)
    done = same & _snapshot_newer()
    if pairs is not None and extracted is not None:
        marked = pairs.unique().with_columns(pl.lit(True).alias("x_has"))
        joined = joined.join(marked, left_on=[X_ID, "s_ref_id"], right_on=["x_id", "tag_id"],
                             how="left")  # fmt: skip
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
) -> tuple[pl.DataFrame, dict[str, int], pl.DataFrame]:
    """Creates/updates/upserts for record syncs, and the per-field plan of the changed rows
    (``PLAN_SCHEMA``). ``known`` (key, custify_id) holds what get lookups found for keys
    whose existence nothing else could tell (modes that need it).

    The witnesses are joined onto the compared columns only (the key, the fields, the hash;
    not the payload text or the row hash), and only the changed rows are taken whole: at a
    million rows with few changes, the unchanged ones are never copied."""
    compared = dict.fromkeys(["key", "payload_hash", *(p for p in fields if p in rows.columns)])
    slim = rows.select(list(compared))
    joined = _with_extract(_with_state(slim, state), extracted)
    if known is not None:
        joined = joined.join(known.rename({"custify_id": "k_id"}), on="key", how="left",
                             maintain_order="left")  # fmt: skip
    else:
        joined = joined.with_columns(pl.lit(None, dtype=pl.String).alias("k_id"))
    joined = joined.with_columns(_snapshot_newer().alias("s_newer"))
    parts = _field_parts(cfg, fields, joined, extracted)
    x_present = pl.col(X_ID).is_not_null()
    exists = x_present | _state_live() | pl.col("k_id").is_not_null()
    differs = pl.any_horizontal([p.differs for p in parts]) if parts else pl.lit(False)
    confirmed_same = pl.col("s_newer") & (pl.col("s_payload_hash") == pl.col("payload_hash"))
    held = (x_present | _state_live()).fill_null(False) & ~differs.fill_null(True)
    unchanged = confirmed_same.fill_null(False) | held
    joined = joined.with_columns(exists.fill_null(False).alias("exists"),
                                 unchanged.alias("unchanged"))  # fmt: skip
    joined = joined.with_columns(_op(cfg).alias("op"))
    counts = {
        "unchanged": int(joined.get_column("unchanged").sum()),
        "skipped_by_mode": int(joined.filter(~pl.col("unchanged") & pl.col("op").is_null()).height),
    }
    sends = (~pl.col("unchanged") & pl.col("op").is_not_null()).alias("__sends")
    mask = joined.select(sends).to_series()
    changed = joined.filter(mask)
    whole = rows.filter(mask).select(c for c in rows.columns if c not in changed.columns)
    changes = pl.concat([changed, whole], how="horizontal")
    created = pl.col("s_created").fill_null(False) | (pl.col("op") == "create")
    custify_id = pl.coalesce(X_ID, "s_custify_id", "k_id")
    return _shape(changes, created, custify_id), counts, _plan_rows(changes, parts, fields)


def _op(cfg: SyncConfig) -> pl.Expr:
    """The diff op per row, by the sync's mode (null: the mode leaves the row alone)."""
    if cfg.action.kind is ActionKind.CREATE:  # a create never creates what already exists
        mode_op = "create" if cfg.mode != "update_only" else None
        op = pl.when(~pl.col("exists")).then(pl.lit(mode_op, dtype=pl.String))
        return op.otherwise(pl.lit("update")) if cfg.mode == "mirror" else op
    return {
        "upsert": pl.lit(_record_op(cfg)),
        "update_only": pl.when(pl.col("exists")).then(pl.lit("update")),
        "create_only": pl.when(~pl.col("exists")).then(pl.lit("create")),
        "mirror": pl.when(pl.col("exists")).then(pl.lit("update")).otherwise(pl.lit("create")),
    }[cfg.mode]


def _plan_rows(changes: pl.DataFrame, parts: list[_Part], fields: dict[str, Field]) -> pl.DataFrame:
    """One row per changed record and field: what Custify holds, what is sent, and why."""
    if changes.height == 0 or not parts:
        return pl.DataFrame(schema=PLAN_SCHEMA)
    schema = changes.schema
    frames = []
    for part in parts:
        sends = compare.wanted_text(fields[part.path], schema)
        why = pl.when(pl.col("op") == "create").then(pl.lit("new")).otherwise(part.why)
        frames.append(
            changes.filter(part.differs.fill_null(False)).select(
                "key",
                "op",
                pl.lit(part.path).alias("field"),
                part.holds.cast(pl.String).alias("holds"),
                sends.alias("sends"),
                why.alias("why"),
            )  # fmt: skip
        )
    return pl.concat(frames).cast(PLAN_SCHEMA)


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
    cfg: SyncConfig, rows: pl.DataFrame, state: pl.DataFrame, drifted: pl.Series | None = None
) -> tuple[pl.DataFrame, dict[str, int]]:
    """Appended items (events): sent once per key and content, and again where ``drifted``
    (an item Custify reads back shows another value since, ``diff.drift``)."""
    joined = _with_state(rows, state)
    unchanged = (pl.col("s_payload_hash") == pl.col("payload_hash")).fill_null(False)
    if drifted is not None:
        joined = joined.with_columns(drifted.alias("__drifted"))
        unchanged = unchanged & ~pl.col("__drifted")
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
) -> tuple[pl.DataFrame, dict[str, int], pl.DataFrame]:
    """Tag add/remove per (entity, tag) pair, and the plan rows of the changes; ``rows``
    carry ``entity_key``, ``tag_id`` and ``adds``. The pair's newest truth: this sync's
    confirmed add/remove of that tag, or the extract's membership when it was read later."""
    joined = _with_extract(_with_state(rows, state), extracted, "entity_key")
    if pairs is not None and extracted is not None:
        marked = pairs.unique().with_columns(pl.lit(True).alias("x_has"))
        joined = joined.join(marked, left_on=[X_ID, "tag_id"], right_on=["x_id", "tag_id"],
                             how="left")  # fmt: skip
        x_has: pl.Expr = pl.when(pl.col(X_ID).is_not_null()).then(pl.col("x_has").fill_null(False))
    else:
        x_has = pl.lit(None, dtype=pl.Boolean)
    same_tag = (pl.col("s_ref_id") == pl.col("tag_id")).fill_null(False)
    s_newer = _snapshot_newer() & same_tag
    has = pl.when(s_newer).then(pl.col("s_op") == "tag_add").otherwise(x_has)
    unchanged = (has == pl.col("adds")).fill_null(False)
    op = pl.when(pl.col("adds")).then(pl.lit("tag_add")).otherwise(pl.lit("tag_remove"))
    joined = joined.with_columns(unchanged.alias("unchanged"), op.alias("op"))
    changes = joined.filter(~pl.col("unchanged"))
    counts = {"unchanged": rows.height - changes.height}
    created = pl.col("op") == "tag_add"
    ours = same_tag & _state_live().fill_null(False) & (pl.col("s_op") == pl.col("op"))
    why = (
        pl.when(has.is_null()).then(pl.lit("new"))
        .when(~s_newer & ours).then(pl.lit("set back"))
        .otherwise(pl.lit("changed"))
    )  # fmt: skip
    plan = changes.select(
        "key", "op", pl.lit("tags").alias("field"),
        pl.when(has).then(pl.lit("present")).when(~has).then(pl.lit("absent")).alias("holds"),
        pl.concat_str([pl.col("op").str.strip_prefix("tag_"), pl.col("tag").cast(pl.String)],
                      separator=" ").alias("sends"),
        why.alias("why"),
    ).cast(PLAN_SCHEMA)  # fmt: skip
    return _shape(changes, created, pl.coalesce(X_ID, "s_custify_id")), counts, plan


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
