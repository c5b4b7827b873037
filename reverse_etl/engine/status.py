"""``sync_status``: per sync, the last run and the pending / failed / rejected counts."""

from __future__ import annotations

from typing import Any

import polars as pl

from reverse_etl import ledger
from reverse_etl.config import load_syncs
from reverse_etl.engine.report import SyncStatus
from warehouse import SessionWarehouse, Warehouse, WarehouseConfig, warehouse_config
from warehouse.config import DEFAULT_CONNECTION


def sync_status(
    settings: Any, warehouse_cfg: WarehouseConfig | None = None, connection: str | None = None
) -> list[SyncStatus]:
    """The syncs of ``connection`` (default: the default one), read from its dataset's ledger
    and runs; never calls Custify."""
    raw = getattr(settings, "raw", {}) or {}
    name = connection or DEFAULT_CONNECTION
    syncs = {
        n: c for n, c in load_syncs(raw).items() if (c.connection or DEFAULT_CONNECTION) == name
    }
    dataset = getattr(settings, "datasets", {}).get(name)
    cfg = (warehouse_cfg or warehouse_config(raw)).for_connection(name, dataset)
    with SessionWarehouse(cfg) as wh:
        return _statuses(wh, syncs)


def _statuses(wh: Warehouse, syncs: dict) -> list[SyncStatus]:
    have_ledger = wh.table_exists(ledger.LEDGER)
    runs = _last_runs(wh) if wh.table_exists(ledger.RUNS) else {}
    out = []
    for name in syncs:
        counts: dict[str, int] = {}
        if have_ledger:
            latest = ledger.latest_attempts(wh, name)
            counts = dict(latest.get_column("status").value_counts().iter_rows())
        run = runs.get(name, {})
        out.append(
            SyncStatus(
                name=name,
                last_run_id=run.get("run_id"),
                last_run_at=run.get("started_at"),
                last_status=run.get("status"),
                confirmed=int(counts.get("confirmed", 0)),
                pending=int(counts.get("pending", 0) + counts.get("sent", 0)),
                failed=int(counts.get("failed", 0)),
                rejected=int(counts.get("rejected", 0)),
            )
        )
    return out


def _last_runs(wh: Warehouse) -> dict[str, dict]:
    q = wh.quote
    df = wh.query_df(
        f"SELECT {q('sync')}, {q('run_id')}, {q('started_at')}, {q('status')} "
        f"FROM {wh.table(ledger.RUNS)}"
    )
    if df.height == 0:
        return {}
    latest = df.sort("started_at").group_by("sync").agg(pl.all().last())
    return {row["sync"]: row for row in latest.to_dicts()}
