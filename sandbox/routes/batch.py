"""``POST /batch`` and ``GET /batch/{id}`` (§15): asynchronous jobs with per-job results.

A job runs exactly the logic of its single endpoint (same validation, same upsert rules), but
only when it completes, like Custify's background worker: once ``faults.batch_delay_s`` of
clock time has passed since the submit, the next request the sandbox handles (of any kind, a
status poll included) completes every due job first. Until then its status is ``queued`` and
nothing is applied, so a client has to poll to learn the outcome (a row is only
done when the job says so). INF: the real processing time is undocumented; polling is not
required to make a job run. ``synchronous: true`` (at most 3 jobs) runs at once and answers
200 with the results (INF). Jobs are kept 6 hours.

The status format is not documented either: ``faults.batch_status_shape`` renders it in other
plausible forms (``shaped``), one of them unreadable on purpose.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from models.registry import (
    BATCH_JOB_IDENTIFIERS,
    BATCH_MAX_JOBS,
    BATCH_MAX_SYNC_JOBS,
    BATCH_PATH,
    BATCH_STATUS_PATH,
)
from sandbox import lookup
from sandbox.routes import appends, people_company
from sandbox.util import ApiError, Req, Resp, bad_request, iso_ms, not_found

if TYPE_CHECKING:
    from sandbox.account import Account

KEEP_S = 6 * 3600.0
#: The registry's batch job types (``Action.batch_job`` and custom data, §15).
JOB_TYPES = tuple(BATCH_JOB_IDENTIFIERS)


def routes() -> list[tuple[str, str, Callable[[Account, Req], Resp], str]]:
    return [
        ("POST", BATCH_PATH, submit, "batch.submit"),
        ("GET", BATCH_STATUS_PATH, status, "batch.status"),
        ("POST", "/custom_data/{model}/{entity}", custom_data_endpoint, "custom_data.upsert"),
    ]


def submit(sb: Account, req: Req) -> Resp:
    body = req.json_object()
    jobs = body.get("jobs")
    sync = bool(body.get("synchronous", False))
    if not isinstance(jobs, list) or not jobs:
        raise bad_request("jobs must be a non-empty array")
    cap = BATCH_MAX_SYNC_JOBS if sync else BATCH_MAX_JOBS
    if len(jobs) > cap:
        raise bad_request(f"jobs: at most {cap} jobs {'when synchronous' if sync else 'a batch'}")
    for i, job in enumerate(jobs):
        if not isinstance(job, dict) or job.get("type") not in JOB_TYPES:
            raise bad_request(f"jobs[{i}].type must be one of {', '.join(JOB_TYPES)}")
        if not isinstance(job.get("payload"), dict):
            raise bad_request(f"jobs[{i}].payload must be an object")
    _expire(sb)
    now = sb.clock.now()
    record: dict[str, Any] = {"id": sb.new_id(), "status": "queued", "synchronous": sync,
              "jobs": copy.deepcopy(jobs), "submitted_t": now, "created_at": iso_ms(now),
              "polls": 0, "results": None, "completed_at": None}  # fmt: skip
    sb.store.batch_jobs[record["id"]] = record
    if not sync:
        sb.store.batch_pending.append(record["id"])
    if sync:
        _run(sb, record)
        return Resp(200, view(record))
    return Resp(202, {"id": record["id"], "status": "queued"})


def status(sb: Account, req: Req) -> Resp:
    _expire(sb)
    record = sb.store.batch_jobs.get(req.params["id"])
    if record is None:
        raise not_found(f"Batch job: {req.params['id']} not found")
    complete_due(sb)  # also done before every request; kept here for direct callers
    record["polls"] += 1
    return Resp(200, shaped(view(record), record, sb.faults.batch_status_shape))


def complete_due(sb: Account) -> None:
    """Run every queued job whose delay has passed, in submit order (the background worker)."""
    pending = sb.store.batch_pending
    if not pending:
        return
    now = sb.clock.now()
    still: list[str] = []
    for jid in pending:
        record = sb.store.batch_jobs.get(jid)
        if record is None or record["status"] == "completed":
            continue
        if now - record["submitted_t"] >= sb.faults.batch_delay_s:
            _run(sb, record)
        else:
            still.append(jid)
    pending[:] = still


def view(record: dict) -> dict:
    out = {k: record[k] for k in ("id", "status", "created_at", "completed_at")}
    out["total"] = len(record["jobs"])
    out["results"] = record["results"]
    return out


#: The payload fields a "nested" report names its job by, per job type (no index there): those
#: naming a job, but its Custify ``id``, which a create does not send.
_NAMED_BY = {
    job: tuple(k for k in fields if k != "id") for job, fields in BATCH_JOB_IDENTIFIERS.items()
}


def shaped(out: dict, record: dict, shape: str) -> dict:
    """The status in the knob's format: "default" as ``view``; "jobs": a boolean ``done``
    and reports under ``jobs`` with ``state``/``entityId``; "nested": everything under
    ``data``, reports carrying the job's identifiers instead of an index, newest first;
    "opaque": a progress summary no reader can map to jobs."""
    done = out["status"] == "completed"
    results = out["results"] or []
    if shape == "jobs":
        jobs = [{"index": r["index"], "state": "succeeded" if r["status"] == "success" else
                 "error", "message": r.get("error"), "entityId": r.get("id")}
                for r in results]  # fmt: skip
        return {"id": out["id"], "done": done, "jobs": jobs if done else []}
    if shape == "nested":
        reports = []
        for r in reversed(results):
            job = record["jobs"][r["index"]]
            names = {k: job["payload"].get(k) for k in _NAMED_BY.get(job["type"], ())
                     if job["payload"].get(k) not in (None, "")}  # fmt: skip
            reports.append({"type": job["type"], **names,
                            "result": {"status": "ok" if r["status"] == "success" else "error",
                                       "id": r.get("id"), "error": r.get("error")}})  # fmt: skip
        state = "finished" if done else "in_progress"
        return {"data": {"batchId": out["id"], "state": state, "data": reports}}
    if shape == "opaque":
        share = 100 if done else 0
        return {"batchId": out["id"], "progress": f"{share}%", "summary": {"jobs": out["total"]}}
    return out


def _expire(sb: Account) -> None:
    now = sb.clock.now()
    for jid in [j for j, r in sb.store.batch_jobs.items() if now - r["submitted_t"] > KEEP_S]:
        del sb.store.batch_jobs[jid]


def _run(sb: Account, record: dict) -> None:
    results = []
    for index, job in enumerate(record["jobs"]):
        try:
            rid = run_job(sb, job["type"], copy.deepcopy(job["payload"]))
            results.append({"index": index, "status": "success", "error": None, "id": rid})
        except ApiError as err:
            results.append({"index": index, "status": "failed", "error": err.message,
                            "statusCode": err.status, "id": None})  # fmt: skip
    record.update(status="completed", results=results, completed_at=sb.now_iso())


def run_job(sb: Account, kind: str, payload: dict) -> str | None:
    """One job through its single endpoint's handler; the resulting record id (or None)."""
    if kind == "people":
        return people_company.upsert_person(sb, _req(sb, "POST", "/people", payload)).body["id"]
    if kind == "company":
        return people_company.upsert_company(sb, _req(sb, "POST", "/company", payload)).body["id"]
    if kind == "event":
        appends.insert_event(sb, _req(sb, "POST", "/event", payload))
        return None
    return upsert_custom_data(sb, payload)


