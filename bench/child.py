"""One measured client run: ``python -m bench.child JOB SPEC.json OUT.json``.

Runs in its own process (started by ``harness.run_client``), talks to the sandbox process over
HTTP only, and writes what it measured in-process to OUT.json:

- ``work_s`` / ``work_cpu_s``: wall and CPU (user + system, all threads, ``RUSAGE_SELF``) of
  the measured call alone, after the imports and the set-up (tables to push, ...);
- ``setup_cpu_s``: CPU spent before it (interpreter start, imports, set-up);
- ``thread_cpu_s``: the process's CPU by thread (``bench.thread_cpu``);
- the job's own figures (rows, requests the client counted, per-object reports, ...).

The OS's view of the whole process (``os.wait4``) is added by the parent.
"""

from __future__ import annotations

import atexit
import gc
import json
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import thread_cpu


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _measure(fn: Callable[[], Any]) -> tuple[Any, dict[str, float]]:
    setup_cpu = _cpu()
    wall0, cpu0 = time.perf_counter(), _cpu()
    value = fn()
    return value, {
        "work_s": time.perf_counter() - wall0,
        "work_cpu_s": _cpu() - cpu0,
        "setup_cpu_s": setup_cpu,
    }


def _heavy_imports(*, push: bool = False) -> None:
    """Import what every job needs before the clock starts (the same for both sources); the
    push side only for push jobs, as ``custify-sync extract`` does not import it either."""
    import dlt  # noqa: F401
    import duckdb  # noqa: F401
    import polars  # noqa: F401
    import pyarrow  # noqa: F401
    import pyarrow.parquet  # noqa: F401

    import pipelines  # noqa: F401
    import warehouse  # noqa: F401

    if push:
        import reverse_etl  # noqa: F401


def _connection(spec: dict[str, Any]) -> Any:
    from custify.settings import ApiKey, ConnectionSettings

    return ConnectionSettings(
        api_key=ApiKey(spec["api_key"]),
        base_url=spec["url"],
        budget_path=Path(spec["budget_path"]),
        rate_limit=int(spec.get("client_rate_limit", 100)),
    )


def _warehouse(spec: dict[str, Any]) -> Any:
    from warehouse import WarehouseConfig

    return WarehouseConfig(
        destination="duckdb",
        duckdb_path=Path(spec["duckdb_path"]),
        pipelines_dir=Path(spec["pipelines_dir"]),
        pipeline_name=spec.get("pipeline_name", "custify"),
    )


def _trace_steps(pipeline_name: str, pipelines_dir: str) -> dict[str, float]:
    """Seconds per dlt step (extract, normalize, load) from the pipeline's last trace."""
    import dlt

    try:
        trace = dlt.attach(pipeline_name, pipelines_dir=pipelines_dir).last_trace
    except Exception:
        return {}
    if trace is None:
        return {}
    out: dict[str, float] = {}
    for step in trace.steps:
        if step.finished_at and step.started_at:
            out[step.step] = (step.finished_at - step.started_at).total_seconds()
    return out


# -- jobs ----------------------------------------------------------------------------------------
def extract_ours(spec: dict[str, Any]) -> dict[str, Any]:
    _heavy_imports()
    from pipelines import run_extract

    conn, cfg = _connection(spec), _warehouse(spec)
    report, m = _measure(lambda: run_extract(conn, objects=spec.get("objects"), warehouse_cfg=cfg))
    objects = {
        name: {
            "rows": r.rows,
            "requests": r.requests,
            "pages": r.pages,
            "mode": r.mode,
            "status": r.status,
            "rate_limited": r.rate_limited,
        }  # fmt: skip
        for name, r in report.objects.items()
    }
    return {
        **m,
        "rows": report.rows,
        "requests": report.requests,
        "rate_limited": report.rate_limited,
        "retries": report.retries,
        "objects": objects,
        "steps": _trace_steps(cfg.pipeline_name, spec["pipelines_dir"]),
    }


def extract_rest_api(spec: dict[str, Any]) -> dict[str, Any]:
    _heavy_imports()
    import dlt
    import dlt.sources.rest_api  # noqa: F401

    from bench.restapi_baseline import custify_rest_api_source

    name = "custify_rest_api"

    def run() -> Any:
        source = custify_rest_api_source(
            spec["url"], spec["api_key"], spec.get("objects"), spec.get("max_table_nesting")
        )
        pipeline = dlt.pipeline(
            pipeline_name=name,
            destination=dlt.destinations.duckdb(str(spec["duckdb_path"])),
            dataset_name="custify",
            pipelines_dir=spec["pipelines_dir"],
        )
        pipeline.run(source)
        return pipeline

    pipeline, m = _measure(run)
    counts = dict(pipeline.last_trace.last_normalize_info.row_counts)
    return {**m, "row_counts": counts, "steps": _trace_steps(name, spec["pipelines_dir"])}


