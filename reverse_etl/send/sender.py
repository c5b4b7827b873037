"""Turn diff rows into as few requests as Custify allows, and every answer into a row outcome.

- Actions with a registry ``batch_job`` (people/company upserts, events) go through
  ``POST /batch``, at most ``BATCH_MAX_JOBS`` jobs a request, and are confirmed only on
  evidence; without it, or when the account refuses ``/batch``, through their single
  endpoint (``batch_road.py``).
- Tag changes are grouped by tag and direction into one ``PATCH /tag/entity`` per
  ``TAG_ENTITY_MAX_IDS`` entities (custify-api.md §5).
- Deletes go one by one (they are permanent; one failure must not hide another); a 404 means
  the record is already gone, which is what the delete wanted.
- Gets read one record per row; the record lands in ``<sync>__records``.
- Anything else is one call per row. A create Custify does not deduplicate, whose earlier
  attempt may have reached it, is first looked for (``identify.recovery``) and only sent when it is
  not there; when such a create's answer is lost, the row stays ``sent`` (unknown) rather
  than ``failed``, so the next run looks before it sends.

A request that the API refuses for a group (400/404) is split in halves until the culprit row is
alone, so one bad row costs a few requests instead of its whole group. Retriable errors reach us
only after the client's own retries are spent: those rows are ``failed`` and the next run retries
them. Fatal errors (bad key, bad endpoint) propagate: the run must stop.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import polars as pl

from custify.errors import NotFound, RetriableError
from models.registry import BATCH_MAX_JOBS, TAG_ENTITY_MAX_IDS
from models.types import ActionKind, FieldType
from reverse_etl.config import Op, SyncConfig
from reverse_etl.diff.payload import token
from reverse_etl.identify import find_created, get_all
from reverse_etl.send import batch_road
from reverse_etl.send.outcome import Outcome, split_on_reject
from reverse_etl.validate import uploads

if TYPE_CHECKING:
    from custify.client import CustifyClient


class How(StrEnum):
    """How a unit's rows travel: one request per unit."""

    BATCH = "batch"  # POST /batch, up to BATCH_MAX_JOBS rows
    TAG = "tag"  # PATCH /tag/entity, one tag and direction, up to TAG_ENTITY_MAX_IDS ids
    DELETE = "delete"  # one record
    GET = "get"  # one record read
    CALL = "call"  # the action's own endpoint, one row


#: how the push report names the road of each unit kind that is not a batch
_ROADS = {How.TAG: "tag patch", How.DELETE: batch_road.SINGLE, How.GET: batch_road.SINGLE,
          How.CALL: batch_road.SINGLE}  # fmt: skip


@dataclass
class Unit:
    """One request's worth of diff rows (dicts with ``attempt_id``, ``key``, ``op``, ...)."""

    how: How
    rows: list[dict[str, Any]]

    @classmethod
    def of(cls, how: How, rows: pl.DataFrame) -> Unit:
        return cls(how, rows.to_dicts())


def iter_units(
    cfg: SyncConfig, diff: pl.DataFrame, *, batch: bool = True
) -> Iterator[tuple[How, pl.DataFrame]]:
    """Request-sized slices of the diff (with ``attempt_id``), in sending order: ``(how,
    rows)``. Lazy: a wave turns only its own slices into row dicts (``Unit.of``), so a
    100,000-row push never holds every payload as Python objects at once. ``batch=False``
    (the connection's batch road is closed) sends batch-able rows one call each."""
    op = pl.col("op")
    deletes = diff.filter(op == Op.DELETE)
    gets = diff.filter(op == Op.GET)
    writes = diff.filter(~op.is_in([Op.DELETE, Op.TAG_ADD, Op.TAG_REMOVE, Op.GET]))
    tags = diff.filter(op.is_in([Op.TAG_ADD, Op.TAG_REMOVE]))
    for how, frame in ((How.DELETE, deletes), (How.GET, gets)):
        for i in range(frame.height):
            yield how, frame.slice(i, 1)
    if cfg.action.batch_job and batch:
        for chunk in writes.iter_slices(BATCH_MAX_JOBS):
            yield How.BATCH, chunk
    else:
        for i in range(writes.height):
            yield How.CALL, writes.slice(i, 1)
    for _, group in tags.sort("key").group_by(["tag_id", "op"], maintain_order=True):
        for chunk in group.iter_slices(TAG_ENTITY_MAX_IDS):
            yield How.TAG, chunk


def plan_units(cfg: SyncConfig, diff: pl.DataFrame, *, batch: bool = True) -> list[Unit]:
    """Every unit of the diff at once (``iter_units`` as a list)."""
    return [Unit.of(how, rows) for how, rows in iter_units(cfg, diff, batch=batch)]


