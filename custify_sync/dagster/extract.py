"""The ELT of one connection as dlt assets: one asset per object resource of our dlt source.

The assets are declared through dagster-dlt's ``@dlt_assets`` (keys from the translator, the
pipeline's destination as the asset kind), but a materialization runs ``run_extract``, the
CLI's own run: the same pipeline (name, pipelines_dir, dataset), so cursors and dlt state are
shared with ``custify-sync extract``, under the same run lock, with the same recovery of a
killed run's packages, reconciled deletes and run record. dagster-dlt's ``DagsterDltResource``
would call ``pipeline.run`` and skip all of that.
"""

# no `from __future__ import annotations`: Dagster reads the context annotation at runtime
from typing import Any

import dagster as dg
from dagster import AssetExecutionContext
from dagster_dlt import DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData

from custify_sync.dagster import naming
from custify_sync.project import Project
from models.registry import EXTRACTED
from pipelines import EVENTS_TABLE, run_extract
from pipelines.run import ExtractReport
from warehouse import make_pipeline
from warehouse.lock import RunLocked

OBJECTS = {o.name: o for o in EXTRACTED}


class CustifyTranslator(DagsterDltTranslator):
    """``custify/<connection>/<resource>``, in the connection's group, with no upstream
    (the source is Custify itself, not an asset)."""

    def __init__(self, connection: str) -> None:
        self.connection = connection

    def get_asset_spec(self, data: DltResourceTranslatorData) -> dg.AssetSpec:
        name = data.resource.name
        obj = OBJECTS.get(name)
        what = (f"Custify {name}, extracted incrementally" if obj
                else "trigger events the extract detected")  # fmt: skip
        kinds = {"dlt", data.destination.destination_name} if data.destination else {"dlt"}
        return dg.AssetSpec(
            key=naming.table_key(self.connection, name),
            group_name=naming.group(self.connection),
            description=f"{what} (connection {self.connection})",
            kinds=kinds,
            tags={"custify/connection": self.connection},
        )


def extract_assets(
    project: Project, connection: str, source: Any, lock_wait_s: float
) -> dg.AssetsDefinition:
    """``source``: ``custify_source`` of the project's options, naming the resources (it is
    never run: ``run_extract`` builds the run's own)."""
    cfg = project.warehouse_for(connection)

    @dlt_assets(
        dlt_source=source,
        dlt_pipeline=make_pipeline(cfg),
        name=f"{naming.group(connection)}_extract",
        dagster_dlt_translator=CustifyTranslator(connection),
        pool=naming.pool(connection),
    )
    def _extract(context: AssetExecutionContext) -> Any:
        selected = {key.path[-1] for key in context.selected_asset_keys}
        objects = sorted(selected & set(OBJECTS))
        everything = all(name in selected for name in source.resources if name in OBJECTS)
        try:
            report = run_extract(
                project.settings,
                connection=connection,
                objects=None if everything or not objects else objects,
                warehouse_cfg=project.warehouse,
                options=project.options,
                lock_wait_s=lock_wait_s,
            )
        except RunLocked as exc:
            raise dg.Failure(naming.locked(connection, exc)) from None
        context.log.info(
            f"extract {report.run_id}: {report.rows} rows, {report.requests} requests, "
            f"{report.rate_limited} x 429 into {report.destination} dataset {report.dataset}"
        )
        for name in sorted(selected):
            if name == EVENTS_TABLE:
                yield dg.MaterializeResult(
                    asset_key=naming.table_key(connection, name),
                    metadata=events_metadata(report),
                )
            elif (r := report.objects.get(name)) is not None and r.status != "failed":
                yield dg.MaterializeResult(
                    asset_key=naming.table_key(connection, name),
                    metadata=object_metadata(report, name),
                )
        if report.failures:  # those objects failed alone; the others are materialized
            raise dg.Failure("; ".join(report.failures), metadata=run_metadata(report))

    return _extract


def run_metadata(report: ExtractReport) -> dict[str, Any]:
    return {
        "run_id": report.run_id,
        "dataset": report.dataset,
        "run_rows": report.rows,
        "run_requests": report.requests,
        "run_rate_limited_429": report.rate_limited,
        "run_retries": report.retries,
        "run_seconds": round(report.seconds, 3),
    }


def object_metadata(report: ExtractReport, name: str) -> dict[str, Any]:
    r = report.objects[name]
    out: dict[str, Any] = {
        "rows": r.rows,
        "requests": r.requests,
        "rate_limited_429": r.rate_limited,
        "trigger_events": sum(r.events.values()),
        "status": r.status,
        "mode": r.mode,
        "cursor": r.cursor or "",
        **run_metadata(report),
    }
    if r.events:
        out["trigger_events_by_type"] = dict(sorted(r.events.items()))
    if r.note:
        out["note"] = r.note
    if name in report.deleted:
        out["deleted"] = report.deleted[name]
    return out


def events_metadata(report: ExtractReport) -> dict[str, Any]:
    return {
        "trigger_events": sum(report.events.values()),
        "trigger_events_by_type": dict(sorted(report.events.items())),
        **run_metadata(report),
    }
