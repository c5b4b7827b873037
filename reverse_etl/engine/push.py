"""``run_push``: plan every sync, then send each plan in ledgered waves (``engine.flight``).

Syncs run in waves of their ``after`` chains (``config.order``); every sync of a wave is planned
before any of it is sent, so a configuration error or a tripped delete guard leaves Custify
untouched.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

import polars as pl

from custify.errors import AuthError, ConfigError, FatalError
from models.clock import Clock, RealClock
from models.collector import fewer_collections
from models.stop import StopFlag
from reverse_etl import ledger
from reverse_etl.config import SyncConfig, SyncConfigError, order, select_syncs
from reverse_etl.diff.payload import stable_hash
from reverse_etl.engine.context import Context, Progress
from reverse_etl.engine.flight import send_plan
from reverse_etl.engine.plan import plan_sync
from reverse_etl.engine.report import PushReport, SyncReport
from reverse_etl.engine.sync_plan import SyncPlan
from reverse_etl.ledger import rows as ledger_rows
from warehouse import SessionWarehouse, WarehouseConfig, postgres_dsn, warehouse_config
from warehouse.config import DEFAULT_CONNECTION, check_disjoint
from warehouse.lock import run_locks

if TYPE_CHECKING:
    from custify.client import CustifyClient
    from custify.settings import Settings


log = logging.getLogger("reverse_etl")
#: the request a dry run proves the connection with: one id of one person
PROBE_OBJECT = "people"
PROBE_PARAMS = {"properties": '["id"]'}


def default_client_factory(
    settings: Settings, clock: Clock, budget_dsn: str | None = None
) -> Callable[[str | None], CustifyClient]:
    from custify.client import CustifyClient

    def make(connection: str | None) -> CustifyClient:
        conn = settings.connection(connection)
        return CustifyClient(conn, clock=clock, postgres_dsn=budget_dsn)

    return make


def run_push(
    settings: Settings,
    sync_names: list[str] | None = None,
    *,
    connection: str | None = None,
    dry_run: bool = False,
    warehouse_cfg: WarehouseConfig | None = None,
    client_factory: Callable[[str | None], CustifyClient] | None = None,
    progress: Progress | None = None,
    clock: Clock | None = None,
    lock_wait_s: float = 0.0,
    stop: StopFlag | None = None,
) -> PushReport:
    """Push the named syncs (all when None/empty; only ``connection``'s with one given).

    Each sync reads, diffs and resolves in its connection's own dataset
    (``WarehouseConfig.for_connection``), under that dataset's run lock (waiting up to
    ``lock_wait_s``). Raises ``SyncConfigError`` (exit 2) before anything is sent when any
    sync is misconfigured or its delete guard trips; a sync whose source breaks at run time
    (a missing table, a failing query) fails alone and the others go.
    """
    raw = getattr(settings, "raw", {}) or {}
    cfgs = select_syncs(raw, sync_names, connection=connection)
    if client_factory is None:
        _check_connections(settings, cfgs)
    clock = clock or RealClock()
    base = warehouse_cfg or warehouse_config(raw)
    # the budget's DSN, when a connection has budget_backend = "postgres"
    factory = client_factory or default_client_factory(settings, clock, postgres_dsn(base))
    targets = {name: base.for_connection(name, _dataset(settings, name))
               for name in dict.fromkeys(_connection_of(c) for c in cfgs)}  # fmt: skip
    check_disjoint(list(targets.values()))
    run_id = uuid.uuid4().hex
    with run_locks(list(targets.values()), command="push", wait_s=lock_wait_s), \
            ExitStack() as stack:  # fmt: skip
        ctxs = {}
        for name, target in targets.items():
            wh = stack.enter_context(SessionWarehouse(target))
            ledger.ensure_tables(wh)
            ctxs[name] = Context(settings, wh, factory, clock=clock, dry_run=dry_run,
                                 progress=progress, run_id=run_id, stop=stop)  # fmt: skip
            if client_factory is None:
                stack.callback(ctxs[name].close_clients)
        if dry_run:  # a dry run that passes means the real run can start
            for cfg in {_connection_of(c): c for c in cfgs}.values():
                _probe(ctxs[_connection_of(cfg)], cfg)
        with fewer_collections():  # payloads and outcomes: millions of short-lived objects
            reports = _run_waves(ctxs, cfgs)
    return PushReport(run_id=run_id, dry_run=dry_run, syncs=reports)


def _run_waves(ctxs: dict[str, Context], cfgs: list[SyncConfig]) -> list[SyncReport]:
    """Plan and send wave by wave (``config.order``): a sync declared ``after`` another
    is planned once that one has sent, so it reads what it wrote. A sync whose source or
    requests broke holds back the syncs after it (they would act on stale data)."""
    reports: list[SyncReport] = []
    held: dict[str, str] = {}
    for wave in order.waves(cfgs):
        planned = [(cfg, *_plan_one(ctxs[_connection_of(cfg)], cfg)) for cfg in wave
                   if cfg.name not in held]  # fmt: skip
        for cfg in wave:
            if cfg.name in held:
                error = f"{cfg.where('after')}: not run, {held[cfg.name]!r} failed in this run"
                reports.append(_failed_before_sending(ctxs[_connection_of(cfg)], cfg, error, 0))
        for item in planned:
            report = _run_one(ctxs[_connection_of(item[0])], *item)
            reports.append(report)
            if report.error:
                held.update(dict.fromkeys(order.dependents(report.name, cfgs), report.name))
    return reports


def _probe(ctx: Context, cfg: SyncConfig) -> None:
    """One cheap request on the sync's connection: a wrong key, URL or scope fails here."""
    ctx.client(cfg).list_page(PROBE_OBJECT, 1, page_size=1, params=PROBE_PARAMS)


