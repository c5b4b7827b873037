"""People, company and event rows through ``POST /batch``, confirmed only on evidence.

``POST /batch`` answers 202 and a job id; the job's status format is not documented
(custify-api.md §15, ``custify.batch_status``). A row sent this way is confirmed only by

1. a job result that names it (by index or by its identifier) and says it succeeded, or
2. a read-back of the record (people by id/user_id/e-mail, companies by id/company_id,
   through the registry's get action) that holds every value the row sent.

Rows with neither go through their single endpoint (``POST /people``, ``POST /company``,
``POST /event``: the action's own path) in the same rate budget and wave, ledgered like any
write. Resending is safe: those writes are upserts by identifier, and events carry a
``deduplication_id`` (§4), so an event resent through ``POST /event`` that answers 202 is
confirmed. A job result that says the job failed rejects its row with Custify's reason.

When ``/batch`` itself is refused (400/403/404/405 on the endpoint, not on a job), or the
connection says ``batch = "off"``, every row goes through the single endpoints; the client's
``BatchRoad`` remembers the refusal for the rest of the run (``roads.py`` across runs).
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol

from custify import batch_worker as custify_batch
from custify.errors import CustifyError, NotFound, endpoint_refused
from models.registry import BATCH_PATH, REGISTRY
from models.types import ActionKind
from reverse_etl.identify import same
from reverse_etl.send.outcome import Outcome, split_on_reject

if TYPE_CHECKING:
    from custify.client import CustifyClient
    from reverse_etl.config import SyncConfig


class RoadSender(Protocol):
    """What the batch road needs of the sender that hands it rows."""

    cfg: SyncConfig
    client: CustifyClient
    road: RoadLog

    def call_one(self, rows: list[dict[str, Any]]) -> list[Outcome]: ...


#: roads a row can take, as the push report names them
BATCH, READ_BACK, SINGLE = "batch", "read back", "single"


class RoadLog:
    """Rows per road and why rows left the batch road (thread-safe), for the push report."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.rows: Counter[str] = Counter()
        self.reasons: dict[str, None] = {}
        #: some batch was accepted: rows on other roads fell back from it
        self.submitted = False

    def add(self, road: str, n: int, reason: str | None = None) -> None:
        with self._lock:
            self.rows[road] += n
            if reason:
                self.reasons.setdefault(reason, None)

    def describe(self) -> str:
        """``batch``, ``single (batch = off)``, or ``100 batch, 50 single (fallback after
        unreadable batch status ...)``."""
        with self._lock:
            rows = {road: n for road, n in self.rows.items() if n}
            reasons, submitted = "; ".join(self.reasons), self.submitted
        if not rows or set(rows) == {BATCH}:
            return BATCH if rows else ""
        if not submitted:  # the road was closed before any row went (refused, off)
            return ", ".join(f"{r} ({reasons})" if reasons else r for r in rows)
        order = [BATCH, READ_BACK, SINGLE, *sorted(set(rows) - {BATCH, READ_BACK, SINGLE})]
        parts = ", ".join(f"{rows[r]} {r}" for r in order if r in rows)
        return f"{parts} (fallback after {reasons})" if reasons else parts


def send(sender: RoadSender, rows: list[dict[str, Any]]) -> list[Outcome]:
    """One batch unit: submit (unless the road is closed), poll, then look for evidence."""
    road = sender.client.batch_road
    jobs = [{"type": sender.cfg.action.batch_job, "payload": json.loads(r["payload"])}
            for r in rows]  # fmt: skip
    accepted, job_id = _submit(sender, jobs)
    if not accepted:
        return single(sender, rows, road.why_closed())
    sender.road.submitted = True
    state = custify_batch.poll(sender.client, job_id, jobs, submitted_at=sender.client.clock.now())
    return _judge(sender, rows, state)


def _submit(sender: RoadSender, jobs: list[dict[str, Any]]) -> tuple[bool, str | None]:
    """``(accepted, job id)``; a refusal of the endpoint itself closes the client's road."""
    road = sender.client.batch_road
    with road.probe():  # the first submit of an unknown road goes alone
        if not road.open:
            return False, None
        try:
            return True, custify_batch.submit(sender.client, jobs)
        except CustifyError as exc:
            if not endpoint_refused(exc):
                raise
            road.refuse(f"{exc.status} on POST {BATCH_PATH}")
            return False, None


