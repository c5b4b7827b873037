"""One object's scan, run in the background and handed to its dlt resource batch by batch.

A coordinating thread per object drives the scans of ``scan.py`` (pages on the shared request
pool), deduplicates rows on id (a row read twice because the list shifted is the same record;
the first copy seen is the newest, see ``scan.py``), builds polars/Arrow batches of
``batch_rows`` rows and puts them on a small bounded queue. The resource generator polls that
queue without blocking (it yields ``None`` while nothing is ready, which lets dlt round-robin
over all objects), so every object is fetched at once and memory stays flat.

Lists with variants (segments and playbooks of both types, §18.17) are one stream per variant;
objectives (§14, quirk 18) are one stream per company, whose ids come from an id-only company
listing (``properties``, §1.7); survey responses are one stream per survey, comments one per
note and task that changed (``parents.py``, §9, §11). Files may only be listable per company
or person (§10, §19): when the unscoped list is refused, the registry's ``scoped_by`` parents
are listed instead, and the plan remembers it for later runs.

An error on one object's list (``custify.errors.list_failure``: 403, 404, another 4xx, the
paging guard, Custify failing past the retries) ends that object's scan only: its work still
in flight is settled, and the other objects' scans go on. Any other error cancels the run.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import CancelledError, Future
from dataclasses import dataclass, field
from typing import Any, Protocol

from custify.errors import ListFailure, NotFound, list_failure
from models.registry import CustifyObject, ParentList, get_object
from models.types import SortStyle
from pipelines.cursor import Cursors
from pipelines.fetch import Cancelled, Completions, Fetcher
from pipelines.frames import build_batch
from pipelines.idkeys import IdKeys
from pipelines.options import ExtractOptions
from pipelines.parents import changed_parents, keyed_names
from pipelines.scan import StreamResult, scan_concurrent, scan_sequential, settle

DONE = object()
ID_PROPERTIES = '["id"]'
#: the list is read per parent (the registry's ``scoped_by``) because the unscoped one was refused
SCOPED = "scoped"
#: refusals of the unscoped list that a scoped list may get past (§10, §19)
SCOPABLE = (ListFailure.FORBIDDEN, ListFailure.MISSING, ListFailure.REFUSED)


@dataclass
class Plan:
    """What the resource will do for one object in this run."""

    obj: CustifyObject
    mode: str  # "incremental", "full" or "skip"
    #: the object's cursors per stream: stored ones in, this run's advances out
    cursors: Cursors = field(default_factory=Cursors)
    baseline: bool = False  # first scan of the object: no trigger events (see events.py)
    reconcile: bool = False
    reason: str = ""
    listing: str = ""  # "" = the registry's list; SCOPED = per ``scoped_by`` parent
    #: the keyed lists' names the last scan wrote (``ObjectJob.names``)
    names: dict[str, dict[str, str]] = field(default_factory=dict)
    #: the parents near the cursor whose children the last scan read (``ObjectJob.new_seen``)
    seen: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass
class IdSet:
    """Custify's current ids of one object, and whether the listing can be trusted."""

    ids: set[str] | IdKeys  # iterating gives the ids as Custify wrote them
    trusted: bool
    reason: str = ""


def stream_keys(obj: CustifyObject) -> list[str]:
    if obj.per_parent:
        return ["*"]
    if obj.parent_lists:
        return [p.key for p in obj.parent_lists]
    return [v.label for v in obj.variants] or [""]


class JobContext(Protocol):
    """What an object's job needs of its run (``pipelines.context.RunContext`` is one); a
    protocol, so the run can build jobs without the two modules importing each other."""

    options: ExtractOptions
    concurrency: int
    first_error: BaseException | None

    def fail(self, exc: BaseException) -> None: ...

    def id_set(self, obj: CustifyObject, fetcher: Fetcher, tag: str) -> IdSet: ...


#: one parent list to read: (query or path parameter, parent id, other path parameters or
#: None when the parent goes in the query)
ParentItem = tuple[str, str, Mapping[str, str] | None]


