"""``extract_status``: what the warehouse holds and where each object's cursor stands.

Cursors are read from the dlt pipeline state (the same state the resources write, committed
with the data); when the local working directory is gone, dlt restores it from the
destination. The last runs are rows of ``_custify_extract_runs``, written after each load.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from models.registry import EXTRACTED
from pipelines.events import EVENTS_TABLE
from pipelines.frames import child_tables
from warehouse import Warehouse, WarehouseConfig, make_pipeline

RUNS_TABLE = "_custify_extract_runs"
SOURCE_NAME = "custify"


@dataclass
class ObjectStatus:
    object: str
    rows: int
    cursor: str | None
    last_scan_at: datetime | None
    last_mode: str | None


@dataclass
class ExtractStatus:
    destination: str
    dataset: str
    last_run: dict[str, Any] | None
    objects: list[ObjectStatus] = field(default_factory=list)
    #: every table of the ELT (objects, child tables, trigger_events) -> row count
    tables: dict[str, int] = field(default_factory=dict)


RUN_COLUMNS = (
    ("run_id", "TEXT"), ("started_at", "TIMESTAMP WITH TIME ZONE"),
    ("finished_at", "TIMESTAMP WITH TIME ZONE"), ("rows", "BIGINT"), ("requests", "BIGINT"),
    ("rate_limited", "BIGINT"), ("events", "BIGINT"), ("deleted", "BIGINT"),
    ("schema_changes", "BIGINT"), ("objects", "TEXT"),
)  # fmt: skip


def record_run(pipeline: Any, report: Any) -> None:
    """Append one summary row per run, through one connection (read by ``extract_status``)."""
    per_object = {n: r.as_dict() for n, r in report.objects.items()}
    values = (
        report.run_id, report.started_at, report.finished_at, report.rows, report.requests,
        report.rate_limited, sum(report.events.values()), sum(report.deleted.values()),
        len(report.schema_changes), json.dumps(per_object, default=str, sort_keys=True),
    )  # fmt: skip
    with pipeline.sql_client() as client:
        if not client.has_dataset():
            client.create_dataset()
        write_run(client, values)


def write_run(client: Any, values: tuple[Any, ...]) -> None:
    table = client.make_qualified_table_name(RUNS_TABLE)
    cols = ", ".join(f"{client.escape_column_name(n)} {t}" for n, t in RUN_COLUMNS)
    client.execute_sql(f"CREATE TABLE IF NOT EXISTS {table} ({cols})")
    marks = ", ".join(["%s"] * len(values))
    client.execute_sql(f"INSERT INTO {table} VALUES ({marks})", *values)


def extract_status(warehouse_cfg: WarehouseConfig) -> ExtractStatus:
    """Last run, rows per table and each object's cursor."""
    wh = Warehouse(warehouse_cfg)
    status = ExtractStatus(warehouse_cfg.destination, warehouse_cfg.dataset, _last_run(wh))
    tables = [o.name for o in EXTRACTED]
    tables += [t for o in EXTRACTED for t in child_tables(o)]
    tables.append(EVENTS_TABLE)
    existing = _existing_tables(wh)
    for name in tables:
        if name in existing:
            status.tables[name] = int(wh.query_rows(f"SELECT COUNT(*) FROM {wh.table(name)}")[0][0])
    resources = _resource_states(warehouse_cfg)
    for obj in EXTRACTED:
        st = resources.get(obj.name, {})
        last = st.get("last_scan_at")
        status.objects.append(
            ObjectStatus(
                obj.name,
                status.tables.get(obj.name, 0),
                st.get("cursor"),
                datetime.fromtimestamp(last).astimezone() if last else None,
                st.get("last_mode"),
            )
        )
    return status


def _existing_tables(wh: Warehouse) -> set[str]:
    rows = wh.query_rows(
        "SELECT table_name FROM information_schema.tables WHERE lower(table_schema) = lower(%s)",
        (wh.cfg.dataset,),
    )
    return {str(r[0]).lower() for r in rows}


def _last_run(wh: Warehouse) -> dict[str, Any] | None:
    if not wh.table_exists(RUNS_TABLE):
        return None
    frame = wh.query_df(
        f"SELECT * FROM {wh.table(RUNS_TABLE)} ORDER BY finished_at DESC, run_id DESC LIMIT 1"
    )
    if frame.is_empty():
        return None
    row = frame.row(0, named=True)
    row["objects"] = json.loads(row["objects"]) if row.get("objects") else {}
    return row


def _resource_states(cfg: WarehouseConfig) -> dict[str, dict[str, Any]]:
    """Resource states from the local pipeline, restored from the destination if missing."""
    pipeline = make_pipeline(cfg)
    state = pipeline.state.get("sources", {}).get(SOURCE_NAME)
    if state is None:
        try:
            pipeline.sync_destination()
        except Exception:  # no state stored yet: nothing was ever loaded
            return {}
        state = pipeline.state.get("sources", {}).get(SOURCE_NAME)
    return dict((state or {}).get("resources", {}))
