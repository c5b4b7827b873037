"""``run_extract``: one ELT run from Custify into the warehouse, for the CLI and for scripts.

Order of a run, and why:

1. Check everything that can be checked offline first (object names, ``[extract]`` options)
   and that the warehouse answers, so a bad input is one clear line and nothing was sent.
2. Finish load packages a killed run left behind (dlt's ``run`` would load them and *skip* the
   new data), so this run's event detection sees the warehouse as the last run left it.
3. Extract (all objects at once, see ``jobs.py``), normalize, load. Rows, trigger events and
   cursors are one dlt load package: they land together or not at all.
4. Apply reconciled deletes (idempotent), then stream the run's events from the warehouse.

A failure inside dlt is unwrapped to the typed error behind it (``custify.AuthError`` for a
wrong key, ``WarehouseUnavailable``...) so the CLI can print one line and exit 2. An object
whose list fails on its own does not fail the run: it is ``failed`` in the report, with one
line in ``ExtractReport.failures``, and ``exit_code`` is 1.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import IO, Any

import polars as pl

from custify.client import CustifyClient
from custify.errors import CustifyError
from custify.settings import ConnectionSettings, Settings
from models.clock import Clock, RealClock
from models.collector import fewer_collections
from models.stop import Interrupted, StopFlag
from pipelines.conform import Change
from pipelines.context import ObjectReport, RunContext
from pipelines.events import EVENTS_TABLE
from pipelines.options import ExtractOptions
from pipelines.reconcile import apply_deletes
from pipelines.source import custify_source
from pipelines.status import RUNS_TABLE, record_run
from warehouse import (
    Warehouse,
    WarehouseConfig,
    WarehouseConfigError,
    WarehouseUnavailable,
    make_pipeline,
    postgres_dsn,
)
from warehouse.lock import run_lock

log = logging.getLogger("pipelines")


@dataclass
class ExtractReport:
    run_id: str
    started_at: datetime
    finished_at: datetime
    destination: str
    dataset: str
    objects: dict[str, ObjectReport]
    schema_changes: list[Change] = field(default_factory=list)
    requests: int = 0
    rate_limited: int = 0
    retries: int = 0
    deleted: dict[str, int] = field(default_factory=dict)
    load_ids: list[str] = field(default_factory=list)
    recovered_packages: int = 0
    connection: str = "default"
    #: objects turned off by ``[extract] exclude`` (no request was sent for them)
    excluded: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(r.rows for r in self.objects.values())

    @property
    def failures(self) -> list[str]:
        """One line per failed object (its cursor did not move; the others loaded)."""
        return [r.error or f"{r.object} failed" for r in self.objects.values()
                if r.status == "failed"]  # fmt: skip

    @property
    def page_caps(self) -> dict[str, int]:
        """Objects whose server page cap proved lower than the size asked."""
        return {n: r.page_cap for n, r in self.objects.items() if r.page_cap is not None}

    @property
    def exit_code(self) -> int:
        """0 when every object loaded; 1 when any failed (the exit codes the README lists)."""
        return 1 if self.failures else 0

    @property
    def events(self) -> dict[str, int]:
        total: Counter[str] = Counter()
        for r in self.objects.values():
            total.update(r.events)
        return dict(total)

    @property
    def seconds(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(rows=self.rows, events=self.events, seconds=self.seconds,
                   failures=self.failures, page_caps=self.page_caps,
                   exit_code=self.exit_code)  # fmt: skip
        return out


def run_extract(
    settings: Settings | ConnectionSettings,
    *,
    connection: str | None = None,
    objects: list[str] | None = None,
    warehouse_cfg: WarehouseConfig,
    full_refresh: bool = False,
    reconcile: bool = False,
    client: CustifyClient | None = None,
    progress: Callable[[ObjectReport], None] | None = None,
    events_out: IO[str] | None = None,
    clock: Clock | None = None,
    options: ExtractOptions | None = None,
    lock_wait_s: float = 0.0,
    stop: StopFlag | None = None,
) -> ExtractReport:
    """Extract ``objects`` (all extracted registry objects by default) of ``connection`` into
    its own dataset of ``warehouse_cfg`` (``WarehouseConfig.for_connection``).

    ``settings`` is a ``custify.Settings`` (its ``[extract]`` section is read) or a
    ``ConnectionSettings``. ``events_out`` receives the run's trigger events as JSON lines.
    The run holds the connection's run lock (``warehouse.lock``), waiting up to
    ``lock_wait_s`` seconds for another run to finish (then ``RunLocked``).
    """
    clock = clock or getattr(client, "clock", None) or RealClock()
    options = options or ExtractOptions.from_raw(getattr(settings, "raw", None))
    options.selected(objects)  # unknown or excluded names fail before anything is sent
    conn = _connection(settings, connection)
    cfg = warehouse_cfg.for_connection(conn.name, conn.dataset)
    with run_lock(cfg, command="extract", wait_s=lock_wait_s):
        pipeline = make_pipeline(cfg)
        wh = Warehouse(cfg, pipeline)
        wh.execute("SELECT 1")  # unreachable warehouse: one line, nothing sent
        check_duckdb_catalog(pipeline, cfg)
        if pipeline.first_run:  # no local state (a new state_dir, a fresh container): dlt
            _step(pipeline.sync_destination, cfg)  # restores cursors from the warehouse
        own_client = client is None
        if client is None:
            dsn = postgres_dsn(cfg)  # the budget's, when budget_backend = "postgres"
            client = CustifyClient(conn, clock=clock, postgres_dsn=dsn)
        ctx = RunContext(client, options=options, clock=clock, full_refresh=full_refresh,
                         reconcile=reconcile, explicit=objects is not None,
                         progress=progress, stop=stop)  # fmt: skip
        try:
            with fewer_collections():
                report = _run(pipeline, ctx, client, objects, cfg)
        finally:
            if own_client:
                client.close()
        record_run(pipeline, report)
        log_report(report)
        if events_out is not None:
            write_events(wh, ctx.run_id, events_out)
    return report


def _run(
    pipeline: Any,
    ctx: RunContext,
    client: CustifyClient,
    objects: list[str] | None,
    cfg: WarehouseConfig,
) -> ExtractReport:
    started = ctx.detected_at()
    recovered = _finish_pending(pipeline, cfg)
    before = client.stats.snapshot()
    source = custify_source(client=client, objects=objects, context=ctx)
    load_ids = _extract_and_load(pipeline, source, cfg)
    deleted = _apply_deletes(pipeline, ctx, ctx.options)
    after = client.stats.snapshot()
    return ExtractReport(
        run_id=ctx.run_id, started_at=started, finished_at=ctx.detected_at(),
        destination=cfg.destination, dataset=cfg.dataset,
        objects=dict(ctx.reports), schema_changes=list(ctx.changes),
        requests=after["requests"] - before["requests"],
        rate_limited=after["rate_limited"] - before["rate_limited"],
        retries=after["retries"] - before["retries"], deleted=deleted, load_ids=load_ids,
        recovered_packages=recovered, connection=cfg.connection,
        excluded=list(ctx.options.exclude),
    )  # fmt: skip


def log_report(report: ExtractReport) -> None:
    """One INFO record per object and one per run, their numbers as ``extra`` fields (the
    CLI's ``--log-format json`` prints them for orchestrators)."""
    common = {"run_id": report.run_id, "connection": report.connection,
              "dataset": report.dataset}  # fmt: skip
    for r in report.objects.values():
        log.info(
            "%s: %s, %d rows, %d requests, %d x 429", r.object, r.status, r.rows, r.requests,
            r.rate_limited,
            extra={**common, "step": "object", "object": r.object, "status": r.status,
                   "rows": r.rows, "requests": r.requests, "rate_limited": r.rate_limited,
                   "events": sum(r.events.values()), "note": r.note},
        )  # fmt: skip
    log.info(
        "extract %s: %d rows, %d requests, %d x 429, %d events", report.run_id, report.rows,
        report.requests, report.rate_limited, sum(report.events.values()),
        extra={**common, "step": "extract", "rows": report.rows, "requests": report.requests,
               "rate_limited": report.rate_limited, "events": sum(report.events.values())},
    )  # fmt: skip


def _connection(settings: Settings | ConnectionSettings, name: str | None) -> ConnectionSettings:
    if isinstance(settings, ConnectionSettings):
        if name not in (None, settings.name):
            raise WarehouseConfigError(f"connection {name!r} asked, settings of {settings.name!r}")
        return settings
    return settings.connection(name)


def check_duckdb_catalog(pipeline: Any, cfg: WarehouseConfig) -> None:
    """Refuse, in one line, a DuckDB file whose catalog name equals the dataset name.

    DuckDB names a file's catalog after its stem, so ``custify.duckdb`` holding dataset
    ``custify`` makes every ``"custify"."table"`` that dlt 1.31 writes ambiguous (Binder
    Error) and the load fails with a stuck package. Probed, not assumed: a destination set up
    so that the names do not clash passes.
    """
    if cfg.destination != "duckdb":
        return
    with pipeline.sql_client() as client:
        probe = client.make_qualified_table_name("_custify_probe")
        try:
            client.execute_sql(f"SELECT 1 FROM {probe} LIMIT 0")
        except Exception as exc:
            if "Ambiguous reference to catalog or schema" not in str(exc):
                return
            raise WarehouseConfigError(
                f"DuckDB file {cfg.duckdb_path} and dataset {cfg.dataset!r} share a name, which "
                "dlt cannot load into; set a different [warehouse] duckdb_path or dataset"
            ) from None


def _finish_pending(pipeline: Any, cfg: WarehouseConfig) -> int:
    """Load what a killed run extracted; dlt would otherwise load it *instead of* this run."""
    if not pipeline.has_pending_data:
        return 0
    pending = len(pipeline.list_extracted_load_packages()) + len(
        pipeline.list_normalized_load_packages()
    )
    _step(pipeline.normalize, cfg)
    _step(pipeline.load, cfg)
    return pending


def _extract_and_load(pipeline: Any, source: Any, cfg: WarehouseConfig) -> list[str]:
    extract = _step(lambda: pipeline.extract(source), cfg)
    _step(pipeline.normalize, cfg)
    _step(pipeline.load, cfg)
    return list(getattr(extract, "loads_ids", []) or [])


def _step(fn: Callable[[], Any], cfg: WarehouseConfig) -> Any:
    """Run one dlt step; re-raise the typed error a failure wraps (one line for the CLI)."""
    try:
        return fn()
    except Exception as exc:
        typed = _typed_cause(exc)
        if typed is None:
            raise
        if not isinstance(typed, CustifyError) and _connection_error(typed):
            raise WarehouseUnavailable(cfg, typed) from None
        raise typed from None


def _typed_cause(exc: BaseException) -> BaseException | None:
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, CustifyError | WarehouseUnavailable | Interrupted):
            return cur
        if _connection_error(cur):
            return cur
        cur = cur.__cause__ or cur.__context__
    return None