class ObjectJob:
    """Background scan of one object; ``poll()`` returns a Batch, None (not yet) or DONE."""

    def __init__(self, plan: Plan, fetcher: Fetcher, ctx: JobContext) -> None:
        self.plan, self.obj, self.fetcher, self.ctx = plan, plan.obj, fetcher, ctx
        self.tag = self.obj.name
        self.queue: queue.Queue = queue.Queue(maxsize=ctx.options.queue_batches)
        self.seen = IdKeys()
        self.rows = 0
        self._buffer: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self.results: dict[str, StreamResult] = {}
        self.ids: IdSet | None = None
        self.error: BaseException | None = None
        self.listing = plan.listing  # how the list was read this run (saved in the state)
        self.fallback = ""  # why the scoped listing was used, for the report
        #: parent object -> parents whose lists were read (comments: the changed ones)
        self.parents_read: dict[str, int] = {}
        #: keyed list -> entry key -> name (health-score definitions, read before the scan)
        self.names: dict[str, dict[str, str]] = {}
        self.renamed = False  # the names changed since the last scan: a full scan this run
        #: per changed-only parent list: parent id -> the version whose children were read
        self.new_seen: dict[str, dict[str, str]] = {}
        self._closed = False  # set once DONE is queued: late rows are dropped, never queued
        self._thread = threading.Thread(target=self._run, name=f"scan-{self.tag}", daemon=True)

    def start(self) -> ObjectJob:
        self._thread.start()
        return self

    def poll(self) -> Any:
        try:
            return self.queue.get_nowait()
        except queue.Empty:
            return None

    def join(self) -> None:
        """Wait for the scan; raise its error, or the error that cancelled the whole run."""
        self._thread.join()
        if isinstance(self.error, Cancelled | CancelledError) and self.ctx.first_error:
            raise self.ctx.first_error
        if self.error is not None:
            raise self.error

    # -- producing ---------------------------------------------------------------------------
    def emit(self, rows: list[dict[str, Any]]) -> None:
        """Accept rows from any pool thread: dedup on id, flush full batches."""
        id_field = self.obj.id_field
        with self._lock:
            if self._closed:
                return
            rows = [r for r in rows if r.get(id_field) is not None]
            fresh = self.seen.add_new([r[id_field] for r in rows])
            self._buffer.extend(r for r, new in zip(rows, fresh, strict=True) if new)
            ready = None
            if len(self._buffer) >= self.ctx.options.batch_rows:
                ready, self._buffer = self._buffer, []
        if ready:
            self._put(build_batch(self.obj, ready, self.names))

    def _flush(self) -> None:
        with self._lock:
            ready, self._buffer = self._buffer, []
        if ready:
            self._put(build_batch(self.obj, ready, self.names))

    def _put(self, item: Any) -> None:
        if item is DONE:
            self._closed = True
        elif self._closed:
            return
        else:
            self.rows += item.rows
        while True:
            try:
                self.queue.put(item, timeout=0.05)
                return
            except queue.Full:
                if self.fetcher.cancelled and item is not DONE:
                    raise Cancelled() from None

    def _run(self) -> None:
        try:
            self.names = keyed_names(self.fetcher, self.tag, self.ctx.options, self.obj)
            if self.names and self.names != self.plan.names and self.plan.mode == "incremental":
                # a renamed definition: every record's rows carry the old name, read them all
                self.plan.mode, self.renamed = "full", True
            self._scan()
            self._flush()
            if self.plan.reconcile:
                self.ids = self._id_set()
        except BaseException as exc:  # surfaced by the resource generator in the main thread
            self.error = exc
            if not isinstance(exc, Cancelled | CancelledError) and list_failure(exc) is None:
                self.ctx.fail(exc)  # not this object's alone: the whole run stops
                self.fetcher.cancel()
        finally:
            self._put(DONE)

    # -- scanning ----------------------------------------------------------------------------
    def _scan(self) -> None:
        if self.obj.per_parent:
            parent, param = self.obj.per_parent
            self._scan_parents([(parent, param, None)], "*")
        elif self.obj.parent_lists:
            for under in self.obj.parent_lists:
                if under.changed_only:
                    self._scan_changed_parents(under)
                else:
                    self._scan_parents([(under.object, under.param, under.fixed)], under.key)
        elif self.listing == SCOPED:
            self._scan_parents([(o, p, None) for o, p in self.obj.scoped_by], "")
        else:
            self._scan_streams()

    def _scan_streams(self) -> None:
        """One scan per variant; a refused unscoped list falls back to the scoped lists."""
        try:
            results = self._run_streams()
        except Exception as exc:
            if not self.obj.scoped_by or list_failure(exc) not in SCOPABLE:
                raise
            self.listing = SCOPED
            self.fallback = f"{getattr(exc, 'status', '')} on GET {self.obj.list_path}"
            try:
                self._scan_parents([(o, p, None) for o, p in self.obj.scoped_by], "")
            except Exception as scoped:
                if list_failure(scoped) is None:
                    raise
                raise exc from scoped  # the scoped lists failed too: report the first refusal
            return
        self.listing = ""
        for key, res in results.items():
            self.results[key] = res
            self._advance(key, res, res.top_raw)

    def _run_streams(self) -> dict[str, StreamResult]:
        futures: dict[str, Future] = {}
        results: dict[str, StreamResult] = {}
        try:
            for key in stream_keys(self.obj):
                options: dict[str, Any] = {"variant": key} if key else {}
                options["page_size"] = self.ctx.options.page_size_for(self.obj)
                threshold = self._threshold(key)
                if self.plan.mode == "full" or threshold is None:
                    window = self.ctx.options.page_window
                    results[key] = scan_concurrent(
                        self.fetcher, self.tag, self.obj, options, self.emit, window
                    )
                else:
                    args = (self.fetcher, self.tag, self.obj, options, threshold, self.emit)
                    futures[key] = self.fetcher.submit(scan_sequential, *args)
            for key, fut in futures.items():
                results[key] = fut.result()
        except BaseException:
            settle(set(futures.values()))
            raise
        return results

    def _threshold(self, key: str) -> float | None:
        if self.plan.mode != "incremental":
            return None
        return self.plan.cursors.threshold(key, self.ctx.options.overlap_s)

    def _advance(self, key: str, res: StreamResult, top_raw: str | None) -> None:
        self.plan.cursors.advance(key, top_raw, unstable=res.unstable)

    def _scan_parents(
        self, parents: list[tuple[str, str, Mapping[str, str] | None]], key: str
    ) -> None:
        """One list per parent record (objectives per company, §14; responses per survey,
        §11; files per company and per person when the unscoped list is refused, §10);
        cursor = top - scan duration, as the parents' lists are read at different times."""
        started = time.monotonic()
        items: list[ParentItem] = []
        trusted = True
        for parent_obj, param, fixed in parents:
            listing = self.ctx.id_set(get_object(parent_obj), self.fetcher, self.tag)
            trusted = trusted and listing.trusted
            items += [(param, pid, fixed) for pid in sorted(listing.ids)]
            self.parents_read[parent_obj] = len(listing.ids)
        total = StreamResult(complete=trusted, unstable=not trusted)
        threshold = self._threshold(key)
        window = max(2, 2 * self.ctx.concurrency)
        gone: list[NotFound] = []
        run_bounded(self.fetcher, items, window,
                    lambda item: self._one_parent(item, threshold, gone), total.merge)  # fmt: skip
        if gone and len(gone) == len(items):
            raise gone[0]  # every parent "missing": the endpoint is, not the parents
        self.results[key] = total
        elapsed = time.monotonic() - started
        top = None
        if total.top is not None:
            top = _iso(total.top - elapsed)
        self._advance(key, total, top)

    def _scan_changed_parents(self, parent: ParentList) -> None:
        """The lists of the parents that changed since the last scan (every parent on a full
        scan, ``parents.changed_parents``); the cursor is the parent list's top, read first."""
        threshold = self._threshold(parent.key)
        before = self.plan.seen.get(parent.key, {})
        ids, found, remember = changed_parents(
            self.fetcher, self.tag, self.ctx.options, parent, threshold, before
        )
        items: list[ParentItem] = [(parent.param, pid, parent.fixed) for pid in ids]
        self.parents_read[parent.object] = len(items)
        if remember:
            self.new_seen[parent.key] = remember
        total = StreamResult(complete=found.complete, unstable=found.unstable)
        window = max(2, 2 * self.ctx.concurrency)
        gone: list[NotFound] = []  # a parent deleted meanwhile has no comments any more
        run_bounded(self.fetcher, items, window,
                    lambda item: self._one_parent(item, None, gone), total.merge)  # fmt: skip
        self.results[parent.key] = total
        self._advance(parent.key, total, found.top_raw)

    def _one_parent(
        self, item: ParentItem, threshold: float | None, gone: list[NotFound]
    ) -> StreamResult:
        param, parent_id, fixed = item
        options: dict[str, Any] = {"page_size": self.ctx.options.page_size_for(self.obj)}
        emit = self.emit
        if self.obj.per_parent:
            options["parent_id"] = parent_id
        elif fixed is not None:  # the parent in the path; rows say where they were listed
            stamp = {**fixed, param: parent_id}
            options["parent_id"] = stamp

            def emit(rows: list[dict[str, Any]]) -> None:
                self.emit([{**stamp, **row} for row in rows])
        else:
            options["params"] = {param: parent_id}
        try:
            return scan_sequential(self.fetcher, self.tag, self.obj, options, threshold, emit)
        except NotFound as exc:  # the parent was deleted meanwhile: it has no children any more
            gone.append(exc)
            return StreamResult(complete=True)

    def _id_set(self) -> IdSet:
        """Custify's ids for reconciliation: this run's full scan, or an id-only listing
        (cheap where the list takes ``properties``) when this run's scan was incremental."""
        if self.obj.accepts_properties and self.plan.mode != "full":
            return self.ctx.id_set(self.obj, self.fetcher, self.tag)
        if self.listing == SCOPED:  # a record linked to no parent is in no scoped list
            return IdSet(self.seen, False, "listed per parent, which misses unlinked records")
        results = list(self.results.values())
        trusted = all(r.complete and not r.unstable for r in results)
        unsorted = self.obj.sort_style is SortStyle.NONE or self.obj.cursor_field is None
        if unsorted:  # no known order: any change may shift rows
            trusted = trusted and all(r.min_total == r.max_total for r in results)
        return IdSet(self.seen, trusted, "" if trusted else "list changed while scanning")


