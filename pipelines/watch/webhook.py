"""Trigger events out: JSON batches to ``[watch] webhook_url``, at least once.

This makes the engine a trigger source for any workflow tool. The warehouse is the queue:
``trigger_events`` holds every event, ``_custify_webhook_sent`` the ids delivered, and the
backlog is the difference (events detected since the webhook was first set up; the start is
``_custify_webhook_since``, so turning it on does not replay the whole history). So a
crash, a stop or a receiver outage loses nothing: the next turn sends what is not marked.

- A batch is ``{"events": [...]}``, oldest first, each event with its stable ``event_id``
  (the receiver deduplicates on it: a batch whose answer was lost is sent again).
- 2xx: the batch is marked delivered. 5xx, 408, 429, a timeout or a refused connection: the
  batch stays queued and is retried with a doubling backoff (1 s up to 5 min); nothing is
  ever dropped for those. Another 4xx (the receiver refuses the batch itself) is retried
  ``DEAD_AFTER`` times, then its events go to the dead-letter table ``_custify_webhook_dead``
  (event id, status, first line of the answer) and the queue moves on.
- The secret header value comes from ``CUSTIFY_WEBHOOK_SECRET`` or ``[watch] webhook_secret``
  in ``.dlt/secrets.toml``; it is held as a masked secret and never logged.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
from dataclasses import dataclass, field
from typing import Any

import httpx
import polars as pl

from custify.settings import ApiKey
from pipelines.events import EVENTS_TABLE
from pipelines.watch.options import WatchOptions
from warehouse import Warehouse

log = logging.getLogger("pipelines.watch")
SENT_TABLE = "_custify_webhook_sent"
DEAD_TABLE = "_custify_webhook_dead"
SINCE_TABLE = "_custify_webhook_since"
DEAD_AFTER = 5
BACKOFF_MAX_S = 300.0
TIMEOUT_S = 10.0
UTC_TS = pl.Datetime("us", "UTC")
SENT_SCHEMA: dict[str, pl.DataType] = {"event_id": pl.String(), "delivered_at": UTC_TS}
DEAD_SCHEMA: dict[str, pl.DataType] = {"event_id": pl.String(), "failed_at": UTC_TS,
                                       "status": pl.Int64(), "error": pl.String()}  # fmt: skip
EVENT_FIELDS = ("event_id", "event_type", "object", "record_id", "origin", "detected_at",
                "updated_at", "changes", "run_id")  # fmt: skip


def webhook_secret() -> ApiKey | None:
    value = os.environ.get("CUSTIFY_WEBHOOK_SECRET")
    if not value:
        try:
            import dlt

            value = dlt.secrets.get("watch.webhook_secret")
        except Exception:  # no dlt secrets file, or no such key
            value = None
    return ApiKey(str(value)) if value else None


@dataclass
class Delivery:
    """The sender of one watch: its receiver, its secret, and when it may try again."""

    options: WatchOptions
    secret: ApiKey | None = None
    transport: Any = None
    retry_at: float = 0.0
    backoff: float = 0.0
    refusals: int = 0
    delivered: int = 0
    last_error: str = ""
    _http: httpx.Client | None = field(default=None, repr=False)

    @property
    def enabled(self) -> bool:
        return bool(self.options.webhook_url)

    def http(self) -> httpx.Client:
        if self._http is None:
            self._http = httpx.Client(timeout=TIMEOUT_S, transport=self.transport)
        return self._http

    def close(self) -> None:
        if self._http is not None:
            self._http.close()

    def flush(self, wh: Warehouse, now: float, since: float, *, max_batches: int = 20) -> int:
        """Send the backlog (up to ``max_batches`` batches); returns what is still queued.
        ``since``: where the backlog starts when this dataset never had a webhook."""
        ensure_tables(wh, since)
        for _ in range(max_batches):
            if now < self.retry_at:
                break
            batch = backlog(wh, self.options.webhook_batch)
            if batch.height == 0:
                break
            if not self._send(wh, batch, now):
                break
        return backlog_count(wh)

    def _send(self, wh: Warehouse, batch: pl.DataFrame, now: float) -> bool:
        body = json.dumps({"events": _events(batch)}, default=str)
        headers = {"Content-Type": "application/json"}
        if self.secret is not None:
            headers[self.options.webhook_header] = self.secret.reveal()
        try:
            answer = self.http().post(self.options.webhook_url, content=body, headers=headers)
            status, text = answer.status_code, answer.text[:200]
        except httpx.HTTPError as exc:  # timeout, refused, reset: the receiver is away
            status, text = None, type(exc).__name__
        stamp = dt.datetime.fromtimestamp(now, dt.UTC)
        if status is not None and 200 <= status < 300:
            mark = batch.select("event_id").with_columns(
                pl.lit(stamp, UTC_TS).alias("delivered_at")
            )
            wh.insert_df(SENT_TABLE, mark)
            self.backoff, self.refusals, self.delivered = 0.0, 0, self.delivered + batch.height
            return True
        self.last_error = f"{status or text}: {text.splitlines()[0] if text else ''}"[:200]
        refused = status is not None and 400 <= status < 500 and status not in (408, 429)
        self.refusals += 1 if refused else 0
        if refused and self.refusals >= DEAD_AFTER:
            dead = batch.select("event_id").with_columns(
                pl.lit(stamp, UTC_TS).alias("failed_at"), pl.lit(status).alias("status"),
                pl.lit(self.last_error).alias("error"),
            )  # fmt: skip
            wh.insert_df(DEAD_TABLE, dead)
            self.refusals = 0
            log.warning("webhook: %d events to the dead letters (%s)", batch.height,
                        self.last_error)  # fmt: skip
            return True
        self.backoff = min(max(1.0, self.backoff * 2), BACKOFF_MAX_S)
        self.retry_at = now + self.backoff
        log.warning("webhook: %s; %d events stay queued, again in %.0f s", self.last_error,
                    batch.height, self.backoff)  # fmt: skip
        return False


def ensure_tables(wh: Warehouse, since: float) -> None:
    wh.create_table(SENT_TABLE, SENT_SCHEMA)
    wh.create_table(DEAD_TABLE, DEAD_SCHEMA)
    if not wh.table_exists(SINCE_TABLE):
        start = dt.datetime.fromtimestamp(since, dt.UTC)
        wh.insert_df(SINCE_TABLE, pl.DataFrame({"since": [start]}, schema={"since": UTC_TS}))


def _pending_sql(wh: Warehouse) -> str:
    return (
        f"FROM {wh.table(EVENTS_TABLE)} e WHERE e.detected_at >= (SELECT min(since) FROM "
        f"{wh.table(SINCE_TABLE)}) AND NOT EXISTS (SELECT 1 FROM {wh.table(SENT_TABLE)} s "
        f"WHERE s.event_id = e.event_id) AND NOT EXISTS (SELECT 1 FROM {wh.table(DEAD_TABLE)} "
        "d WHERE d.event_id = e.event_id)"
    )


def backlog(wh: Warehouse, limit: int) -> pl.DataFrame:
    if not wh.table_exists(EVENTS_TABLE):
        return pl.DataFrame()
    have = wh.columns(EVENTS_TABLE)
    cols = ", ".join(f"e.{wh.quote(c)}" if c in have else f"NULL AS {wh.quote(c)}"
                     for c in EVENT_FIELDS)  # fmt: skip
    return wh.query_df(
        f"SELECT {cols} {_pending_sql(wh)} ORDER BY e.detected_at, e.event_id LIMIT {int(limit)}"
    )


def backlog_count(wh: Warehouse) -> int:
    if not wh.table_exists(EVENTS_TABLE) or not wh.table_exists(SINCE_TABLE):
        return 0
    return int(wh.query_rows(f"SELECT count(*) {_pending_sql(wh)}")[0][0])


def dead_count(wh: Warehouse) -> int:
    if not wh.table_exists(DEAD_TABLE):
        return 0
    return int(wh.query_rows(f"SELECT count(*) FROM {wh.table(DEAD_TABLE)}")[0][0])


def _events(batch: pl.DataFrame) -> list[dict[str, Any]]:
    out = []
    frame = batch.with_columns(pl.col(pl.Datetime).dt.to_string("%Y-%m-%dT%H:%M:%S%.6fZ"))
    for row in frame.iter_rows(named=True):
        changes = row.get("changes")
        if isinstance(changes, str):
            with contextlib.suppress(ValueError):
                row["changes"] = json.loads(changes)
        out.append(row)
    return out
