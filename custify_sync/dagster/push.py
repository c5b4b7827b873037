"""One asset per reverse-ETL sync, downstream of the tables it reads, with checks on its rows.

A sync reads a table or a query of the connection's dataset. Tables the extract writes (an
object, its child tables ``<object>__<field>``, ``trigger_events``) are its upstream assets, so
a recipe reacting to trigger events runs after the extract that found them; any other table
(the analytics engineer's model) is an external asset (``AssetSpec``) Dagster shows but never
materializes. The materialization is ``run_push`` of that one sync, under the run lock like
``custify-sync push``; its checks fail when Custify refused rows or rows failed.
"""

# no `from __future__ import annotations`: Dagster reads the context annotation at runtime
from typing import Any

import dagster as dg
import sqlglot
from dagster import AssetExecutionContext
from sqlglot import exp

from custify_sync.dagster import naming
from custify_sync.project import Project
from models.registry import EXTRACTED
from pipelines import EVENTS_TABLE
from reverse_etl import run_push
from reverse_etl.config import SyncConfig
from reverse_etl.engine.report import SyncReport
from warehouse.lock import RunLocked

PRODUCED = {o.name for o in EXTRACTED} | {EVENTS_TABLE}
DIALECTS = {"duckdb": "duckdb", "postgres": "postgres", "snowflake": "snowflake"}
REJECTED, FAILED = "rejected_rows", "failed_rows"


def tables_read(sync: SyncConfig, destination: str) -> list[str]:
    """The tables a sync reads: its ``table``, or every table its query names (CTEs are not
    tables). A query sqlglot cannot parse reads nothing we can name (the push still runs)."""
    if sync.table:
        return [sync.table]
    if not sync.query:
        return []
    try:
        tree = sqlglot.parse_one(sync.query, read=DIALECTS.get(destination))
    except sqlglot.errors.ParseError:
        return []
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    names = {".".join(p for p in (t.db, t.name) if p) for t in tree.find_all(exp.Table)}
    return sorted(n for n in names if n and n.lower() not in ctes)


def upstream(connection: str, dataset: str, table: str) -> tuple[dg.AssetKey, bool]:
    """The asset key of a table a sync reads, and whether custify-sync produces it."""
    schema, _, name = table.rpartition(".")
    local = name.lower() if schema.lower() in ("", dataset.lower()) else None
    if local is not None:
        base = local.split("__", 1)[0] if "__" in local else local
        if base in PRODUCED:
            return naming.table_key(connection, base), True
    return naming.external_key(connection, table), False


def sync_assets(
    project: Project, connection: str, syncs: list[SyncConfig], lock_wait_s: float
) -> tuple[list[dg.AssetsDefinition], list[dg.AssetSpec]]:
    """The sync assets of one connection, and the external assets they read."""
    cfg = project.warehouse_for(connection)
    assets, external = [], {}
    for sync in syncs:
        deps = []
        for table in tables_read(sync, cfg.destination):
            key, ours = upstream(connection, cfg.dataset, table)
            deps.append(key)
            if not ours:
                external[key] = dg.AssetSpec(key=key, group_name=naming.group(connection),
                                             description=f"{table}, read by the syncs "
                                             "(not written by custify-sync)")  # fmt: skip
        assets.append(_sync_asset(project, connection, sync, sorted(set(deps)), lock_wait_s))
    return assets, list(external.values())


def _sync_asset(
    project: Project, connection: str, sync: SyncConfig, deps: list[dg.AssetKey], wait: float
) -> dg.AssetsDefinition:
    key = naming.sync_key(connection, sync.name)

    @dg.asset(
        key=key,
        deps=deps,
        group_name=naming.group(connection),
        description=f"reverse-ETL sync {sync.name}: {sync.kind} of Custify {sync.object.name}",
        kinds={"custify"},
        tags={"custify/connection": connection},
        pool=naming.pool(connection),
        check_specs=[
            dg.AssetCheckSpec(
                REJECTED,
                asset=key,
                description="rows Custify refused or that "
                "failed validation before sending (held until they change)",
            ),
            dg.AssetCheckSpec(
                FAILED,
                asset=key,
                description="rows that failed after the retries, or sent without a final answer",
            ),
        ],  # fmt: skip
    )
    def _push(context: AssetExecutionContext) -> dg.MaterializeResult:
        try:
            report = run_push(project.settings, [sync.name], connection=connection,
                              warehouse_cfg=project.warehouse, lock_wait_s=wait)  # fmt: skip
        except RunLocked as exc:
            raise dg.Failure(naming.locked(connection, exc)) from None
        one = report.syncs[0]
        if one.error:
            raise dg.Failure(one.error, metadata=sync_metadata(one))
        context.log.info(f"sync {sync.name}: {one.sent} sent, {one.confirmed} confirmed, "
                         f"{one.rejected} rejected, {one.failed} failed")  # fmt: skip
        return dg.MaterializeResult(metadata=sync_metadata(one), check_results=checks(one))

    return _push


def checks(report: SyncReport) -> list[dg.AssetCheckResult]:
    return [
        dg.AssetCheckResult(
            check_name=REJECTED, passed=report.rejected == 0,
            severity=dg.AssetCheckSeverity.WARN, metadata={"rejected": report.rejected},
        ),
        dg.AssetCheckResult(
            check_name=FAILED, passed=not (report.failed or report.unconfirmed),
            metadata={"failed": report.failed, "unconfirmed": report.unconfirmed},
        ),
    ]  # fmt: skip


def sync_metadata(report: SyncReport) -> dict[str, Any]:
    out: dict[str, Any] = {
        "run_id": report.run_id,
        "planned": sum(report.planned.values()),
        "sent": report.sent,
        "confirmed": report.confirmed,
        "rejected": report.rejected,
        "failed": report.failed,
        "unconfirmed": report.unconfirmed,
        "requests": report.requests,
    }
    if report.planned:
        out["planned_by_op"] = dict(sorted(report.planned.items()))
    if report.skipped:
        out["skipped"] = dict(sorted(report.skipped.items()))
    if report.road:
        out["road"] = report.road
    if report.warnings:
        out["warnings"] = "; ".join(report.warnings)[:2000]
    return out
