"""Stage 6, the ledger: every table the reverse ETL writes about its own work.

``tables`` reads and writes ``_custify_ledger`` (one row per record attempt, written ahead),
``_custify_sync_state`` (the confirmed snapshot) and ``_custify_runs``; ``sql`` holds the
staged set-based statements those writes use.
"""

from reverse_etl.ledger.tables import (
    LEDGER,
    LEDGER_SCHEMA,
    OUTCOME_COLUMNS,
    RUNS,
    RUNS_SCHEMA,
    STATE,
    STATE_SCHEMA,
    UTC_TS,
    advance_state,
    append_final,
    commit_wave,
    empty,
    ensure_tables,
    known_ids,
    latest_attempts,
    load_state,
    recent_unresolved,
    record_run,
    write_pending,
)

__all__ = [
    "LEDGER",
    "LEDGER_SCHEMA",
    "OUTCOME_COLUMNS",
    "RUNS",
    "RUNS_SCHEMA",
    "STATE",
    "STATE_SCHEMA",
    "UTC_TS",
    "advance_state",
    "append_final",
    "commit_wave",
    "empty",
    "ensure_tables",
    "known_ids",
    "latest_attempts",
    "load_state",
    "recent_unresolved",
    "record_run",
    "write_pending",
]