def push(spec: dict[str, Any]) -> dict[str, Any]:
    """Set up the desired tables, then one measured ``run_push`` per sync, in order."""
    _heavy_imports(push=True)
    import polars as pl

    from custify.settings import Settings
    from reverse_etl import run_push
    from warehouse import SessionWarehouse

    conn, cfg = _connection(spec), _warehouse(spec)
    n, tag = int(spec["n"]), spec["tag_id"]
    prefix = spec.get("prefix", "bench")
    uids = [f"{prefix}-{i:06d}" for i in range(n)]
    syncs = {
        "people_upsert": {"object": "people", "match": "user_id", "table": "desired_people"},
        "tag_add": {"object": "tags", "action": "entity", "match": "user_id",
                    "table": "desired_tags"},
        "events": {"object": "events", "match": "user_id", "table": "desired_events"},
    }  # fmt: skip
    if spec.get("setup", True):
        with SessionWarehouse(cfg) as wh:
            wh.replace_df("desired_people", pl.DataFrame({
                "user_id": uids, "email": [f"{u}@bench.example" for u in uids],
                "custom_attributes__seats": list(range(n))}))  # fmt: skip
            wh.replace_df("desired_tags", pl.DataFrame({"user_id": uids, "tag": [tag] * n}))
            wh.replace_df("desired_events", pl.DataFrame({
                "user_id": uids, "name": ["bench_login"] * n,
                "created_at": ["2026-01-01T08:00:00Z"] * n}))  # fmt: skip
    settings = Settings(connections={"default": conn}, raw={"syncs": syncs})
    order = spec.get("syncs") or list(syncs)
    out: dict[str, Any] = {"syncs": {}}
    total_wall0, total_cpu0 = time.perf_counter(), _cpu()
    setup_cpu = _cpu()
    for name in order:
        report, m = _measure(lambda name=name: run_push(settings, [name], warehouse_cfg=cfg))
        s = report.syncs[0]
        out["syncs"][name] = {
            **m, "requests": report.requests, "planned": dict(s.planned), "sent": s.sent,
            "confirmed": s.confirmed, "rejected": s.rejected, "failed": s.failed,
            "exit_code": report.exit_code, "error": str(s.error) if s.error else None,
            "stages": getattr(s, "stages", {}),
        }  # fmt: skip
    out.update(work_s=time.perf_counter() - total_wall0, work_cpu_s=_cpu() - total_cpu0,
               setup_cpu_s=setup_cpu)  # fmt: skip
    return out


def push_loop(spec: dict[str, Any]) -> dict[str, Any]:
    """What a script does: one request per record, in a loop, through the same client."""
    _heavy_imports(push=True)
    from custify.client import CustifyClient

    conn = _connection(spec)
    n, tag = int(spec["n"]), spec["tag_id"]
    prefix = spec.get("prefix", "loop")
    uids = [f"{prefix}-{i:06d}" for i in range(n)]
    out: dict[str, Any] = {"actions": {}}
    ids: list[str] = []
    with CustifyClient(conn) as client:

        def upserts() -> None:
            for i, uid in enumerate(uids):
                rec = client.people_upsert({"user_id": uid, "email": f"{uid}@bench.example",
                                            "custom_attributes": {"seats": i}})  # fmt: skip
                ids.append(rec["id"])

        def tags() -> None:
            for pid in ids:
                client.tags_entity({"ids": [pid], "type": "add", "category": "people", "tag": tag})

        def events() -> None:
            for uid in uids:
                client.events_insert({"name": "loop_login", "user_id": uid,
                                      "created_at": "2026-01-01T08:00:00Z",
                                      "deduplication_id": f"{uid}-login"})  # fmt: skip

        total_wall0, total_cpu0, setup_cpu = time.perf_counter(), _cpu(), _cpu()
        for name, fn in (("people_upsert", upserts), ("tag_add", tags), ("events", events)):
            before = client.stats.snapshot()["requests"]
            _, m = _measure(fn)
            out["actions"][name] = {**m, "rows": n,
                                    "requests": client.stats.snapshot()["requests"] - before}  # fmt: skip
    out.update(work_s=time.perf_counter() - total_wall0, work_cpu_s=_cpu() - total_cpu0,
               setup_cpu_s=setup_cpu)  # fmt: skip
    return out


JOBS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "extract_ours": extract_ours,
    "extract_rest_api": extract_rest_api,
    "push": push,
    "push_loop": push_loop,
}


def _scale_job(name: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def run(spec: dict[str, Any]) -> dict[str, Any]:
        from bench import scale_jobs

        return getattr(scale_jobs, name)(spec)

    return run


JOBS["push_diff"] = _scale_job("push_diff")
JOBS["push_diff_setup"] = _scale_job("push_diff_setup")
JOBS["push_setup"] = _scale_job("push_setup")


def main(argv: list[str]) -> int:
    job, spec_path, out_path = argv
    import logging

    logging.basicConfig(level=logging.WARNING)
    spec = json.loads(Path(spec_path).read_text())
    if job != "extract_rest_api":
        # our jobs end as the ``custify-sync`` process does (custify_sync/process.py), without
        # importing it: a baseline checkout (code_root) must import all of its own packages
        atexit.register(gc.freeze)
    if spec.get("code_root"):  # measure another checkout's code (the baseline of the same run)
        sys.path.insert(0, spec["code_root"])
    thread_cpu.install()
    result = JOBS[job](spec)
    result["thread_cpu_s"] = thread_cpu.snapshot()
    Path(out_path).write_text(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
