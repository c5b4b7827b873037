"""Appended items that Custify reads back elsewhere: scores, as survey responses (§11).

A score is appended (``POST /nps_score``), never updated, so the diff sends it once per key
and content. Tied to a survey, it reads back as its person's response to that survey
(registry ``ReadBack``), and a score changed in Custify since is there to see. The newest
known truth wins, as for records (``diff.changes``): a row whose confirmed score an extract read
LATER shows with another value (a response changed after our write) is sent again. Custify
keeps only the newest score by ``submittedAt`` (§11), so a row that carries an older date
than the change cannot win; rows without a date are dated now and do.
"""

from __future__ import annotations

import polars as pl

from models.clock import ECHO_SKEW_S
from models.registry import REGISTRY
from reverse_etl.config import SyncConfig
from reverse_etl.config.fields import read_column
from reverse_etl.identify import DELETED, read_time
from warehouse import Warehouse

_R = "r_"  # prefix of the read values


def drifted(wh: Warehouse, cfg: SyncConfig, rows: pl.DataFrame, state: pl.DataFrame) -> pl.Series:
    """Per row: True when an extract read after this sync's confirmed write shows the item
    with another value (set it back); False when nothing says so."""
    none = pl.Series("drifted", [False] * rows.height, dtype=pl.Boolean)
    back = cfg.action.read_back
    if back is None or rows.height == 0 or state.height == 0:
        return none
    obj = REGISTRY[back.object]
    row_id, read_id = back.person
    wanted = {**back.within, row_id: read_id, **back.fields}
    if not obj.extracted or not wh.table_exists(obj.name) or row_id not in rows.columns:
        return none
    read_at = read_time(wh, obj)
    columns = wh.columns(obj.name)
    source = {f: read_column(r) for f, r in wanted.items()}
    if read_at is None or not all(c in columns for c in source.values() if c):
        return none
    q = wh.quote
    picks = {_R + f: c for f, c in source.items() if c}
    if "updated_at" in columns:
        picks["r_updated"] = "updated_at"
    live = f" WHERE {q(DELETED)} IS NULL" if DELETED in columns else ""
    sql = f"SELECT {', '.join(q(c) for c in picks.values())} FROM {wh.table(obj.name)}{live}"
    held = wh.query_df(sql)
    held = held.rename(dict(zip(held.columns, picks, strict=True)))
    keys = [*back.within, row_id]
    held = held.with_columns(pl.col(_R + k).cast(pl.String) for k in keys)
    if "r_updated" not in held.columns:
        held = held.with_columns(pl.lit(None, dtype=pl.Datetime("us", "UTC")).alias("r_updated"))
    mine = rows.select(
        "key", *(pl.col(k).cast(pl.String) if k in rows.columns else pl.lit(None, pl.String).alias(k)
                 for k in keys),
        *(pl.col(f) if f in rows.columns else pl.lit(None).alias(f) for f in back.fields),
    )  # fmt: skip
    confirmed = state.filter(pl.col("op") != "delete").select("key", "confirmed_at")
    joined = mine.join(confirmed, on="key", how="left").join(
        held.unique([_R + k for k in keys], keep="first"), left_on=keys,
        right_on=[_R + k for k in keys],
        how="left", coalesce=False,
    )  # fmt: skip
    differs = pl.any_horizontal(
        [pl.col(f).is_not_null() & ~_same(pl.col(f), pl.col(_R + f)) for f in back.fields]
    )
    skew = pl.duration(seconds=ECHO_SKEW_S)
    after = pl.lit(read_at) > pl.col("confirmed_at")
    changed = pl.col("r_updated").is_null() | (
        pl.col("r_updated").cast(pl.Datetime("us", "UTC")) >= pl.col("confirmed_at") - skew
    )
    found = pl.col(_R + row_id).is_not_null()
    flag = (pl.col("confirmed_at").is_not_null() & found & after & changed & differs).fill_null(
        False
    )
    return joined.select(flag.alias("drifted")).get_column("drifted")


def _same(mine: pl.Expr, theirs: pl.Expr) -> pl.Expr:
    """The same value: numbers by value (``9`` = ``9.0``), anything else as text."""
    a, b = mine.cast(pl.Float64, strict=False), theirs.cast(pl.Float64, strict=False)
    as_text = mine.cast(pl.String) == theirs.cast(pl.String)
    return (
        pl.when(a.is_not_null() & b.is_not_null()).then(a == b).otherwise(as_text).fill_null(False)
    )
