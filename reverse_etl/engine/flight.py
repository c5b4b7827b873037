"""Send one sync's plan in ledgered waves: pending rows ahead, requests on a thread pool,
outcomes and the confirmed snapshot after, in a few set-based statements.

A wave is up to ``concurrency`` request units, two waves in flight: the older wave's outcomes
are written while the newer one's requests run, so the rate budget is not idle during ledger
I/O. Warehouse I/O stays on the calling thread (DuckDB connections are not shared across
threads), requests overlap.
"""

from __future__ import annotations

import collections
import itertools
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import polars as pl

from custify.errors import FatalError
from reverse_etl import ledger
from reverse_etl.config import Kind, SyncConfig
from reverse_etl.engine.context import Context
from reverse_etl.engine.report import SyncReport
from reverse_etl.engine.sync_plan import SyncPlan
from reverse_etl.identify import entity_ids
from reverse_etl.ledger import rows as ledger_rows
from reverse_etl.ledger.schemas import records_table, rejected_table
from reverse_etl.send import roads
from reverse_etl.send.outcome import Outcome
from reverse_etl.send.sender import How, Sender, Unit, iter_units

Wave = tuple[pl.DataFrame, list[Unit], list[Future[list[Outcome]]]]


def send_plan(ctx: Context, plan: SyncPlan, report: SyncReport) -> None:
    """Send ``plan.diff``; every row sent ends with its outcome in the ledger."""
    cfg = plan.cfg
    diff = plan.diff
    if diff.height == 0:
        return
    if cfg.kind == Kind.TAG:
        diff = entity_ids(ctx, cfg, diff)
    diff = diff.with_columns(ledger_rows.attempt_ids(diff.height))
    unresolved = diff.filter(pl.col("op").str.starts_with("tag_") & pl.col("custify_id").is_null())
    if unresolved.height:
        _unresolved(ctx, plan, report, unresolved)
        diff = diff.join(unresolved.select("attempt_id"), on="attempt_id", how="anti")
    client = ctx.client(cfg)
    roads.restore(ctx, cfg, client)  # a /batch refused on an earlier run stays refused
    state = plan.state
    claimed: list[str] = []
    if "custify_id" in state.columns:
        claimed = state.get_column("custify_id").drop_nulls().cast(pl.String).to_list()
    sender = Sender(cfg, client, set(claimed))
    slices = iter_units(cfg, diff, batch=sender.batch_open())
    workers = ctx.concurrency(cfg)
    flight = _Flight(ctx, plan, report, diff.height)
    try:
        with ThreadPoolExecutor(workers, thread_name_prefix=f"push-{cfg.name}") as pool:
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


class _Flight:
    """Waves whose requests are out, oldest first; landing one writes its outcomes."""

    def __init__(self, ctx: Context, plan: SyncPlan, report: SyncReport, total: int) -> None:
        self.ctx, self.plan, self.report, self.total = ctx, plan, report, total
        self.waves: collections.deque[Wave] = collections.deque()
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


def _waves(
    slices: Iterator[tuple[How, pl.DataFrame]], size: int
) -> Iterator[list[tuple[How, pl.DataFrame]]]:
    """Up to ``size`` units a wave, taken from the plan as the waves go."""
    while wave := list(itertools.islice(slices, size)):
        yield wave


def _collect(
    futures: list[Future[list[Outcome]]], wave: list[Unit]
) -> tuple[list[Outcome], FatalError | None]:
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
    return ledger_rows.pending(rows, run_id=ctx.run_id, sync=cfg.name, now=ctx.now())


def _unresolved(ctx: Context, plan: SyncPlan, report: SyncReport, rows: pl.DataFrame) -> None:
    """Tag rows whose entity Custify does not know: failed (retried later), nothing sent."""
    cfg = plan.cfg
    ledger.write_pending(ctx.wh, _pending(ctx, cfg, rows))
    note = f"no single {cfg.target.name} record with this {cfg.match} in Custify (none, or several)"
    outcomes = [Outcome(a, "failed", 404, note) for a in rows.get_column("attempt_id")]
    _finish(ctx, plan, report, rows, outcomes, sent=False)


def _finish(
    ctx: Context,
    plan: SyncPlan,
    report: SyncReport,
    rows: pl.DataFrame,
    outcomes: list[Outcome],
    sent: bool = True,
) -> None:
    """Write the wave's outcomes, advance the snapshot for confirmed rows, count; what a get
    read joins ``<sync>__records``, what Custify refused ``<sync>__rejected``."""
    now, cfg = ctx.now(), plan.cfg
    frame = ledger_rows.outcomes((o.__dict__ for o in outcomes), now)
    joined = rows.join(frame.rename({"custify_id": "o_id"}), on="attempt_id", how="inner")
    confirmed = joined.filter(pl.col("status") == "confirmed")
    snapshot = ledger_rows.snapshot(
        confirmed, sync=cfg.name, obj=cfg.target.name, match=cfg.match, run_id=ctx.run_id,
        now=now, custify_id=pl.coalesce("o_id", "custify_id"),
    )  # fmt: skip
    ledger.commit_wave(ctx.wh, frame.drop("record"), cfg.name, snapshot)
    read = ledger_rows.records(rows, frame, run_id=ctx.run_id, now=now)
    if read.height:
        ctx.wh.insert_df(records_table(cfg.name), read)
    refused = ledger_rows.refused(rows, frame, run_id=ctx.run_id, now=now)
    if refused.height:
        ctx.wh.insert_df(rejected_table(cfg.name), refused)
    report.add(frame.get_column("status"), sent=rows.height if sent else 0)