def _connection_of(cfg: SyncConfig) -> str:
    return cfg.connection or DEFAULT_CONNECTION


def _dataset(settings: Any, name: str) -> str | None:
    """A named connection's own dataset setting, when the settings know the connection."""
    return getattr(settings, "datasets", {}).get(name)


def _check_connections(settings: Any, cfgs: list[SyncConfig]) -> None:
    """An unknown or incomplete connection is a config error before any work."""
    for cfg in cfgs:
        try:
            settings.connection(cfg.connection)
        except ConfigError as exc:
            raise SyncConfigError(f"{cfg.where('connection')}: {exc}") from None


def _plan_one(ctx: Context, cfg: SyncConfig) -> tuple[SyncPlan | None, int, str | None]:
    """``(plan, requests it cost, error)``: configuration errors and a rejected key stop the
    whole push (raised, nothing sent); anything else the sync's source or lookups hit at run
    time fails this sync alone."""
    before = ctx.requests(cfg)
    try:
        plan = plan_sync(ctx, cfg)
    except (ConfigError, AuthError):
        raise
    except Exception as exc:
        return None, ctx.requests(cfg) - before, f"{cfg.where()}: {one_line(exc)}"
    return plan, ctx.requests(cfg) - before, None


def one_line(exc: BaseException) -> str:
    """An error's first line, for a report (drivers print multi-line messages)."""
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:500]


def _run_one(
    ctx: Context, cfg: SyncConfig, plan: SyncPlan | None, plan_requests: int, error: str | None
) -> SyncReport:
    if ctx.stop is not None:
        ctx.stop.check()
    if plan is None:
        return _failed_before_sending(ctx, cfg, error or "failed", plan_requests)
    started = ctx.now()
    ctx.cache.clear()  # what planning found missing, an earlier sync may have created since
    report = SyncReport.from_plan(plan, ctx.run_id, ctx.dry_run)
    report.requests = plan_requests
    try:
        if not ctx.dry_run:
            _ledger_rejects(ctx, plan)
            _remember_existing(ctx, plan, report)
            before = ctx.requests(cfg)
            try:
                with plan.stages.stage("send"):
                    send_plan(ctx, plan, report)
            finally:
                report.requests += ctx.requests(cfg) - before
    except AuthError as exc:
        report.error = str(exc)
        raise
    except FatalError as exc:  # this sync's requests are refused; the other syncs go
        report.error = f"{cfg.where()}: {exc}"
    finally:
        report.stages = plan.stages.as_dict()
        ledger.record_run(ctx.wh, report.run_row(started, ctx.now(), plan.summary()))
        if not ctx.dry_run:
            ctx.report_progress(cfg.name, plan.diff.height, plan.diff.height)
        log_sync(ctx, report)
    return report


