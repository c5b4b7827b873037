"""Asset keys, groups, pools and job names of one connection: the only place they are spelt.

Keys are ``custify/<connection>/<object>`` for the extracted tables (``trigger_events``
too), ``custify/<connection>/sync/<sync>`` for a reverse-ETL sync, and
``warehouse/<connection>/<table>`` for a table a sync reads that custify-sync does not write
(an external asset). Dagster names (groups, jobs, schedules) allow only ``[A-Za-z0-9_]``, so
they use the connection's slug; the pool keeps the connection's own name.
"""

from __future__ import annotations

import re

from dagster import AssetKey

PREFIX = "custify"


def slug(connection: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", connection)


def table_key(connection: str, table: str) -> AssetKey:
    return AssetKey([PREFIX, connection, table])


def sync_key(connection: str, sync: str) -> AssetKey:
    return AssetKey([PREFIX, connection, "sync", sync])


def external_key(connection: str, table: str) -> AssetKey:
    return AssetKey(["warehouse", connection, *table.lower().split(".")])


def group(connection: str) -> str:
    return f"custify_{slug(connection)}"


def job_name(connection: str) -> str:
    return f"custify_{slug(connection)}_sync"


def schedule_name(connection: str) -> str:
    return f"custify_{slug(connection)}_schedule"


def pool(connection: str) -> str:
    """The concurrency pool of every asset of one account: with its limit at 1 no two runs
    (on any number of workers) write one account and its dataset at once."""
    return f"custify-{connection}"


def locked(connection: str, exc: Exception) -> str:
    """A run lock another run held: the CLI's line, with what to change in Dagster."""
    line = str(exc).replace("pass --wait SECONDS", "raise [dagster] lock_wait_s")
    return f"{line}; in Dagster, set the limit of pool {pool(connection)} to 1 (README)"
