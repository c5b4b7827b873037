"""``run_push``: plan every sync, then send each plan in ledgered waves.

A wave is up to ``2 x concurrency`` request units. Before a wave leaves, its rows are written to
the ledger as ``pending``; the units run on a thread pool sized by the connection's
``concurrency`` (all through one client, so one rate budget); then the outcomes are written and
the confirmed snapshot advances, in a few set-based statements. Warehouse I/O stays on the
calling thread (DuckDB connections are not shared across threads), requests overlap.
"""

from __future__ import annotations

import collections
import itertools
import logging
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from typing import Any

import polars as pl

from custify.errors import AuthError, ConfigError, FatalError
from models.clock import Clock, RealClock
from models.stop import StopFlag
from reverse_etl import ledger, lookups, order, roads
from reverse_etl.config import Kind, SyncConfig, select_syncs
from reverse_etl.context import Context, Progress
from reverse_etl.errors import SyncConfigError
from reverse_etl.payload import stable_hash
from reverse_etl.plan import Plan, plan_sync
from reverse_etl.report import PushReport, SyncReport
from reverse_etl.sender import Outcome, Sender, Unit, iter_units
from warehouse import SessionWarehouse, WarehouseConfig, postgres_dsn, warehouse_config
from warehouse.config import DEFAULT_CONNECTION, check_disjoint
from warehouse.lock import run_locks

log = logging.getLogger("reverse_etl")
#: the request a dry run proves the connection with: one id of one person
PROBE_OBJECT = "people"
PROBE_PARAMS = {"properties": '["id"]'}


def default_client_factory(
    settings: Any, clock: Clock, budget_dsn: str | None = None
) -> Callable[[str | None], Any]:
    from custify.client import CustifyClient

    def make(connection: str | None) -> Any:
        conn = settings.connection(connection)
        return CustifyClient(conn, clock=clock, postgres_dsn=budget_dsn)

    return make