class Sender:
    """Sends units through one client; thread-safe (the client is, and this holds no state)."""

    def __init__(
        self, cfg: SyncConfig, client: CustifyClient, claimed: set[str] | None = None
    ) -> None:
        self.cfg = cfg
        self.client = client
        #: ids this sync already confirmed: never taken for another row's lost create
        self.claimed = set(claimed or ())
        #: which road the rows took (batch, read back, single), for the push report
        self.road = batch_road.RoadLog()

    def batch_open(self) -> bool:
        """Does this sync's connection take ``POST /batch`` (as far as it knows)?"""
        return self.client.batch_road.open

    def run(self, unit: Unit) -> list[Outcome]:
        if unit.how is How.BATCH:  # failures inside are judged per row by the batch road
            return split_on_reject(unit.rows, lambda rows: batch_road.send(self, rows))
        handler: Callable[[list[dict[str, Any]]], list[Outcome]] = {
            How.TAG: self._tag,
            How.DELETE: self._delete,
            How.GET: self._get,
            How.CALL: self.call_one,
        }[unit.how]
        closed = self.client.batch_road.why_closed() if self.cfg.action.batch_job else None
        self.road.add(_ROADS[unit.how], len(unit.rows), closed or None)
        return split_on_reject(unit.rows, handler)

    # -- one request each ------------------------------------------------------------------

    def _tag(self, rows: list[dict[str, Any]]) -> list[Outcome]:
        action = self.cfg.action
        body = {
            "ids": [r["custify_id"] for r in rows],
            "type": "add" if rows[0]["op"] == Op.TAG_ADD else "remove",
            "category": self.cfg.target.tag_category,
            "tag": rows[0]["tag_id"],
        }
        self.client.call(action, {k: v for k, v in body.items() if k in action.body})
        return [Outcome(r["attempt_id"], "confirmed", 200, None, r["custify_id"]) for r in rows]

    def _delete(self, rows: list[dict[str, Any]]) -> list[Outcome]:
        (row,) = rows
        action = self.cfg.delete_action
        assert action is not None, "config.parse lets only objects with a delete action delete"
        try:
            self.client.call(action, json.loads(row["payload"]))
        except NotFound:
            return [Outcome(row["attempt_id"], "confirmed", 404, "already gone in Custify")]
        return [Outcome(row["attempt_id"], "confirmed", 200, None, row.get("custify_id"))]

    def _get(self, rows: list[dict[str, Any]]) -> list[Outcome]:
        (row,) = rows
        target, match = self.cfg.target, self.cfg.match
        found_all = get_all(self.client, self.cfg.action, json.loads(row["payload"]))
        if not found_all:
            note = f"{match}: no {target.name} record with {match} '{row['key']}' in Custify"
            return [Outcome(row["attempt_id"], "rejected", 404, note)]
        if len(found_all) > 1:  # several records answer to it (§2): say which, read none
            ids = ", ".join(sorted(str(r.get("id")) for r in found_all))
            note = (f"{match}: {len(found_all)} {target.name} records have {match} "
                    f"'{row['key']}' (ids {ids}); name one of them by its Custify id")  # fmt: skip
            return [Outcome(row["attempt_id"], "rejected", 200, note)]
        (found,) = found_all
        rid = str(found.get(self.cfg.target.id_field) or found.get("id") or "") or None
        record = json.dumps(found, sort_keys=True, default=str)
        return [Outcome(row["attempt_id"], "confirmed", 200, None, rid, record)]

    def call_one(self, rows: list[dict[str, Any]]) -> list[Outcome]:
        (row,) = rows
        call = Call.build(self.cfg, row)
        if self.cfg.action.recovery is not None and row.get("recheck"):
            found = self._recover(call, row)
            if found is not None:
                return [found]
        try:
            body = self.client.call(self.cfg.action, call.payload, files=call.files)
        except RetriableError as exc:
            if not (exc.maybe_applied and self.cfg.action.duplicates_on_retry):
                raise
            note = f"{exc} (may have been applied: looked for before it is sent again)"
            return [Outcome(row["attempt_id"], "sent", exc.status, note)]
        rid = body.get("id") if isinstance(body, dict) else None
        # answers without the record (a kept score) are about the record the request named
        named = call.payload.get(_id_field(self.cfg.action) or "id")
        rid = rid or row.get("custify_id") or (str(named) if named else None)
        return [Outcome(row["attempt_id"], "confirmed", 200, None, rid)]

    def _recover(self, call: Call, row: dict[str, Any]) -> Outcome | None:
        """A create whose earlier attempt may have landed: confirm the record it made, or (an
        upsert whose content changed since) turn the resend into an update of that record."""
        found = find_created(
            self.client, self.cfg.action, call.payload, since=row.get("since"),
            claimed=self.claimed, token=token(self.cfg.name, row["key"]), upload=call.upload,
        )  # fmt: skip
        if found is None:
            return None
        self.claimed.add(found)
        if (
            self.cfg.action.kind is ActionKind.UPSERT
            and row.get("prev_hash") != row["payload_hash"]
        ):
            call.payload[_id_field(self.cfg.action) or "id"] = found
            return None
        note = "found in Custify: the unconfirmed earlier attempt had created it"
        return Outcome(row["attempt_id"], "confirmed", 200, note, found)


def _id_field(action: Any) -> str | None:
    """The internal-id identifier of an update/upsert keyed on it (``id`` or ``_id``)."""
    return next((i.name for i in action.identifiers if i.name in ("id", "_id")), None)


@dataclass
class Call:
    """One per-row request: the JSON payload, plus the file part of an upload."""

    payload: dict[str, Any]
    files: dict[str, Any] | None = None
    upload: tuple[str, int] | None = None

    @classmethod
    def build(cls, cfg: SyncConfig, row: dict[str, Any]) -> Call:
        """The row's request; an upsert keyed on the internal id this tool remembers (notes,
        comments, tags created earlier) updates that record instead of creating another."""
        payload = json.loads(row["payload"])
        ident = _id_field(cfg.action)
        remembered = row.get("custify_id")
        if ident and remembered and row["op"] != "create" and not payload.get(ident):
            payload[ident] = remembered
        call = cls(payload)
        for name, ftype in cfg.action.body.items():
            if ftype is FieldType.FILE and name in payload and cfg.files_dir is not None:
                file_name, data = uploads.read(cfg.files_dir, str(payload.pop(name)))
                call.files, call.upload = {name: (file_name, data)}, (file_name, len(data))
        return call
