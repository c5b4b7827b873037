"""The dlt source, generated from the registry: one resource per extracted object.

Usable from any dlt pipeline on its own::

    from pipelines import custify_source
    pipeline.run(custify_source(client=client, objects=["people", "notes"]))

Every resource is a merge (``delete-insert``) on the Custify ``id`` with ``dedup_sort`` on the
cursor field, so a record read twice in one run (page shifts, §1.7) or again next run (the
cursor overlap, §17) lands once, newest version first. Its cursor lives in the resource's dlt
state, which dlt commits in the same load package as the rows: the cursor advances only with
data that was loaded, a crash mid-run loses nothing, and the rerun converges.

Child tables ``<object>__<field>`` (registry ``child_lists``) are dlt table variants of the
resource: merge ``delete-insert`` with ``merge_key=_parent_id``, so every parent in a load
replaces all of its children; a parent whose list emptied sends one tombstone row whose
``_tombstone`` column carries dlt's ``hard_delete`` hint, so its stale children are deleted
and nothing is inserted (verified on DuckDB and Postgres in tests/pipelines).

Trigger events go to ``trigger_events`` in the same package (``insert-only`` merge on
``event_id``), so they are exactly as durable as the rows they describe.

An object whose list fails on its own (403, 404, the paging guard, Custify failing past the
retries; ``pipelines/failures.py``) ends its resource quietly: nothing more is yielded for it,
its state (cursor, listing, baseline) is not touched, so the next run reads the same window
again, and the other resources load as usual. The batches it yielded before the failure load
with their events (merge on id and the unchanged ``updated_at`` make the re-read produce
neither duplicates nor second events). Any other error fails the whole extract.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any, cast

import dlt
import polars as pl
from dlt.common.schema.typing import TColumnSchema, TMergeDispositionDict, TWriteDispositionConfig
from dlt.destinations.exceptions import DatabaseUndefinedRelation
from dlt.extract.resource import DltResource

from custify.client import CustifyClient
from models.registry import EXTRACTED, CustifyObject
from pipelines import event_changes, events, forgotten
from pipelines.conform import Known, conform
from pipelines.context import ObjectReport, RunContext
from pipelines.failures import failure_line
from pipelines.first_load import APPEND, first_loads
from pipelines.frames import CHILD_IDX, PARENT_ID, SEP, TOMBSTONE, Batch, child_tables
from pipelines.jobs import DONE, SCOPED, ObjectJob, Plan
from pipelines.options import RETRY_UNSCOPED_S, ExtractOptions
from pipelines.reconcile import delete_events
from warehouse import duckdb_catalog

MERGE: TMergeDispositionDict = {"disposition": "merge", "strategy": "delete-insert"}
#: wall seconds between progress callbacks while a scan has no batch ready
PROGRESS_EVERY_S = 0.5


class _HintNoise(logging.Filter):
    """Drops two dlt warnings about our own tables, both meant and both printed many times:

    - our column hints differ from the Arrow types (JSON text declared ``json``; ``id``
      declared not-null), once per batch;
    - a merge hint (``hard_delete``, ``dedup_sort``) is ignored on an append: a table's first
      load appends on purpose (``pipelines.first_load``), once per table on the first run.
    """

    names = frozenset([*(o.name for o in EXTRACTED), events.EVENTS_TABLE])

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        if "when merging arrow schema with dlt schema" in msg:
            return msg.split("In resource: ", 1)[-1].split(",", 1)[0] not in self.names
        if 'with write disposition "append"' in msg and "will be ignored" in msg:
            table = msg.split(' in table "', 1)[-1].split('"', 1)[0]
            return table.split(SEP, 1)[0] not in self.names  # a parent or one of its children
        return True


def quiet_hint_noise() -> None:
    """Idempotent; called by ``custify_source``, so importing this module changes no logger."""
    dlt_logger = logging.getLogger("dlt")
    if not any(isinstance(f, _HintNoise) for f in dlt_logger.filters):
        dlt_logger.addFilter(_HintNoise())


EVENTS_HINTS = dlt.mark.make_hints(
    table_name=events.EVENTS_TABLE,
    write_disposition={"disposition": "merge", "strategy": "insert-only"},
    primary_key="event_id",
    columns=cast("list[TColumnSchema]", events.EVENT_COLUMNS),
)


@dlt.source(name="custify", max_table_nesting=0, root_key=False)
def custify_source(
    client: CustifyClient | None = None,
    objects: list[str] | None = None,
    full_refresh: bool = False,
    reconcile: bool = False,
    options: ExtractOptions | None = None,
    context: RunContext | None = None,
) -> list[DltResource]:
    """One resource per extracted registry object (``objects`` narrows them).

    ``client`` is a ``custify.CustifyClient``; the API key stays inside it (never in dlt
    config, state or traces). ``context`` is a ``RunContext`` when ``run_extract`` drives
    the run (it reads the reports and applies reconciled deletes after the load).
    """
    quiet_hint_noise()
    duckdb_catalog.install()  # a plain dlt pipeline may load into custify.duckdb too
    if context is None:
        if client is None:
            raise ValueError("custify_source needs client=CustifyClient(...)")
        context = RunContext(
            client,
            options=options or ExtractOptions(),
            full_refresh=full_refresh,
            reconcile=reconcile,
            explicit=objects is not None,
        )
    chosen = context.options.selected(objects)
    return [*(object_resource(obj, context) for obj in chosen), events_table_resource()]


def events_table_resource() -> DltResource:
    """An empty batch of trigger events every run, so ``trigger_events`` exists with its full
    schema from the first extract on (a recipe pushed right after it must find the table)."""

    def generate() -> Iterator[Any]:
        yield events_item(events.empty())

    return dlt.resource(generate, name=events.EVENTS_TABLE, write_disposition=MERGE)()


def object_resource(obj: CustifyObject, ctx: RunContext) -> DltResource:
    """The resource of one object. Every item carries its table's hints as a dlt table
    variant: a variant starts from the resource's own hints, so the resource keeps only what
    all its tables share (children and events must not inherit the parent's columns)."""

    def generate() -> Iterator[Any]:
        state = dlt.current.resource_state()
        plan = ctx.plan(obj, state)
        report = ctx.report(obj.name)
        report.mode, report.baseline = plan.mode, plan.baseline
        if plan.mode == "skip":
            report.status, report.note, report.cursor = "skipped", plan.reason, state.get("cursor")
            ctx.publish(obj.name)
            return
        yield from _run_job(obj, ctx, plan, state)

    return dlt.resource(generate, name=obj.name, write_disposition=MERGE)()


def parent_columns(obj: CustifyObject, options: ExtractOptions) -> list[dict[str, Any]]:
    columns: list[dict[str, Any]] = [
        {"name": obj.id_field, "data_type": "text", "nullable": False, "primary_key": True}
    ]
    if obj.cursor_field:
        columns.append({"name": obj.cursor_field, "data_type": "timestamp", "dedup_sort": "desc"})
    columns.append({"name": options.deleted_column, "data_type": "timestamp", "nullable": True})
    return columns


def _run_job(obj: CustifyObject, ctx: RunContext, plan: Plan, state: Any) -> Iterator[Any]:
    report = ctx.report(obj.name)
    report.status = "running"
    writer = Writer(obj, ctx, plan)
    fetcher = ctx.acquire()
    ok = False
    try:
        job = ObjectJob(plan, fetcher, ctx).start()
        yield from _stream(job, writer, report, ctx)
        try:
            job.join()
        except Exception as exc:
            line = failure_line(obj.name, exc)
            if line is None:
                raise
            report.status, report.error, report.note = "failed", line, line
            report.rows = job.rows  # what was yielded before the failure
            report.cursor = state.get("cursor")  # where it stays
            ok = True  # this object failed alone: nothing more of it, its state untouched
            return
        yield from writer.deletes(job)
        _save_state(state, plan, job, ctx)
        _finish_report(report, job, state)
        ok = True
    finally:
        if not ok:
            report.status = "failed"
            fetcher.cancel()
        ctx.publish(obj.name)
        ctx.release()


def _stream(job: ObjectJob, writer: Writer, report: ObjectReport, ctx: RunContext) -> Iterator[Any]:
    """The job's batches as dlt items until it is done; ``None`` while nothing is ready."""
    shown = time.monotonic()
    while True:
        item = job.poll()
        if item is None:
            if time.monotonic() - shown > PROGRESS_EVERY_S:  # long scans show life too
                report.rows, shown = len(job.seen), time.monotonic()
                ctx.publish(report.object)
            yield None  # nothing ready: let dlt serve the other objects
            continue
        if item is DONE:
            return
        yield from writer.items(item)
        report.rows = len(job.seen)
        ctx.publish(report.object)


def _finish_report(report: ObjectReport, job: ObjectJob, state: Any) -> None:
    report.rows, report.status = len(job.seen), "done"
    report.mode = job.plan.mode  # a renamed definition turns an incremental scan full
    report.unstable = any(r.unstable for r in job.results.values())
    report.cursor = state.get("cursor")
    report.listing = job.listing
    caps = [r.cap for r in job.results.values() if r.cap is not None]
    notes = [report.note] if report.note else []
    if caps:
        report.page_cap = min(caps)
        notes.append(
            f"Custify served at most {report.page_cap} per page (asked "
            f"{job.ctx.options.page_size_for(job.obj)}); the scan used that size"
        )
    if job.fallback:
        parents = " and per ".join(p for p, _ in job.obj.scoped_by)
        notes.append(
            f"{job.fallback} refused: listed per {parents} instead ({report.object} linked to "
            f"neither are not seen); remembered, the unscoped list is tried again after "
            f"{RETRY_UNSCOPED_S / 86_400:.0f} days or on --full-refresh"
        )
    elif job.listing == SCOPED:
        notes.append("listed per parent (the unscoped list was refused before)")
    if job.renamed:
        notes.append(
            "the definitions' names differ from the last scan's: every record read "
            "again for its rows' names"
        )
    if any(p.changed_only for p in job.obj.parent_lists):
        read = " and ".join(f"{n} {name}" for name, n in job.parents_read.items())
        why = " (every parent)" if job.plan.mode == "full" else " (changed since the last scan)"
        notes.append(f"read the lists of {read}{why}")
    report.note = "; ".join(notes)


def _save_state(state: Any, plan: Plan, job: ObjectJob, ctx: RunContext) -> None:
    """The cursors (``pipelines.cursor``), and what the next run's plan reads."""
    plan.cursors.write(state)
    state["initialized"] = True
    state["last_scan_at"] = ctx.clock.now()
    state["last_run_id"] = ctx.run_id
    state["last_mode"] = plan.mode
    if job.names:
        state["names"] = job.names
    if job.obj.parent_lists:
        state["seen_parents"] = job.new_seen
    if job.listing == SCOPED:
        if job.fallback or "scoped_at" not in state:  # the fallback happened this run
            state["scoped_at"] = ctx.clock.now()
        state["listing"] = SCOPED
    else:
        state.pop("listing", None)
        state.pop("scoped_at", None)


class Writer:
    """Turns batches into dlt items in the main thread: typing, hints, trigger events."""

    def __init__(self, obj: CustifyObject, ctx: RunContext, plan: Plan) -> None:
        self.obj, self.ctx, self.plan = obj, ctx, plan
        schema = dlt.current.source_schema()
        self.naming = schema.naming
        if ctx.known is None:
            ctx.known = Known.from_schema(schema)
        self.known: Known = ctx.known
        self.existed = obj.name in self.known.existing
        #: the parent table's columns in the warehouse as this run found it (later batches
        #: add columns to ``known`` that are not loaded yet)
        self.stored = set(self.known.types.get(obj.name, {})) if self.existed else set()
        self.json_hinted: dict[str, set[str]] = {}
        self.wants_events = bool(obj.triggers) and not plan.baseline
        #: looked up once: every ``dlt.current.pipeline()`` resolves dlt's configuration again
        self.pipeline = dlt.current.pipeline()
        self.forgotten = forgotten.tombstones(ctx, self.pipeline)
        #: the tables whose first load this is: appended, not merged (pipelines.first_load)
        self.appended = first_loads((obj.name, *child_tables(obj)), self.known.existing,
                                    lambda: ctx.first_tables(self.pipeline))  # fmt: skip

    def items(self, batch: Batch) -> Iterator[Any]:
        batch = forgotten.filter_batch(self.obj, batch, self.forgotten)
        frame, json_cols, changes = conform(batch.parent, self.naming, self.known)
        self.ctx.changes.extend(changes)
        yield self._parent_item(frame, json_cols)
        for child in batch.children:
            if child.name in self.appended:  # nothing to delete in a table loaded first now
                child = replace(child, frame=child.frame.filter(~pl.col(TOMBSTONE)))
            cframe, cjson, cchanges = conform(child, self.naming, self.known)
            self.ctx.changes.extend(cchanges)
            yield dlt.mark.with_hints(
                _arrow(cframe), self._child_hints(child.name, cjson), create_table_variant=True
            )
        if self.wants_events:
            found = events.detect(self.obj, frame, self._existing(frame["id"].to_list()))
            found = events.mark_echoes(found, self._own_writes(found["record_id"].to_list()))
            found = self._with_changes(frame, json_cols, found)
            if found.height:
                self.ctx.count_events(self.obj.name, found["event_type"].to_list())
                ev = events.frame(self.obj.name, found, self.ctx.run_id, self.ctx.detected_at())
                yield events_item(ev)

    def _parent_item(self, frame: pl.DataFrame, json_cols: set[str]) -> Any:
        hinted = self.json_hinted.setdefault(self.obj.name, set())
        hinted |= json_cols
        cols = parent_columns(self.obj, self.ctx.options)
        cols += [{"name": c, "data_type": "json"} for c in sorted(hinted)]
        hints = dlt.mark.make_hints(
            table_name=self.obj.name, write_disposition=self._disposition(self.obj.name),
            primary_key=self.obj.id_field,
            columns=cast("list[TColumnSchema]", cols),
        )  # fmt: skip
        return dlt.mark.with_hints(_arrow(frame), hints, create_table_variant=True)

    def _child_hints(self, table: str, json_cols: set[str]) -> Any:
        hinted = self.json_hinted.setdefault(table, set())
        hinted |= json_cols
        cols = [
            {"name": PARENT_ID, "data_type": "text", "nullable": False},
            {"name": CHILD_IDX, "data_type": "bigint", "nullable": False},
            {"name": TOMBSTONE, "data_type": "bool", "hard_delete": True},
            *({"name": c, "data_type": "json"} for c in sorted(hinted)),
        ]
        return dlt.mark.make_hints(
            table_name=table, write_disposition=self._disposition(table),
            primary_key=[PARENT_ID, CHILD_IDX],
            merge_key=PARENT_ID, columns=cast("list[TColumnSchema]", cols),
        )  # fmt: skip

    def _disposition(self, table: str) -> TWriteDispositionConfig:
        return APPEND if table in self.appended else MERGE

    def _existing(self, ids: list[str]) -> pl.DataFrame:
        """The warehouse's version of these records, before this run's load."""
        cols = set(self.known.types.get(self.obj.name, {}))
        client = self.ctx.sql(self.pipeline) if self.existed and ids else None
        return events.existing_rows(
            client, self.obj.name, ids, cols, self.ctx.options.deleted_column
        )

    def _with_changes(
        self, frame: pl.DataFrame, json_cols: set[str], found: pl.DataFrame
    ) -> pl.DataFrame:
        """``changes`` of the updated records: their warehouse rows before this load, compared
        field by field with the incoming rows (pipelines.event_changes)."""
        updated = found.filter(pl.col("event_type").str.ends_with(".updated"))
        ids = updated["record_id"].to_list()
        if not ids or not self.existed:
            return found.with_columns(pl.lit(None, dtype=pl.String).alias("changes"))
        deleted = self.ctx.options.deleted_column
        columns = event_changes.compared_columns(frame, self.stored, deleted)
        fresh = [c for c in event_changes.compared_columns(frame, frame.columns, deleted)
                 if c not in self.stored]  # fmt: skip
        try:
            client = self.ctx.sql(self.pipeline)
            prior = event_changes.prior_values(client, self.obj.name, ids, columns)
        except DatabaseUndefinedRelation:
            prior = {}
        stored_json = {c for c, t in self.known.types.get(self.obj.name, {}).items()
                       if t == "json"}  # fmt: skip
        found_changes = event_changes.changes_of(
            frame, ids, prior, json_cols | stored_json, columns, fresh
        )
        return found.with_columns(
            pl.col("record_id").replace_strict(found_changes, default=None, return_dtype=pl.String)
            .alias("changes")
        )  # fmt: skip

    def _own_writes(self, ids: list[str]) -> pl.DataFrame:
        """The reverse ETL's confirmed writes on these records (see events.mark_echoes)."""
        client = self.ctx.sql(self.pipeline) if ids else None
        return events.own_writes(client, ids)  # none when the reverse ETL never ran here

    def deletes(self, job: ObjectJob) -> Iterator[Any]:
        """Reconcile: ``*.deleted`` events now; the marks are applied after the load."""
        if not self.plan.reconcile or job.ids is None:
            return
        report = self.ctx.report(self.obj.name)
        if not job.ids.trusted:
            report.reconcile = f"skipped: {job.ids.reason}"
            return
        if not self.existed:
            report.reconcile = "done"
            return
        client = self.ctx.sql(self.pipeline)
        found = delete_events(client, self.obj, job.ids.ids, self.ctx.options)
        report.reconcile, report.deleted = "done", found.height
        if found.height:
            self.ctx.pending_deletes[self.obj.name] = found["record_id"].to_list()
            self.ctx.count_events(self.obj.name, found["event_type"].to_list())
            ev = events.frame(
                self.obj.name, found, self.ctx.run_id, self.ctx.detected_at(), deleted=True
            )
            yield events_item(ev)


def events_item(frame: pl.DataFrame) -> Any:
    return dlt.mark.with_hints(_arrow(frame), EVENTS_HINTS, create_table_variant=True)


def _arrow(frame: pl.DataFrame) -> Any:
    return frame.to_arrow(compat_level=pl.CompatLevel.oldest())
