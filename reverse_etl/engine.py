"""``run_push``: plan every sync, then send each plan in ledgered waves.

A wave is up to ``2 x concurrency`` request units. Before a wave leaves, its rows are written to
the ledger as ``pending``; the units run on a thread pool sized by the connection's
``concurrency`` (all through one client, so one rate budget); then the outcomes are written and
the confirmed snapshot advances, in a few set-based statements. Warehouse I/O stays on the
calling thread (DuckDB connections are not shared across threads), requests overlap.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import polars as pl

from custify.errors import ConfigError, FatalError
from models.clock import Clock, RealClock
from reverse_etl import ledger, lookups
from reverse_etl.config import Kind, SyncConfig, select_syncs
from reverse_etl.context import Context, Progress
from reverse_etl.errors import SyncConfigError
from reverse_etl.payload import stable_hash
from reverse_etl.plan import Plan, plan_sync
from reverse_etl.report import PushReport, SyncReport
from reverse_etl.sender import Outcome, Sender, Unit, plan_units
from warehouse import SessionWarehouse, WarehouseConfig, warehouse_config


def default_client_factory(settings: Any, clock: Clock) -> Callable[[str | None], Any]:
    from custify.client import CustifyClient

    def make(connection: str | None) -> Any:
        return CustifyClient(settings.connection(connection), clock=clock)

    return make


def run_push(
    settings: Any,
    sync_names: list[str] | None = None,
    *,
    dry_run: bool = False,
    warehouse_cfg: WarehouseConfig | None = None,
    client_factory: Callable[[str | None], Any] | None = None,
    progress: Progress | None = None,
    clock: Clock | None = None,
) -> PushReport:
    """Push the named syncs (all when None/empty); see the module doc for the order of work.

    Raises ``SyncConfigError`` (exit 2) before anything is sent when any sync is misconfigured
    or its delete guard trips.
    """
    raw = getattr(settings, "raw", {}) or {}
    cfgs = select_syncs(raw, sync_names)
    if client_factory is None:
        _check_connections(settings, cfgs)
    clock = clock or RealClock()
    factory = client_factory or default_client_factory(settings, clock)
    with SessionWarehouse(warehouse_cfg or warehouse_config(raw)) as wh:
        ledger.ensure_tables(wh)
        ctx = Context(settings, wh, factory, clock=clock, dry_run=dry_run, progress=progress)
        try:
            plans: list[tuple[Plan, int]] = []
            for cfg in cfgs:
                before = ctx.requests(cfg)
                plan = plan_sync(ctx, cfg)
                plans.append((plan, ctx.requests(cfg) - before))
            reports = [_run_one(ctx, plan, lookups_cost) for plan, lookups_cost in plans]
        finally:
            if client_factory is None:
                for client in ctx._clients.values():
                    client.close()
    return PushReport(run_id=ctx.run_id, dry_run=dry_run, syncs=reports)


def _check_connections(settings: Any, cfgs: list[SyncConfig]) -> None:
    """An unknown or incomplete connection is a config error before any work."""
    for cfg in cfgs:
        try:
            settings.connection(cfg.connection)
        except ConfigError as exc:
            raise SyncConfigError(f"{cfg.where('connection')}: {exc}") from None


def _run_one(ctx: Context, plan: Plan, plan_requests: int) -> SyncReport:
    cfg = plan.cfg
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
            _execute(ctx, plan, report)
            report.requests += ctx.requests(cfg) - before
    except FatalError as exc:
        report.error = str(exc)
        raise
    finally:
        ledger.record_run(ctx.wh, report.run_row(started, ctx.now(), plan.summary()))
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
    units = plan_units(cfg, diff)
    state = plan.state if plan.state is not None else pl.DataFrame({"custify_id": []})
    sender = Sender(cfg, ctx.client(cfg), set(state.get_column("custify_id").drop_nulls()))
    workers = ctx.concurrency(cfg)
    done = 0
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"push-{cfg.name}") as pool:
        for wave in _waves(units, 2 * workers):
            rows = pl.DataFrame([r for u in wave for r in u.rows], schema=diff.schema)
            ledger.write_pending(ctx.wh, _pending(ctx, cfg, rows))
            futures = [pool.submit(sender.run, unit) for unit in wave]
            outcomes, fatal = _collect(futures, wave)
            _finish(ctx, plan, report, rows, outcomes)
            done += rows.height
            ctx.report_progress(cfg.name, done, diff.height)
            if fatal is not None:
                raise fatal


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


def _waves(units: list[Unit], size: int) -> Iterator[list[Unit]]:
    for i in range(0, len(units), size):
        yield units[i : i + size]


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
    note = f"no {cfg.target.name} with this {cfg.match} in Custify"
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
