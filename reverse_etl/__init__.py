"""Reverse ETL: make Custify hold what the warehouse says, with a per-record ledger.

Entry points for the CLI: ``run_push`` and ``sync_status``. See docs/architecture.md
("Reverse ETL") for the flow: config -> source -> validate -> diff -> ledgered waves.
"""

from reverse_etl.config import SyncConfig, load_syncs
from reverse_etl.engine import run_push
from reverse_etl.errors import DeleteGuardError, SyncConfigError, SyncSourceError
from reverse_etl.report import PushReport, SyncReport, SyncStatus
from reverse_etl.status import sync_status

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
