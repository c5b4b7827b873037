"""State shared by the resources of one run: the request pool, plans, reports, id listings.

A ``RunContext`` is what ties the generated resources together without globals: the client
and its request pool (opened when the first resource starts, closed when the last one ends),
the run id stamped on trigger events, the clock (injectable, models/clock.py), the per-object
reports that ``run_extract`` turns into its summary, and the deletes found by reconciliation
that are applied after the load (``reconcile.py``).
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from custify.client import CustifyClient
from models.clock import Clock, RealClock
from models.registry import CustifyObject
from models.stop import StopFlag
from pipelines.conform import Change, Known
from pipelines.cursor import Cursors
from pipelines.fetch import Fetcher
from pipelines.first_load import warehouse_tables
from pipelines.jobs import SCOPED, IdSet, Plan, list_ids, stream_keys
from pipelines.options import RETRY_UNSCOPED_S, ExtractOptions
from warehouse.forgotten import Tombstones


@dataclass
class ObjectReport:
    """One object's line in the run summary (and the progress callback's payload)."""

    object: str
    mode: str = "pending"  # incremental, full, skipped
    status: str = "pending"  # pending, running, done, skipped, failed
    rows: int = 0
    pages: int = 0
    requests: int = 0
    rate_limited: int = 0
    retries: int = 0
    events: dict[str, int] = field(default_factory=dict)
    cursor: str | None = None
    previous_cursor: str | None = None
    unstable: bool = False
    baseline: bool = False
    note: str = ""
    deleted: int = 0
    reconcile: str = ""  # "", "done", or why it was not trusted
    #: the server's page cap, when it proved lower than the size asked (see custify.pagination)
    page_cap: int | None = None
    #: "" (the registry's list) or "scoped" (per parent: the unscoped list was refused)
    listing: str = ""
    #: status "failed": the one line naming the object, what Custify answered and what to do
    error: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def new_run_id(clock: Clock) -> str:
    stamp = datetime.fromtimestamp(clock.now(), UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{uuid.uuid4().hex[:8]}"


class RunContext:
    """One extract run: its client, options, reports, request pool and id listings (the
    ``JobContext`` every object's job reads). Without a client it only names the resources
    (Dagster's asset definitions); nothing can be fetched."""

    def __init__(
        self,
        client: CustifyClient | None,
        *,
        options: ExtractOptions | None = None,
        clock: Clock | None = None,
        full_refresh: bool = False,
        reconcile: bool = False,
        explicit: bool = False,
        progress: Callable[[ObjectReport], None] | None = None,
        run_id: str | None = None,
        stop: StopFlag | None = None,
    ) -> None:
        self.client = client
        self.options = options or ExtractOptions()
        self.clock: Clock = clock or (client.clock if client else None) or RealClock()
        self.full_refresh, self.reconcile, self.explicit = full_refresh, reconcile, explicit
        self.progress_cb = progress
        self.stop = stop
        self.run_id = run_id or new_run_id(self.clock)
        self.concurrency = int((client.settings.concurrency if client else 0) or 8)
        self.reports: dict[str, ObjectReport] = {}
        self.changes: list[Change] = []
        self.pending_deletes: dict[str, list[str]] = {}
        self.known: Known | None = None
        #: the dataset's tombstones of forgotten people, read once per run (pipelines.forgotten)
        self.forgotten: Tombstones | None = None
        self._fetcher: Fetcher | None = None
        self._active = 0
        self._lock = threading.RLock()
        self._id_sets: dict[str, IdSet | BaseException] = {}
        self._id_locks: dict[str, threading.Lock] = {}
        self._sql: Any = None  # (context manager, client): one warehouse connection per run
        #: the dataset's tables in the warehouse before this run's load (see first_tables)
        self._tables: frozenset[str] | None = None
        self._tables_asked = False
        #: the first error of any object: the one to report when the others were cancelled
        self.first_error: BaseException | None = None

    # -- request pool, opened by the first resource and closed by the last -------------------
    def acquire(self) -> Fetcher:
        with self._lock:
            if self._fetcher is None:
                if self.client is None:
                    raise ValueError("this run has no client: pass client=CustifyClient(...)")
                self._fetcher = Fetcher(self.client, self.concurrency, self.stop)
            self._active += 1
            return self._fetcher

    def release(self) -> None:
        with self._lock:
            self._active -= 1
            if self._active == 0:
                if self._fetcher is not None:
                    self._fetcher.close()
                    self._fetcher = None
                self.close_sql()

    def sql(self, pipeline: Any) -> Any:
        """The run's SQL client on the destination (main thread only; opened on first use).

        Opening a dlt SQL client resolves the destination configuration again (tens of ms),
        so event detection shares one per run instead of one per batch.
        """
        if self._sql is None:
            manager = pipeline.sql_client()
            self._sql = (manager, manager.__enter__())
        return self._sql[1]

    def first_tables(self, pipeline: Any) -> frozenset[str] | None:
        """The dataset's tables as the warehouse listed them when first asked in this run (the
        extract step: before this run loads anything), None when that is not known for sure
        (``pipelines.first_load``)."""
        if not self._tables_asked:
            self._tables, self._tables_asked = warehouse_tables(lambda: self.sql(pipeline)), True
        return self._tables

    def close_sql(self) -> None:
        if self._sql is not None:
            manager, self._sql = self._sql[0], None
            manager.__exit__(None, None, None)

    def fail(self, exc: BaseException) -> None:
        with self._lock:
            if self.first_error is None:
                self.first_error = exc

    def detected_at(self) -> datetime:
        return datetime.fromtimestamp(self.clock.now(), UTC)

    # -- planning ------------------------------------------------------------------------------
    def plan(self, obj: CustifyObject, state: dict[str, Any]) -> Plan:
        """Incremental from the stored cursors, full when there are none, skip when not due."""
        cursors = Cursors.from_state(state)
        initialized = bool(state.get("initialized"))
        report = self.report(obj.name)
        report.previous_cursor = state.get("cursor")
        interval = self.options.interval(obj.name)
        last = state.get("last_scan_at")
        # a reconcile covers every object whatever its interval: a company deleted in Custify
        # takes its objectives with it, and they must be marked at this reconcile
        if interval and last and not (self.explicit or self.full_refresh or self.reconcile):
            due_in = float(last) + interval - self.clock.now()
            if due_in > 0:
                return Plan(obj, "skip", cursors, reason=f"not due for {due_in:.0f} s")
        full = self.full_refresh or not cursors.covers(stream_keys(obj))
        if self.reconcile and obj.name not in ("people", "companies"):
            full = True  # the full list doubles as the id listing (one scan, not two)
        mode = "full" if full else "incremental"
        # a full refresh replaces the object's rows: what Custify no longer lists goes (or is
        # marked) as ``delete_mode`` says, exactly as a reconcile does
        reconcile = self.reconcile or self.full_refresh
        return Plan(obj, mode, cursors, baseline=not initialized, reconcile=reconcile,
                    listing=self._listing(state), names=dict(state.get("names") or {}),
                    seen={} if full else dict(state.get("seen_parents") or {}))  # fmt: skip

    def _listing(self, state: dict[str, Any]) -> str:
        """The scoped listing a previous run fell back to, until it is time to retry the
        unscoped list (on --full-refresh, or ``RETRY_UNSCOPED_S`` after the fallback)."""
        if state.get("listing") != SCOPED or self.full_refresh:
            return ""
        since = float(state.get("scoped_at") or 0)
        return "" if self.clock.now() - since > RETRY_UNSCOPED_S else SCOPED

    def report(self, name: str) -> ObjectReport:
        with self._lock:
            return self.reports.setdefault(name, ObjectReport(name))

    def publish(self, name: str) -> None:
        """Refresh request counts and tell the progress callback (main thread only)."""
        report = self.report(name)
        if self._fetcher is not None:
            stats = self._fetcher.stats(name)
            report.pages = stats["pages"]
            report.requests = stats["requests"]
            report.rate_limited = stats["rate_limited"]
            report.retries = stats["retries"]
        if self.progress_cb is not None:
            self.progress_cb(report)

    def count_events(self, name: str, types: list[str]) -> None:
        report = self.report(name)
        report.events = dict(Counter(report.events) + Counter(types))

    # -- id listings (reconcile; objectives need the company ids) ------------------------------
    def id_set(self, obj: CustifyObject, fetcher: Fetcher, tag: str) -> IdSet:
        """Custify's ids of ``obj``, listed once per run and shared between objects."""
        with self._lock:
            lock = self._id_locks.setdefault(obj.name, threading.Lock())
        with lock:
            if obj.name not in self._id_sets:
                window = self.options.page_window
                size = self.options.page_size_for(obj)
                try:
                    self._id_sets[obj.name] = list_ids(fetcher, obj, tag, window, size)
                except Exception as exc:  # every object that needs it fails alike, once
                    self._id_sets[obj.name] = exc
            found = self._id_sets[obj.name]
            if isinstance(found, BaseException):
                raise found
            return found
