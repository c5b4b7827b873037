"""Let dlt load into ``custify.duckdb`` / dataset ``custify`` (the design's default).

DuckDB names a file's catalog after its stem, so that file holds catalog ``custify`` and, once
dlt creates it, schema ``custify``: every two-part name dlt 1.31 writes (``"custify"."people"``)
is then ambiguous to DuckDB's binder ("Ambiguous reference to catalog or schema") and loads
fail. dlt's SQL clients already support a catalog component in qualified names
(``catalog_name()``; DuckDB's returns None). When, and only when, the dataset name equals the
file's catalog we return that catalog, so names become three-part and unambiguous. Other
datasets (dlt's ``_staging`` one included) keep dlt's own behaviour.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from dlt.destinations.impl.duckdb.sql_client import DuckDbSqlClient

_dlt_catalog_name = DuckDbSqlClient.catalog_name


def file_catalog(database: Any) -> str | None:
    """The catalog DuckDB gives a database file: its name without the extension."""
    if not isinstance(database, str) or database in ("", ":memory:") or database.startswith("md:"):
        return None
    return Path(database).stem


def _catalog_name(self: DuckDbSqlClient, quote: bool = True, casefold: bool = True) -> str | None:
    catalog = file_catalog(getattr(self.credentials, "database", None))
    if catalog is None or catalog.lower() != str(self.dataset_name).lower():
        return _dlt_catalog_name(self, quote=quote, casefold=casefold)
    if casefold:
        catalog = self.capabilities.casefold_identifier(catalog)
    return self.capabilities.escape_identifier(catalog) if quote else catalog


class _SameNameWarning(logging.Filter):
    """dlt warns about the name clash this module resolves; the warning no longer applies."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "is identical to the dataset name" not in record.getMessage()


def install() -> None:
    """Idempotent; called where a DuckDB destination is made (``make_destination``, the dlt
    source), so importing the package changes nothing in dlt."""
    if DuckDbSqlClient.catalog_name is not _catalog_name:
        DuckDbSqlClient.catalog_name = _catalog_name  # type: ignore[method-assign, assignment]
    dlt_logger = logging.getLogger("dlt")
    if not any(isinstance(f, _SameNameWarning) for f in dlt_logger.filters):
        dlt_logger.addFilter(_SameNameWarning())
