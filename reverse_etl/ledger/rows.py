"""Builders of the rows the ledger tables take, in their schemas (``ledger.schemas``).

A stage hands over frames in its own shape (diff rows with ``attempt_id``, outcomes, rejected
rows); these turn them into ledger, snapshot, outcome, ``<sync>__rejected`` and
``<sync>__records`` rows, so each column is spelled in one place.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import polars as pl

from reverse_etl.ledger.schemas import GONE, OUTCOME_SCHEMA, REJECTED_SCHEMA, ROW_HASH, UTC_TS
from reverse_etl.source.desired import ROW


def attempt_ids(n: int) -> pl.Series:
    """Fresh attempt ids, one per row."""
    return pl.Series("attempt_id", [uuid.uuid4().hex for _ in range(n)], dtype=pl.String)


def pending(rows: pl.DataFrame, *, run_id: str, sync: str, now: dt.datetime) -> pl.DataFrame:
    """Ledger rows written ahead of a wave (``ledger.write_pending`` adds the status)."""
    return rows.select(
        "attempt_id", pl.lit(run_id).alias("run_id"), pl.lit(sync).alias("sync"), "key",
        "op", "payload_hash", "attempt", pl.lit(now).alias("attempted_at"),
    )  # fmt: skip


def outcomes(answers: Iterable[Mapping[str, Any]], now: dt.datetime) -> pl.DataFrame:
    """The sender's answers (attempt_id, status, http_status, error, custify_id, record) as
    an outcome frame, finished ``now``."""
    frame = pl.DataFrame(list(answers), schema=OUTCOME_SCHEMA)
    return frame.with_columns(pl.lit(now).alias("finished_at"))


def confirmed_outcomes(rows: pl.DataFrame, note: str, now: dt.datetime) -> pl.DataFrame:
    """Outcomes confirming ``rows`` without a request of this run (found in Custify)."""
    return rows.select(
        "attempt_id", pl.lit("confirmed").alias("status"),
        pl.lit(200, dtype=pl.Int64).alias("http_status"), pl.lit(note).alias("error"),
        "custify_id", pl.lit(now).alias("finished_at"),
    )  # fmt: skip


def snapshot(
    rows: pl.DataFrame,
    *,
    sync: str,
    obj: str,
    match: str | None,
    run_id: str,
    now: dt.datetime,
    custify_id: pl.Expr | None = None,
) -> pl.DataFrame:
    """``_custify_sync_state`` rows for confirmed diff rows (``tag_id`` is kept as ``ref_id``)."""
    return rows.select(
        pl.lit(sync).alias("sync"), pl.lit(obj).alias("object"), pl.lit(match).alias("match"),
        "key", "op", "payload_hash", "payload",
        (custify_id if custify_id is not None else pl.col("custify_id")).alias("custify_id"),
        "created", pl.lit(now).alias("confirmed_at"), pl.lit(run_id).alias("run_id"),
        pl.col("tag_id").alias("ref_id"), "row_hash",
    )  # fmt: skip


def rejected_attempts(
    rows: pl.DataFrame, *, run_id: str, sync: str, now: dt.datetime
) -> pl.DataFrame:
    """Final ``rejected`` ledger rows for rows that never became a request (key, op,
    payload_hash, reason)."""
    return rows.select(
        attempt_ids(rows.height), pl.lit(run_id).alias("run_id"), pl.lit(sync).alias("sync"),
        "key", "op", "payload_hash", pl.lit("rejected").alias("status"),
        pl.lit(1).alias("attempt"), pl.lit(None, dtype=pl.Int64).alias("http_status"),
        pl.col("reason").alias("error"), pl.lit(None, dtype=pl.String).alias("custify_id"),
        pl.lit(now).alias("attempted_at"), pl.lit(now).alias("finished_at"),
    )  # fmt: skip


def refused(
    rows: pl.DataFrame, outcome: pl.DataFrame, *, run_id: str, now: dt.datetime
) -> pl.DataFrame:
    """``<sync>__rejected`` rows for what Custify refused (op ``refused``)."""
    bad = outcome.filter(pl.col("status") == "rejected")
    keyed = rows.select("attempt_id", "key", "payload").join(bad, on="attempt_id")
    return keyed.select(
        pl.lit(None, dtype=pl.Int64).alias("row"), "key", pl.col("error").alias("reason"),
        pl.col("payload").alias("values"), pl.lit("refused").alias("op"),
        pl.lit(None, dtype=pl.String).alias("row_hash"), pl.lit(run_id).alias("run_id"),
        pl.lit(now, dtype=UTC_TS).alias("rejected_at"),
    )  # fmt: skip


def records(
    rows: pl.DataFrame, outcome: pl.DataFrame, *, run_id: str, now: dt.datetime
) -> pl.DataFrame:
    """``<sync>__records`` rows: what a get sync read (key, custify_id, record JSON)."""
    got = outcome.filter(pl.col("record").is_not_null())
    keyed = rows.select("attempt_id", "key").join(got, on="attempt_id", how="inner")
    return keyed.select(
        "key", "custify_id", "record", pl.lit(run_id).alias("run_id"),
        pl.lit(now, dtype=UTC_TS).alias("fetched_at"),
    )  # fmt: skip


def stamped(rejected: pl.DataFrame, *, run_id: str, now: dt.datetime) -> pl.DataFrame:
    """A plan's rejected rows as ``<sync>__rejected`` takes them."""
    return rejected.with_columns(pl.lit(run_id).alias("run_id"), pl.lit(now).alias("rejected_at"))


