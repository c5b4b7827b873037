"""Read a ``GET /batch/{id}`` answer whose format Custify does not document (custify-api.md §15).

The notes give the endpoint and that a job's status is kept 6 hours, nothing about the body. So
this parser accepts the shapes the notes and the usual job APIs make plausible, and calls
anything else **unknown**, never success or failure:

- the batch's state: a status word under ``status``/``state`` (``queued``, ``pending``,
  ``processing``, ``in_progress``, ``running`` = pending; ``completed``, ``done``,
  ``finished``, ``success``, ``failed``, ``error`` = done), or a boolean ``done``; the
  document may sit one level down under ``data``/``batch``/``job``/``result``;
- per-job reports under ``results``, ``jobs`` or ``data`` (or none at all);
- a report names its job by ``index`` (0- or 1-based, told apart only when the answer shows
  which) or by the job's own identifier (``user_id``/``email``/``company_id``, an event's
  ``deduplication_id``), checked against each other when both are given;
- a report's outcome: a status word (``success``/``ok``/``completed``... or
  ``failed``/``error``/``rejected``...) or a boolean ``success``/``ok``.

A job no report names, or names ambiguously, is ``unknown``: the caller finds out by reading
the record back, or by sending the row through its single endpoint (``reverse_etl.sender``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from custify.errors import is_transient_status
from models.registry import BATCH_JOB_IDENTIFIERS

PENDING_WORDS = frozenset(
    {"queued", "pending", "processing", "in_progress", "in progress", "running", "started"}
)
DONE_WORDS = frozenset(
    {"completed", "complete", "done", "finished", "success", "succeeded", "failed", "error"}
)
JOB_OK_WORDS = frozenset(
    {"success", "succeeded", "ok", "done", "completed", "complete", "processed", "created",
     "updated"}
)  # fmt: skip
JOB_FAILED_WORDS = frozenset({"failed", "failure", "error", "errored", "rejected", "invalid"})
_STATE_KEYS = ("status", "state")
_DONE_FLAGS = ("done", "completed", "finished")
_WRAPPERS = ("data", "batch", "job", "result")
_REPORT_LISTS = ("results", "jobs", "data")
_INDEX_KEYS = ("index", "jobIndex", "job_index", "position")
_ID_KEYS = ("id", "entityId", "entity_id", "recordId", "record_id")
_REASON_KEYS = ("error", "reason", "message", "errors")
_CODE_KEYS = ("statusCode", "status_code", "code", "httpStatus")
_ECHO_KEYS = ("payload", "input", "request", "job")
#: ``JobOutcome.reason`` of a job no report named (not the row's fault)
NOT_REPORTED = "the batch status did not report this job"


@dataclass(frozen=True)
class JobOutcome:
    """One job of a batch: ``status`` is "success", "failed" or "unknown"."""

    index: int
    type: str
    status: str
    reason: str | None = None
    id: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "success"


@dataclass(frozen=True)
class BatchStatus:
    """``state``: "pending", "done" or "unknown" (a body this parser cannot read)."""

    state: str
    outcomes: tuple[JobOutcome, ...] = ()
    #: seconds from the batch's creation to its completion, when the body states both
    duration_s: float | None = None
    detail: str = ""
    jobs: list[dict[str, Any]] = field(default_factory=list, repr=False)
    #: the answer arrived and its format is one this parser cannot read (not an error)
    unreadable: bool = False

    def outcome(self, index: int) -> JobOutcome:
        if index < len(self.outcomes):
            return self.outcomes[index]
        job = self.jobs[index] if index < len(self.jobs) else {}
        return JobOutcome(index, str(job.get("type", "")), "unknown", NOT_REPORTED)


def read_status(body: Any, jobs: list[dict[str, Any]]) -> BatchStatus:
    """The batch's state and, once done, one outcome per submitted job (in submit order)."""
    doc = _document(body)
    if doc is None:
        return BatchStatus("unknown", detail=_describe(body), jobs=jobs, unreadable=True)
    state = _state(doc)
    if state == "pending":
        return BatchStatus(state, jobs=jobs)
    if state == "unknown":
        return BatchStatus(state, detail=_describe(doc), jobs=jobs, unreadable=True)
    reports = _reports(doc)
    return BatchStatus("done", tuple(_outcomes(reports, jobs)), _duration(doc), jobs=jobs)