def _connection_error(exc: BaseException) -> bool:
    return type(exc).__name__ in {"DestinationConnectionError", "OperationalError"}


def _apply_deletes(pipeline: Any, ctx: RunContext, options: ExtractOptions) -> dict[str, int]:
    if not ctx.pending_deletes:
        return {}
    with pipeline.sql_client() as client:
        return apply_deletes(client, ctx.pending_deletes, options, ctx.detected_at())


def write_events(wh: Warehouse, run_id: str, out: IO[str]) -> int:
    """The run's events as JSON lines, read back from the warehouse after the load."""
    if not wh.table_exists(EVENTS_TABLE):
        return 0
    changes = ", changes" if "changes" in wh.columns(EVENTS_TABLE) else ""
    frame = wh.query_df(
        "SELECT event_type, object, record_id, run_id, detected_at, updated_at, origin, event_id"
        f"{changes} FROM {wh.table(EVENTS_TABLE)} WHERE run_id = %s ORDER BY event_type, record_id",
        (run_id,),
    )
    for row in frame.with_columns(pl.col(pl.Datetime).dt.to_string("iso")).iter_rows(named=True):
        if isinstance(row.get("changes"), str):  # {field: [old, new]} as JSON, not as text
            row["changes"] = json.loads(row["changes"])
        out.write(json.dumps(row, default=str) + "\n")
    out.flush()
    return frame.height


__all__ = ["ExtractReport", "RUNS_TABLE", "run_extract", "write_events"]