def _judge(sender: RoadSender, rows: list[dict[str, Any]], state: Any) -> list[Outcome]:
    out: dict[str, Outcome] = {}
    unknown: list[dict[str, Any]] = []
    for i, row in enumerate(rows):
        job = state.outcome(i) if state.state == "done" else None
        if job is not None and job.status == "success":
            out[row["attempt_id"]] = Outcome(row["attempt_id"], "confirmed", 202, None,
                                             job.id or row.get("custify_id"))  # fmt: skip
        elif job is not None and job.status == "failed":
            out[row["attempt_id"]] = Outcome(row["attempt_id"], "rejected", None, job.reason)
        else:
            unknown.append(row)
    if unknown:
        why = _why_unknown(state)
        found = read_back(sender, unknown, why)
        out.update(found)
        rest = [r for r in unknown if r["attempt_id"] not in found]
        for o in single(sender, rest, why) if rest else []:
            out[o.attempt_id] = o
    sender.road.add(BATCH, len(rows) - len(unknown))
    return [out[r["attempt_id"]] for r in rows]


def _why_unknown(state: Any) -> str:
    if state.state == "pending":
        return f"no final batch status after {custify_batch.POLL_TIMEOUT_S:g}s"
    if state.state == "unknown":
        return state.detail or "an unreadable batch status"
    return "batch jobs the status did not report"


def read_back(sender: RoadSender, rows: list[dict[str, Any]], why: str) -> dict[str, Outcome]:
    """Rows whose record Custify now holds with every value they sent: confirmed."""
    target = REGISTRY[sender.cfg.action.object]
    get = next((a for a in target.actions if a.kind is ActionKind.GET), None)
    if get is None:  # events have no read-back (§4): their resend is deduplicated instead
        return {}
    note = f"confirmed by reading the record back ({why})"

    def one(row: dict[str, Any]) -> list[Outcome]:
        payload = json.loads(row["payload"])
        record = _read(sender.client, get, payload)
        if record is None or not holds(record, payload):
            return []
        rid = str(record.get("id") or row.get("custify_id") or "") or None
        return [Outcome(row["attempt_id"], "confirmed", 200, note, rid)]

    out = {o.attempt_id: o for o in _each(sender, rows, one)}
    sender.road.add(READ_BACK, len(out), why if out else None)
    return out


def _read(client: Any, get: Any, payload: dict[str, Any]) -> dict[str, Any] | None:
    for ident in get.identifiers:  # id, then the user's own identifiers (§2, §3)
        value = payload.get(ident.name)
        if value in (None, ""):
            continue
        try:
            return client.call(get, by=ident.name, value=value)
        except NotFound:
            return None
    return None


def holds(record: dict[str, Any], payload: dict[str, Any]) -> bool:
    """Does the read record hold every value the payload sets (and none it unsets)?

    Links (``companies``, ``parent_companies``) read back as Custify ids, not as the
    ``{company_id}`` objects sent (§2, §3): a payload setting one has no read-back evidence.
    A user attribute sent as an e-mail reads back as the user's id plus ``<attr>_email``."""
    for key, value in payload.items():
        if key == "$unset":
            if any(_path(record, p) not in (None, "") for p in value or ()):
                return False
        elif key == "custom_attributes" and isinstance(value, dict):
            attrs = record.get("custom_attributes") or {}
            for name, mine in value.items():
                theirs = attrs.get(name)
                if (mine is None and theirs is not None) or (
                    mine is not None and not same(mine, theirs)
                ):
                    return False
        elif isinstance(value, list | dict) or not (
            same(value, record.get(key)) or same(value, record.get(f"{key}_email"))
        ):
            return False
    return True


def _path(record: dict[str, Any], path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def single(sender: RoadSender, rows: list[dict[str, Any]], reason: str) -> list[Outcome]:
    """The rows through the action's single endpoint, a few at a time in the same budget."""
    act = sender.cfg.action
    note = f"sent through {act.method} {act.path} ({reason})"

    def one(row: dict[str, Any]) -> list[Outcome]:
        outs = split_on_reject([row], sender.call_one)
        return [replace(o, error=o.error or note) if o.status == "confirmed" else o
                for o in outs]  # fmt: skip

    sender.road.add(SINGLE, len(rows), reason)
    return _each(sender, rows, one)


def _each(
    sender: RoadSender, rows: list[dict[str, Any]], fn: Callable[[dict[str, Any]], list[Outcome]]
) -> list[Outcome]:
    """``fn`` per row, a few rows in flight at once (the connection's ``concurrency``; the
    client's rate budget paces them all)."""
    if len(rows) <= 1:
        return [o for r in rows for o in fn(r)]
    workers = max(1, min(len(rows), int(getattr(sender.client.settings, "concurrency", 4))))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="batch-road") as pool:
        return [o for outs in pool.map(fn, rows) for o in outs]