def _document(body: Any) -> dict[str, Any] | None:
    """The object that carries the batch's state: the body, or one wrapper level down."""
    if not isinstance(body, dict):
        return None
    if _has_state(body):
        return body
    for key in _WRAPPERS:
        inner = body.get(key)
        if isinstance(inner, dict) and _has_state(inner):
            return inner
    return None


def _has_state(doc: dict[str, Any]) -> bool:
    return any(isinstance(doc.get(k), str) for k in _STATE_KEYS) or any(
        isinstance(doc.get(k), bool) for k in _DONE_FLAGS
    )


def _state(doc: dict[str, Any]) -> str:
    """pending / done / unknown; a word and a flag that disagree are unknown."""
    word = next((str(doc[k]).strip().lower() for k in _STATE_KEYS if isinstance(doc.get(k), str)),
                None)  # fmt: skip
    flag = next((doc[k] for k in _DONE_FLAGS if isinstance(doc.get(k), bool)), None)
    by_word = "pending" if word in PENDING_WORDS else "done" if word in DONE_WORDS else None
    by_flag = None if flag is None else ("done" if flag else "pending")
    if word is not None and by_word is None:
        return "unknown"  # a word we cannot read: whatever the flag says, do not guess
    if by_word and by_flag and by_word != by_flag:
        return "unknown"
    return by_word or by_flag or "unknown"


def _reports(doc: dict[str, Any]) -> list[dict[str, Any]]:
    for key in _REPORT_LISTS:
        value = doc.get(key)
        if isinstance(value, list):
            return [r for r in value if isinstance(r, dict)]
    return []


def _outcomes(reports: list[dict[str, Any]], jobs: list[dict[str, Any]]) -> list[JobOutcome]:
    named: dict[int, list[dict[str, Any]]] = {}
    base = _index_base(reports, len(jobs))
    by_value = _JobIndex(jobs)
    for report in reports:
        index = _named_index(report, jobs, base, by_value)
        if index is not None:
            named.setdefault(index, []).append(report)
    out = []
    for i, job in enumerate(jobs):
        found = named.get(i, [])
        if len(found) != 1:  # none, or two reports claiming one job: no evidence either way
            out.append(JobOutcome(i, job["type"], "unknown", NOT_REPORTED))
            continue
        out.append(_judge(i, job, found[0]))
    return out


def _index_base(reports: list[dict[str, Any]], n: int) -> int | None:
    """0 or 1 when the indexes show which; None when they could be either."""
    indexes = {_int(r, _INDEX_KEYS) for r in reports} - {None}
    if 0 in indexes:
        return 0
    if n in indexes:
        return 1
    return None


def _named_index(
    report: dict[str, Any],
    jobs: list[dict[str, Any]],
    base: int | None,
    index: _JobIndex | None = None,
) -> int | None:
    """The job a report names by its index and/or identifier; None when it names none or
    its index and identifier disagree."""
    by_ident = _by_identifier(report, jobs, index)
    raw = _int(report, _INDEX_KEYS)
    by_index = None
    if raw is not None and base is not None and 0 <= raw - base < len(jobs):
        by_index = raw - base
    if raw is not None and by_index is None and by_ident is None:
        return None  # an index we cannot place, and nothing else to go by
    if by_index is not None and by_ident is not None and by_index != by_ident:
        return None
    if by_index is not None and by_ident is None and _names_other(report, jobs[by_index]):
        return None  # the report's identifier belongs to no job at that index
    return by_ident if by_ident is not None else by_index


def _by_identifier(
    report: dict[str, Any], jobs: list[dict[str, Any]], index: _JobIndex | None = None
) -> int | None:
    """The one job whose identifying payload field the report repeats. ``index`` (built once
    per batch) narrows the jobs to look at to those sharing one of the report's values, so a
    100-job batch costs 100 look-ups instead of 100 x 100 comparisons; same answer."""
    sources = [report, *(report[k] for k in _ECHO_KEYS if isinstance(report.get(k), dict))]
    candidates = range(len(jobs)) if index is None else index.candidates(sources)
    hits = {i for i in candidates if _repeats(sources, jobs[i])}
    return hits.pop() if len(hits) == 1 else None


def _repeats(sources: list[dict[str, Any]], job: dict[str, Any]) -> bool:
    """Does the report repeat the job's most specific identifier that both carry?"""
    payload = _payload(job)
    for key in BATCH_JOB_IDENTIFIERS.get(str(job.get("type")), ()):
        mine = payload.get(key)
        if mine in (None, ""):
            continue  # (a report's id is the record it made unless the job sent one)
        theirs = next((s[key] for s in sources if s.get(key) not in (None, "")), None)
        if theirs is None:
            continue
        return str(theirs) == str(mine)  # the most specific identifier both carry decides
    return False


