"""Builders of the rows the ledger tables take, in their schemas (``ledger.schemas``).

A stage hands over frames in its own shape (diff rows with ``attempt_id``, outcomes, rejected
rows); these turn them into ledger, snapshot, outcome, ``<sync>__rejected`` and
``<sync>__records`` rows, so each column is spelled in one place.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import polars as pl

from reverse_etl.ledger.schemas import OUTCOME_SCHEMA, UTC_TS


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