def run_bounded(fetcher: Fetcher, items: list[Any], window: int,
                fn: Callable[[Any], Any], sink: Callable[[Any], None]) -> None:  # fmt: skip
    """``fn(item)`` on the request pool for every item, at most ``window`` in flight."""
    flight = Completions(fetcher)
    try:
        for item in items:
            flight.submit(fn, item)
            if len(flight) >= window:
                sink(flight.next())
        while flight:
            sink(flight.next())
    except BaseException:
        settle(flight.running)  # this object's work only: the other objects' scans go on
        raise


def list_ids(fetcher: Fetcher, obj: CustifyObject, tag: str, window: int, page_size: int) -> IdSet:
    """Every id of ``obj`` via an id-only listing sorted by ``created_at`` DESCENDING.

    Descending on an immutable field: creates land on top (rows shift down, never skipped),
    updates do not move rows, so only deletes can hide a row, and they show as ``total``
    dropping (``scan.py``). ``properties`` (§1.7) keeps the answers small.
    """
    ids = IdKeys()

    def collect(rows: list[dict[str, Any]]) -> None:
        ids.add_new([r[obj.id_field] for r in rows if r.get(obj.id_field)])

    options = {
        "params": {"properties": ID_PROPERTIES},
        "sort_by": obj.created_field,
        "page_size": page_size,
    }
    res = scan_concurrent(fetcher, tag, obj, options, collect, window)
    trusted = res.complete and not res.unstable
    return IdSet(ids, trusted, "" if trusted else "list changed while scanning")


def _iso(epoch: float) -> str:
    from datetime import UTC, datetime

    return (
        datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )
