"""What a push did, per sync and overall; the CLI renders it and takes the exit code from it."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    from reverse_etl.engine.sync_plan import SyncPlan


@dataclass
class SyncReport:
    name: str
    run_id: str
    dry_run: bool = False
    #: diff rows per op (upsert, update, create, delete, tag_add, tag_remove, event)
    planned: dict[str, int] = field(default_factory=dict)
    #: rows not sent and why (unchanged, skipped_by_mode, held_rejected, held_backoff, ...)
    skipped: dict[str, int] = field(default_factory=dict)
    sent: int = 0
    confirmed: int = 0
    rejected: int = 0  # invalid rows plus rows Custify refused
    failed: int = 0
    #: accepted by Custify without a final status (a batch that never reported); retried later
    unconfirmed: int = 0
    requests: int = 0
    #: the road the rows took: "batch", "single (batch = off)", "100 batch, 50 single
    #: (fallback after 404 on POST /batch)", "tag patch", ...
    road: str = ""
    warnings: list[str] = field(default_factory=list)
    sample: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    #: planned field changes per reason (new, changed, set back, unset, delete, ...)
    changes: dict[str, int] = field(default_factory=dict)
    #: a few planned field changes (key, op, field, holds, sends, why) for a reader
    examples: list[dict[str, Any]] = field(default_factory=list)
    #: CPU and wall seconds per stage (read, validate, diff, send, ...): ``stages.Stages``
    stages: dict[str, dict[str, float]] = field(default_factory=dict)

    @classmethod
    def from_plan(cls, plan: SyncPlan, run_id: str, dry_run: bool) -> SyncReport:
        summary = plan.summary()
        return cls(
            name=plan.cfg.name,
            run_id=run_id,
            dry_run=dry_run,
            planned=summary["ops"],
            skipped={k: v for k, v in plan.counts.items() if v},
            rejected=plan.rejected.height,
            warnings=list(plan.warnings),
            sample=summary["sample"],
            changes=plan.why_counts(),
            examples=plan.examples(),
        )

    def add(self, statuses: pl.Series, *, sent: int) -> None:
        counts = dict(statuses.value_counts().iter_rows())
        self.sent += sent
        self.confirmed += int(counts.get("confirmed", 0))
        self.rejected += int(counts.get("rejected", 0))
        self.failed += int(counts.get("failed", 0))
        self.unconfirmed += int(counts.get("sent", 0))

    @property
    def ok(self) -> bool:
        return not (self.rejected or self.failed or self.unconfirmed or self.error)

    def run_row(self, started: dt.datetime, finished: dt.datetime, plan: dict) -> dict:
        status = "dry_run" if self.dry_run else ("ok" if self.ok else "incomplete")
        if self.error:
            status = "error"
        if self.road:
            plan = {**plan, "road": self.road}
        return {
            "run_id": self.run_id, "sync": self.name, "started_at": started,
            "finished_at": finished, "dry_run": self.dry_run, "status": status,
            "plan": json.dumps(plan, default=str), "sent": self.sent, "confirmed": self.confirmed,
            "rejected": self.rejected, "failed": self.failed, "requests": self.requests,
        }  # fmt: skip


@dataclass
class PushReport:
    run_id: str
    dry_run: bool
    syncs: list[SyncReport]

    @property
    def requests(self) -> int:
        return sum(s.requests for s in self.syncs)

    @property
    def exit_code(self) -> int:
        """0 when every row is confirmed, 1 when some were rejected or failed (a dry run with
        invalid rows is 1 too, so CI catches them before a real push)."""
        return 0 if all(s.ok for s in self.syncs) else 1

    def totals(self) -> dict[str, int]:
        keys = ("sent", "confirmed", "rejected", "failed", "unconfirmed", "requests")
        return {k: sum(getattr(s, k) for s in self.syncs) for k in keys}


@dataclass
class SyncStatus:
    name: str
    last_run_id: str | None
    last_run_at: dt.datetime | None
    last_status: str | None
    confirmed: int
    pending: int
    failed: int
    rejected: int
