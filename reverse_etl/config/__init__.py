"""Stage 0, configuration: ``[syncs.<name>]`` sections parsed once into ``SyncConfig``.

``sync`` says what a parsed sync means (``SyncConfig`` and the ``Kind``/``Mode``/``Nulls``/``Op``
choices), ``parse`` checks a section and builds it (value readers in ``values``), ``fields``
what a mapped target is in the registry, ``order`` the ``after`` chains, ``errors`` the errors
of the reverse ETL by their reach.
"""

from reverse_etl.config.errors import DeleteGuardError, SyncConfigError, SyncSourceError
from reverse_etl.config.parse import load_syncs, parse_sync, resolve_target, select_syncs
from reverse_etl.config.sync import TAG_FIELDS, Kind, Mode, Nulls, Op, SyncConfig

__all__ = [
    "TAG_FIELDS",
    "DeleteGuardError",
    "Kind",
    "Mode",
    "Nulls",
    "Op",
    "SyncConfig",
    "SyncConfigError",
    "SyncSourceError",
    "load_syncs",
    "parse_sync",
    "resolve_target",
    "select_syncs",
]