def run_push(
    settings: Any,
    sync_names: list[str] | None = None,
    *,
    connection: str | None = None,
    dry_run: bool = False,
    warehouse_cfg: WarehouseConfig | None = None,
    client_factory: Callable[[str | None], Any] | None = None,
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
        reports = _run_waves(ctxs, cfgs)
    return PushReport(run_id=run_id, dry_run=dry_run, syncs=reports)


def _run_waves(ctxs: dict[str, Context], cfgs: list[SyncConfig]) -> list[SyncReport]:
    """Plan and send wave by wave (``reverse_etl.order``): a sync declared ``after`` another
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


def _plan_one(ctx: Context, cfg: SyncConfig) -> tuple[Plan | None, int, str | None]:
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
    ctx: Context, cfg: SyncConfig, plan: Plan | None, plan_requests: int, error: str | None
) -> SyncReport:
    if ctx.stop is not None:
        ctx.stop.check()
    if plan is None:
        return _failed_before_sending(ctx, cfg, error or "failed", plan_requests)
    started = ctx.now()
    ctx.cache.clear()  # what planning found missing, an earlier sync may have created since
    ctx.current = cfg
    report = SyncReport.from_plan(plan, ctx.run_id, ctx.dry_run)
    report.requests = plan_requests
    try:
        if not ctx.dry_run:
            _ledger_rejects(ctx, plan)
            _remember_existing(ctx, plan, report)
            before = ctx.requests(cfg)
            try:
                with plan.stages.stage("send"):
                    _execute(ctx, plan, report)
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


def _remember_existing(ctx: Context, plan: Plan, report: SyncReport) -> None:
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
        pl.Series("attempt_id", [uuid.uuid4().hex for _ in range(recovered.height)]),
        pl.lit(1).alias("attempt"),
    )
    # a pending attempt first, then its outcome and the snapshot in one transaction: a crash
    # in between leaves the key unconfirmed, and the next run finds the record again
    ledger.write_pending(ctx.wh, _pending(ctx, cfg, recovered))
    note = "found in Custify: the unconfirmed earlier attempt had created it"
    outcomes = recovered.select(
        "attempt_id", pl.lit("confirmed").alias("status"),
        pl.lit(200, dtype=pl.Int64).alias("http_status"), pl.lit(note).alias("error"),
        "custify_id", pl.lit(now).alias("finished_at"),
    )  # fmt: skip
    report.confirmed += recovered.height
    ledger.commit_wave(ctx.wh, outcomes, cfg.name, seen.select(
        pl.lit(cfg.name).alias("sync"), pl.lit(cfg.target.name).alias("object"),
        pl.lit(cfg.match).alias("match"), "key", "op", "payload_hash", "payload", "custify_id",
        "created", pl.lit(ctx.now()).alias("confirmed_at"), pl.lit(ctx.run_id).alias("run_id"),
        pl.col("tag_id").alias("ref_id"), "row_hash",
    ))  # fmt: skip


def _ledger_rejects(ctx: Context, plan: Plan) -> None:
    """Validation rejects enter the ledger once per content, so status can count them."""
    bad = plan.rejected
    if bad.height == 0:
        return
    key = pl.coalesce(pl.col("key"), pl.format("#row{}", pl.col("row")))
    rows = bad.with_columns(
        key.alias("key"),
        pl.coalesce("row_hash", stable_hash(bad.get_column("values"))).alias("payload_hash"),
    )
    latest = ledger.latest_attempts(ctx.wh, plan.cfg.name)
    seen = latest.filter(pl.col("status") == "rejected").select("key", "payload_hash")
    rows = rows.join(seen, on=["key", "payload_hash"], how="anti")
    if rows.height == 0:
        return
    now = ctx.now()
    ledger.append_final(ctx.wh, rows.select(
        pl.Series("attempt_id", [uuid.uuid4().hex for _ in range(rows.height)]),
        pl.lit(ctx.run_id).alias("run_id"), pl.lit(plan.cfg.name).alias("sync"), "key",
        "op", "payload_hash", pl.lit("rejected").alias("status"),
        pl.lit(1).alias("attempt"), pl.lit(None, dtype=pl.Int64).alias("http_status"),
        pl.col("reason").alias("error"), pl.lit(None, dtype=pl.String).alias("custify_id"),
        pl.lit(now).alias("attempted_at"), pl.lit(now).alias("finished_at"),
    ))  # fmt: skip


def _execute(ctx: Context, plan: Plan, report: SyncReport) -> None:
    cfg = plan.cfg
    diff = plan.diff
    if diff.height == 0:
        return
    if cfg.kind == Kind.TAG:
        diff = lookups.entity_ids(ctx, cfg, diff)
    ids = [uuid.uuid4().hex for _ in range(diff.height)]
    diff = diff.with_columns(pl.Series("attempt_id", ids, dtype=pl.String))
    unresolved = diff.filter(pl.col("op").str.starts_with("tag_") & pl.col("custify_id").is_null())
    if unresolved.height:
        _unresolved(ctx, plan, report, unresolved)
        diff = diff.join(unresolved.select("attempt_id"), on="attempt_id", how="anti")
    state = plan.state if plan.state is not None else pl.DataFrame({"custify_id": []})
    client = ctx.client(cfg)
    roads.restore(ctx, cfg, client)  # a /batch refused on an earlier run stays refused
    sender = Sender(cfg, client, set(state.get_column("custify_id").drop_nulls()))
    slices = iter_units(cfg, diff, batch=sender.batch_open())
    workers = ctx.concurrency(cfg)
    flight = _Flight(ctx, plan, report, diff.height)
    try:
        with ThreadPoolExecutor(workers, thread_name_prefix=f"push-{cfg.name}") as pool:
            # waves of ``workers`` units, two in flight: the older wave's outcomes are written
            # while the newer one's requests run, so the budget is not idle during ledger I/O
            for parts in _waves(slices, workers):
                if ctx.stop is not None and ctx.stop.is_set():
                    flight.land_all()  # every sent row has its outcome written, then stop
                    ctx.stop.check()
                rows = pl.concat([frame for _, frame in parts], rechunk=True)
                wave = [Unit.of(how, frame) for how, frame in parts]
                ledger.write_pending(ctx.wh, _pending(ctx, cfg, rows))
                flight.waves.append((rows, wave, [pool.submit(sender.run, u) for u in wave]))
                if len(flight.waves) >= 2:
                    flight.land_oldest()
            flight.land_all()
    finally:
        report.road = sender.road.describe()
    roads.persist(ctx, cfg, client)


def _records(
    ctx: Context, plan: Plan, rows: pl.DataFrame, outcomes: pl.DataFrame, now: object
) -> None:
    """What get syncs read: appended to ``<sync>__records`` (key, custify_id, record JSON),
    so SQL downstream (a recipe's next step) can use the resolved records."""
    got = outcomes.filter(pl.col("record").is_not_null())
    if got.height == 0:
        return
    keyed = rows.select("attempt_id", "key").join(got, on="attempt_id", how="inner")
    ctx.wh.insert_df(f"{plan.cfg.name}__records", keyed.select(
        "key", "custify_id", "record", pl.lit(ctx.run_id).alias("run_id"),
        pl.lit(now, dtype=pl.Datetime("us", "UTC")).alias("fetched_at"),
    ))  # fmt: skip


def _refused(
    ctx: Context, plan: Plan, rows: pl.DataFrame, outcomes: pl.DataFrame, now: object
) -> None:
    """Rows Custify refused join the run's ``<sync>__rejected`` next to the invalid ones,
    so one table answers "what did not go through, and why"."""
    refused = outcomes.filter(pl.col("status") == "rejected")
    if refused.height == 0:
        return
    keyed = rows.select("attempt_id", "key", "payload").join(refused, on="attempt_id")
    ctx.wh.insert_df(f"{plan.cfg.name}__rejected", keyed.select(
        pl.lit(None, dtype=pl.Int64).alias("row"), "key", pl.col("error").alias("reason"),
        pl.col("payload").alias("values"), pl.lit("refused").alias("op"),
        pl.lit(None, dtype=pl.String).alias("row_hash"), pl.lit(ctx.run_id).alias("run_id"),
        pl.lit(now, dtype=pl.Datetime("us", "UTC")).alias("rejected_at"),
    ))  # fmt: skip


class _Flight:
    """Waves whose requests are out, oldest first; landing one writes its outcomes."""

    def __init__(self, ctx: Context, plan: Plan, report: SyncReport, total: int) -> None:
        self.ctx, self.plan, self.report, self.total = ctx, plan, report, total
        self.waves: collections.deque = collections.deque()
        self.done = 0

    def land_oldest(self) -> None:
        """Wait for the oldest wave and write its outcomes; a fatal error in it lands the
        waves still out too (their requests left already) and stops the run."""
        rows, wave, futures = self.waves.popleft()
        outcomes, fatal = _collect(futures, wave)
        _finish(self.ctx, self.plan, self.report, rows, outcomes)
        self.done += rows.height
        self.ctx.report_progress(self.plan.cfg.name, self.done, self.total)
        if fatal is not None:
            self.land_all()
            raise fatal

    def land_all(self) -> None:
        while self.waves:
            self.land_oldest()


def _waves(slices: Iterator[tuple[str, pl.DataFrame]], size: int) -> Iterator[list]:
    """Up to ``size`` units a wave, taken from the plan as the waves go."""
    while wave := list(itertools.islice(slices, size)):
        yield wave


def _collect(futures: list[Future], wave: list[Unit]) -> tuple[list[Outcome], FatalError | None]:
    """Every unit's outcomes; a fatal error fails its rows and stops the run after this wave."""
    outcomes: list[Outcome] = []
    fatal: FatalError | None = None
    for future, unit in zip(futures, wave, strict=True):
        try:
            outcomes += future.result()
        except FatalError as exc:
            fatal = fatal or exc
            outcomes += [
                Outcome(r["attempt_id"], "failed", exc.status, str(exc)) for r in unit.rows
            ]
    return outcomes, fatal


def _pending(ctx: Context, cfg: SyncConfig, rows: pl.DataFrame) -> pl.DataFrame:
    return rows.select(
        "attempt_id", pl.lit(ctx.run_id).alias("run_id"), pl.lit(cfg.name).alias("sync"), "key",
        "op", "payload_hash", "attempt", pl.lit(ctx.now()).alias("attempted_at"),
    )  # fmt: skip


def _unresolved(ctx: Context, plan: Plan, report: SyncReport, rows: pl.DataFrame) -> None:
    """Tag rows whose entity Custify does not know: failed (retried later), nothing sent."""
    cfg = plan.cfg
    ledger.write_pending(ctx.wh, _pending(ctx, cfg, rows))
    note = f"no single {cfg.target.name} record with this {cfg.match} in Custify (none, or several)"
    outcomes = [Outcome(a, "failed", 404, note) for a in rows.get_column("attempt_id")]
    _finish(ctx, plan, report, rows, outcomes, sent=False)


def _finish(
    ctx: Context,
    plan: Plan,
    report: SyncReport,
    rows: pl.DataFrame,
    outcomes: list[Outcome],
    sent: bool = True,
) -> None:
    """Write the wave's outcomes, advance the snapshot for confirmed rows, count."""
    now = ctx.now()
    frame = pl.DataFrame(
        [o.__dict__ for o in outcomes],
        schema={"attempt_id": pl.String, "status": pl.String, "http_status": pl.Int64,
                "error": pl.String, "custify_id": pl.String, "record": pl.String},
    ).with_columns(pl.lit(now).alias("finished_at"))  # fmt: skip
    joined = rows.join(frame.rename({"custify_id": "o_id"}), on="attempt_id", how="inner")
    confirmed = joined.filter(pl.col("status") == "confirmed")
    cfg = plan.cfg
    ledger.commit_wave(ctx.wh, frame.drop("record"), cfg.name, confirmed.select(
        pl.lit(cfg.name).alias("sync"), pl.lit(cfg.target.name).alias("object"),
        pl.lit(cfg.match).alias("match"), "key", "op", "payload_hash", "payload",
        pl.coalesce("o_id", "custify_id").alias("custify_id"), "created",
        pl.lit(now).alias("confirmed_at"), pl.lit(ctx.run_id).alias("run_id"),
        pl.col("tag_id").alias("ref_id"), "row_hash",
    ))  # fmt: skip
    _records(ctx, plan, rows, frame, now)
    _refused(ctx, plan, rows, frame, now)
    report.add(frame.get_column("status"), sent=rows.height if sent else 0)