def log_sync(ctx: Context, report: SyncReport) -> None:
    """One INFO record per sync, its numbers as ``extra`` fields (``--log-format json``)."""
    log.info(
        "%s: %d sent, %d confirmed, %d rejected, %d failed, %d requests%s", report.name,
        report.sent, report.confirmed, report.rejected, report.failed, report.requests,
        f"; {report.error}" if report.error else "",
        extra={"run_id": ctx.run_id, "connection": ctx.wh.cfg.connection, "step": "sync",
               "sync": report.name, "sent": report.sent, "confirmed": report.confirmed,
               "rejected": report.rejected, "failed": report.failed,
               "requests": report.requests, "error": report.error, "dry_run": ctx.dry_run},
    )  # fmt: skip


def _failed_before_sending(ctx: Context, cfg: SyncConfig, error: str, requests: int) -> SyncReport:
    report = SyncReport(name=cfg.name, run_id=ctx.run_id, dry_run=ctx.dry_run, requests=requests,
                        error=error)  # fmt: skip
    now = ctx.now()
    ledger.record_run(ctx.wh, report.run_row(now, now, {"error": error}))
    log_sync(ctx, report)
    return report


def _remember_existing(ctx: Context, plan: SyncPlan, report: SyncReport) -> None:
    """Records a create found existing enter the snapshot, so the next run knows without
    asking: as ``exists`` (not ``created``: mirror never deletes them), or, when this sync's
    own create of that key never got its answer (a crash, a lost answer), as the create it
    was, confirmed now."""
    seen = plan.seen
    if seen is None or seen.height == 0:
        return
    cfg, now = plan.cfg, ctx.now()
    latest = ledger.latest_attempts(ctx.wh, cfg.name)
    mine = latest.filter(pl.col("status").is_in(["pending", "sent"])).get_column("key")
    ours = pl.col("key").is_in(mine.implode())
    seen = seen.with_columns(
        pl.when(ours).then(pl.lit("create")).otherwise(pl.col("op")).alias("op"),
        ours.alias("created"),
    )
    recovered = seen.filter(pl.col("created"))
    recovered = recovered.with_columns(
        ledger_rows.attempt_ids(recovered.height), pl.lit(1).alias("attempt")
    )
    # a pending attempt first, then its outcome and the snapshot in one transaction: a crash
    # in between leaves the key unconfirmed, and the next run finds the record again
    ledger.write_pending(
        ctx.wh, ledger_rows.pending(recovered, run_id=ctx.run_id, sync=cfg.name, now=now)
    )
    note = "found in Custify: the unconfirmed earlier attempt had created it"
    report.confirmed += recovered.height
    snapshot = ledger_rows.snapshot(seen, sync=cfg.name, obj=cfg.target.name, match=cfg.match,
                             run_id=ctx.run_id, now=now)  # fmt: skip
    ledger.commit_wave(
        ctx.wh, ledger_rows.confirmed_outcomes(recovered, note, now), cfg.name, snapshot
    )


def _ledger_rejects(ctx: Context, plan: SyncPlan) -> None:
    """Validation rejects enter the ledger once per content, so status can count them."""
    bad = plan.rejected
    if bad.height == 0:
        return
    key = pl.coalesce(pl.col("key"), pl.format("#row{}", pl.col("row")))
    fresh = bad.with_columns(
        key.alias("key"),
        pl.coalesce("row_hash", stable_hash(bad.get_column("values"))).alias("payload_hash"),
    )
    latest = ledger.latest_attempts(ctx.wh, plan.cfg.name)
    seen = latest.filter(pl.col("status") == "rejected").select("key", "payload_hash")
    fresh = fresh.join(seen, on=["key", "payload_hash"], how="anti")
    if fresh.height == 0:
        return
    ledger.append_final(
        ctx.wh,
        ledger_rows.rejected_attempts(fresh, run_id=ctx.run_id, sync=plan.cfg.name, now=ctx.now()),
    )