def _payload(job: dict[str, Any]) -> dict[str, Any]:
    payload = job.get("payload")
    return payload if isinstance(payload, dict) else {}


class _JobIndex:
    """``(identifier, value)`` -> the jobs whose payload carries it, for one batch."""

    def __init__(self, jobs: list[dict[str, Any]]) -> None:
        self.by_value: dict[tuple[str, str], list[int]] = {}
        for i, job in enumerate(jobs):
            payload = _payload(job)
            for key in BATCH_JOB_IDENTIFIERS.get(str(job.get("type")), ()):
                mine = payload.get(key)
                if mine not in (None, ""):
                    self.by_value.setdefault((key, str(mine)), []).append(i)
        self.keys = {key for key, _ in self.by_value}

    def candidates(self, sources: list[dict[str, Any]]) -> set[int]:
        """Jobs that carry a value the report repeats (every job ``_repeats`` can accept)."""
        found: set[int] = set()
        for key in self.keys:
            theirs = next((s[key] for s in sources if s.get(key) not in (None, "")), None)
            if theirs is not None:
                found.update(self.by_value.get((key, str(theirs)), ()))
        return found


def _names_other(report: dict[str, Any], job: dict[str, Any]) -> bool:
    payload: dict[str, Any] = job["payload"] if isinstance(job.get("payload"), dict) else {}
    for key in BATCH_JOB_IDENTIFIERS.get(str(job.get("type")), ()):
        if key == "id":
            continue
        theirs, mine = report.get(key), payload.get(key)
        if theirs not in (None, "") and mine not in (None, "") and str(theirs) != str(mine):
            return True
    return False


def _judge(index: int, job: dict[str, Any], report: dict[str, Any]) -> JobOutcome:
    result: dict[str, Any] = report["result"] if isinstance(report.get("result"), dict) else {}
    word = _word(report) or _word(result)
    flag = next((report[k] for k in ("success", "ok") if isinstance(report.get(k), bool)), None)
    ok = word in JOB_OK_WORDS if word else None
    failed = word in JOB_FAILED_WORDS if word else None
    if ok is None and failed is None and flag is not None:
        ok, failed = flag, not flag
    rid = _text(report, _ID_KEYS) or _text(result, _ID_KEYS)
    kind = str(job.get("type", ""))
    if ok:
        return JobOutcome(index, kind, "success", None, rid)
    if not failed:
        return JobOutcome(index, kind, "unknown", f"unreadable job status {word!r}")
    reason = _text(report, _REASON_KEYS) or _text(result, _REASON_KEYS) or word or "failed"
    code = _int(report, _CODE_KEYS) or _int(result, _CODE_KEYS)
    if code is not None and is_transient_status(code):
        return JobOutcome(index, kind, "unknown", f"{reason} (status {code}: not applied)")
    return JobOutcome(index, kind, "failed", reason, rid)


def _word(report: dict[str, Any]) -> str | None:
    for key in (*_STATE_KEYS, "result"):
        if isinstance(report.get(key), str):
            return str(report[key]).strip().lower()
    return None


def _duration(doc: dict[str, Any]) -> float | None:
    start = _when(doc, ("created_at", "createdAt", "submitted_at", "submittedAt"))
    end = _when(doc, ("completed_at", "completedAt", "finished_at", "finishedAt"))
    if start is None or end is None or end < start:
        return None
    return end - start


def _when(doc: dict[str, Any], keys: tuple[str, ...]) -> float | None:
    for key in keys:
        value = doc.get(key)
        if isinstance(value, str) and len(value) >= 10:
            try:
                parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
            return (parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)).timestamp()
    return None


def _int(mapping: dict[str, Any], keys: tuple[str, ...]) -> int | None:
    for key in keys:
        value = mapping.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def _text(mapping: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = mapping.get(key)
        if isinstance(value, list):
            value = "; ".join(str(v) for v in value) or None
        if value not in (None, "") and not isinstance(value, dict | bool):
            return str(value)
    return None


def _describe(body: Any) -> str:
    """What the unreadable answer looked like (its keys, never its values: ids, e-mails)."""
    if isinstance(body, dict):
        return f"unreadable batch status (keys: {', '.join(sorted(map(str, body))[:8])})"
    return f"unreadable batch status (a JSON {type(body).__name__})"
