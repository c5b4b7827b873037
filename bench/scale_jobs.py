"""Client jobs of the push-scale benchmarks (run by ``bench.child`` in a fresh process).

``push_diff``: the warehouse holds ``n`` extracted people, written straight into DuckDB in
the shape the ELT leaves them (``people`` with ``custom_attributes__<key>`` columns,
``_custify_deleted_at``, the dlt bookkeeping columns, and a finished full scan in
``_custify_extract_runs``); ``desired_people`` equals them except every ``1/changed_every``-th
row, whose ``seats`` differ. One measured ``run_push`` of a people upsert sync: the diff must
find the changed rows and send only them. Set-up runs before the clock starts.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any


def _cpu() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _extracted_people(wh: Any, n: int, changed_every: int) -> None:
    """``people`` as the ELT leaves it after a full scan, ``desired_people`` as a model would
    build it from the same source, differing in ``seats`` on every ``changed_every``-th row."""
    from pipelines.status import RUN_COLUMNS, RUNS_TABLE

    now = dt.datetime.now(dt.UTC)
    read_at, updated = now - dt.timedelta(hours=1), now - dt.timedelta(hours=2)
    people, desired, runs = wh.table("people"), wh.table("desired_people"), wh.table(RUNS_TABLE)
    wh.execute(
        f"CREATE OR REPLACE TABLE {people} AS SELECT "
        "printf('%024x', i + 1000000) AS id, printf('u-%07d', i) AS user_id, "
        "printf('u-%07d@scale.example', i) AS email, printf('Person %d', i) AS name, "
        "CAST(NULL AS VARCHAR) AS phone, printf('c-%05d', i % 50000) AS company_id, "
        "CAST(i AS BIGINT) AS custom_attributes__seats, "
        f"TIMESTAMPTZ '{updated.isoformat()}' - to_seconds(i % 86400) AS created_at, "
        f"TIMESTAMPTZ '{updated.isoformat()}' AS updated_at, "
        "CAST(NULL AS TIMESTAMPTZ) AS _custify_deleted_at, "
        "'1700000000.1' AS _dlt_load_id, printf('%014x', i) AS _dlt_id "
        f"FROM range({int(n)}) t(i)"
    )
    wh.execute(
        f"CREATE OR REPLACE TABLE {desired} AS SELECT user_id, email, CASE WHEN "
        f"row_number() OVER () % {int(changed_every)} = 1 THEN custom_attributes__seats + 1 "
        f"ELSE custom_attributes__seats END AS custom_attributes__seats FROM {people}"
    )
    cols = ", ".join(f'"{c}" {t}' for c, t in RUN_COLUMNS)
    wh.execute(f"CREATE TABLE IF NOT EXISTS {runs} ({cols})")
    objects = json.dumps({"people": {"mode": "full", "status": "done", "rows": n}})
    wh.execute(f"INSERT INTO {runs} VALUES (%s, %s, %s, %s, 0, 0, 0, 0, 0, %s)",
               ["bench-extract", read_at, read_at, n, objects])  # fmt: skip


def push_diff_setup(spec: dict[str, Any]) -> dict[str, Any]:
    """The warehouse of ``push_diff``, in a process of its own (DuckDB's memory for building
    a million rows must not count as the push's)."""
    from bench.child import _warehouse
    from warehouse import SessionWarehouse

    n, every = int(spec["n"]), int(spec.get("changed_every", 100))
    wall0 = time.perf_counter()
    with SessionWarehouse(_warehouse(spec)) as wh:
        _extracted_people(wh, n, every)
        changed = wh.query_rows(
            f"SELECT count(*) FROM {wh.table('desired_people')} d JOIN {wh.table('people')} p "
            "USING (user_id) WHERE d.custom_attributes__seats <> p.custom_attributes__seats"
        )[0][0]
    return {"work_s": time.perf_counter() - wall0, "work_cpu_s": _cpu(), "changed": int(changed)}


def push_diff(spec: dict[str, Any]) -> dict[str, Any]:
    """One measured ``run_push`` of the people sync; ``dry_run`` plans only (read, validate,
    diff, plan tables; one probe request): the diff + plan figure for any version of the
    code. Each is its own process, as a scheduled job would be."""
    from bench.child import _connection, _heavy_imports, _warehouse

    _heavy_imports(push=True)
    from custify.settings import Settings
    from reverse_etl import run_push

    conn, cfg = _connection(spec), _warehouse(spec)
    syncs = {"people_upsert": {"object": "people", "match": "user_id", "table": "desired_people"}}
    settings = Settings(connections={"default": conn}, raw={"syncs": syncs})
    setup_cpu = _cpu()
    dry = bool(spec.get("dry_run"))
    wall0, cpu0 = time.perf_counter(), _cpu()
    report = run_push(settings, ["people_upsert"], warehouse_cfg=cfg, dry_run=dry)
    s = report.syncs[0]
    return {
        "work_s": time.perf_counter() - wall0, "work_cpu_s": _cpu() - cpu0,
        "setup_cpu_s": setup_cpu, "rows": int(spec["n"]), "dry_run": dry,
        "requests": report.requests, "planned": dict(s.planned), "skipped": dict(s.skipped),
        "sent": s.sent, "confirmed": s.confirmed, "rejected": s.rejected, "failed": s.failed,
        "stages": getattr(s, "stages", {}), "exit_code": report.exit_code,
        "error": str(s.error) if s.error else None,
    }  # fmt: skip


def push_setup(spec: dict[str, Any]) -> dict[str, Any]:
    """``desired_people`` of the ``push`` job (``n`` new people), written in a process of its
    own so that the measured push process starts from the warehouse alone."""
    from bench.child import _warehouse
    from warehouse import SessionWarehouse

    n, prefix = int(spec["n"]), spec.get("prefix", "bench")
    wall0 = time.perf_counter()
    with SessionWarehouse(_warehouse(spec)) as wh:
        wh.execute(
            f"CREATE OR REPLACE TABLE {wh.table('desired_people')} AS SELECT "
            f"printf('{prefix}-%06d', i) AS user_id, "
            f"printf('{prefix}-%06d@bench.example', i) AS email, "
            f"CAST(i AS BIGINT) AS custom_attributes__seats FROM range({n}) t(i)"
        )
    return {"work_s": time.perf_counter() - wall0, "work_cpu_s": _cpu()}