def rejected(match: str | None, bad: pl.DataFrame) -> pl.DataFrame:
    """A plan's rejected rows (``REJECTED_SCHEMA``): their key, when the ``match`` column
    names one, and the whole row as JSON."""
    payload_cols = [c for c in bad.columns if c not in (ROW, "reason")]
    if bad.height == 0:
        return pl.DataFrame(schema=REJECTED_SCHEMA)
    drop = ("key", "payload", "payload_hash", GONE, "row_hash", "op")
    payload_cols = [c for c in payload_cols if c not in drop]
    keycol = match if match in bad.columns else None
    key = pl.col(keycol).cast(pl.String) if keycol else pl.lit(None, dtype=pl.String)
    values = pl.struct([_text(bad, c) for c in payload_cols]).struct.json_encode()
    op = pl.col("op") if "op" in bad.columns else pl.lit(None, dtype=pl.String)
    row_hash = pl.col(ROW_HASH) if ROW_HASH in bad.columns else pl.lit(None, dtype=pl.String)
    return bad.select(
        pl.col(ROW).alias("row"), key.alias("key"), "reason", values.alias("values"),
        op.fill_null("invalid").alias("op"), row_hash.cast(pl.String).alias("row_hash"),
    )  # fmt: skip


def unresolved(rows: pl.DataFrame, reasons: list[str]) -> pl.DataFrame:
    """A plan's rejected rows (``REJECTED_SCHEMA``) for diff rows (``key``, ``payload``) whose
    record could not be named by one id, with one reason each."""
    return rows.select(
        pl.lit(None, dtype=pl.Int64).alias("row"), "key",
        pl.Series("reason", reasons, dtype=pl.String), pl.col("payload").alias("values"),
        pl.lit("unresolved").alias("op"), pl.lit(None, dtype=pl.String).alias("row_hash"),
    )  # fmt: skip


def flat(frame: pl.DataFrame) -> pl.DataFrame:
    """Nested columns as JSON text: rejected rows come from before and after decoding."""
    nested = [c for c, t in frame.schema.items() if isinstance(t, pl.List | pl.Array | pl.Struct)]
    return frame.with_columns(_text(frame, c).alias(c) for c in nested) if nested else frame


def _json_text(value: object) -> str:
    return json.dumps(value, default=str, sort_keys=True)


def _text(frame: pl.DataFrame, column: str) -> pl.Expr:
    dtype = frame.schema[column]
    if isinstance(dtype, (pl.List, pl.Array, pl.Struct)):
        return pl.col(column).map_elements(_json_text, return_dtype=pl.String)
    return pl.col(column).cast(pl.String)