def _req(sb: Account, method: str, path: str, body: dict) -> Req:
    return Req(method, path, {}, body=body, t=sb.clock.now())


def custom_data_endpoint(sb: Account, req: Req) -> Resp:
    body = {**req.json_object(), "entityModel": req.params["model"], "entity": req.params["entity"]}
    return Resp(200, {"id": upsert_custom_data(sb, body)})


def upsert_custom_data(sb: Account, payload: dict) -> str:
    """Custom data keyed by entity + ``data_type`` + ``data_id`` (§15); the entity's id."""
    model = payload.get("entityModel") or ("people" if payload.get("user_id") else "companies")
    if model not in ("companies", "people"):
        raise bad_request("entityModel must be companies or people")
    for name in ("data_type", "data_id"):
        if not isinstance(payload.get(name), str | int) or payload.get(name) == "":
            raise bad_request(f"{name} is required")
    if not isinstance(payload.get("data"), dict):
        raise bad_request("data must be an object")
    if model == "companies":
        owner = lookup.company_or_404(sb.store, id=payload.get("entity"),
                                      company_id=payload.get("company_id"))  # fmt: skip
    else:
        owner = lookup.person_or_404(sb.store, id=payload.get("entity"),
                                     user_id=payload.get("user_id"))  # fmt: skip
    key = (model, owner["id"], str(payload["data_type"]), str(payload["data_id"]))
    sb.store.custom_data[key] = {"data_type": payload["data_type"], "data_id": payload["data_id"],
                                 "data": copy.deepcopy(payload["data"])}  # fmt: skip
    return owner["id"]
