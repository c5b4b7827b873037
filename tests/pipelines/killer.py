"""Child process for the SIGKILL test: one extract that kills itself at a chosen point.

``python -m tests.pipelines.killer URL KEY DUCKDB DLT_DIR BUDGET POINT [reconcile]``; POINT is
``none``, ``page:N`` (after the N-th list page), ``normalize`` / ``load`` (entering that dlt
step: the previous one is committed), ``mid_load`` (every load job done, the package not yet
marked loaded) or ``deletes`` (loaded, reconciled deletes not yet applied).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def arm(point: str) -> None:

    import custify.client
    import pipelines.run

    if point.startswith("page:"):
        limit, seen, lock = int(point.split(":")[1]), [0], threading.Lock()
        original = custify.client.CustifyClient.list_page

        def list_page(self, *args, **kwargs):
            page = original(self, *args, **kwargs)
            with lock:
                seen[0] += 1
                if seen[0] >= limit:
                    die()
            return page

        custify.client.CustifyClient.list_page = list_page
    elif point in ("normalize", "load", "mid_load"):
        after_recovery(point)
    elif point == "deletes":
        pipelines.run._apply_deletes = lambda *a, **k: die()


def after_recovery(point: str) -> None:
    """Arm a dlt step hook once the packages a previous run left are loaded, so the kill
    hits THIS run's own package (recovery itself is exercised by every following run)."""
    import importlib

    import pipelines.run

    recover = pipelines.run._finish_pending

    def finish_then_arm(*args, **kwargs):
        done = recover(*args, **kwargs)
        if point == "mid_load":  # every job ran, the package is not marked loaded yet
            importlib.import_module("dlt.load.load").Load.complete_package = lambda *a, **k: die()
        else:
            pipeline_cls = importlib.import_module("dlt.pipeline.pipeline").Pipeline
            setattr(pipeline_cls, point, lambda *a, **k: die())
        return done

    pipelines.run._finish_pending = finish_then_arm


def main() -> None:
    url, key, duckdb_path, dlt_dir, budget, point, *rest = sys.argv[1:]
    from custify import ApiKey, ConnectionSettings
    from pipelines import ExtractOptions, run_extract
    from warehouse import WarehouseConfig

    arm(point)
    settings = ConnectionSettings(api_key=ApiKey(key), base_url=url, budget_path=Path(budget))
    cfg = WarehouseConfig(duckdb_path=Path(duckdb_path), pipelines_dir=Path(dlt_dir))
    options = ExtractOptions(page_size=10, batch_rows=20, intervals={})
    report = run_extract(settings, warehouse_cfg=cfg, options=options, reconcile=bool(rest),
                         objects=None)  # fmt: skip
    print(report.run_id, report.rows)


if __name__ == "__main__":
    main()
