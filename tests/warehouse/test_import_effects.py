"""Importing the engine changes nothing in dlt or logging; the patches come with first use."""

from __future__ import annotations

import subprocess
import sys
import textwrap

PROBE = textwrap.dedent(
    """
    import logging
    from dlt.destinations.impl.duckdb.sql_client import DuckDbSqlClient
    original = DuckDbSqlClient.catalog_name
    import custify, custify.client, pipelines, pipelines.source, warehouse, custify_sync.cli
    import reverse_etl, reverse_etl.engine.push, sandbox, sandbox.server, models
    assert DuckDbSqlClient.catalog_name is original, "catalog_name patched at import"
    assert not logging.getLogger("dlt").filters, "a dlt log filter installed at import"
    from warehouse import WarehouseConfig, make_destination
    make_destination(WarehouseConfig(destination="duckdb"))
    assert DuckDbSqlClient.catalog_name is not original, "make_destination installs the patch"
    print("ok")
    """
)


def test_importing_the_packages_patches_nothing() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
