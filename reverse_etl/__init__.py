"""Reverse ETL: make Custify hold what the warehouse says, with a per-record ledger.

Entry points for the CLI: ``run_push`` and ``sync_status``. See docs/architecture.md
("Reverse ETL") for the flow: config -> source -> validate -> diff -> ledgered waves.
"""

from reverse_etl.config import (
    DeleteGuardError,
    SyncConfig,
    SyncConfigError,
    SyncSourceError,
    load_syncs,
)
from reverse_etl.engine.push import run_push
from reverse_etl.engine.report import PushReport, SyncReport, SyncStatus
from reverse_etl.engine.status import sync_status

__all__ = [
    "DeleteGuardError",
    "PushReport",
    "SyncConfig",
    "SyncConfigError",
    "SyncSourceError",
    "SyncReport",
    "SyncStatus",
    "load_syncs",
    "run_push",
    "sync_status",
]
