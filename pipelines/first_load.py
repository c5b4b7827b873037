"""A table's first load appends instead of merging.

Every table of an object is a merge on its key (``source.py``): dlt loads the rows into a
staging table, deletes their keys from the table, inserts the newest row per key, and skips
tombstones. Into a table that does not exist yet, that is the same as appending the rows,
when no key repeats in the run and the tombstones are dropped first:

- a parent's ids are unique in a run: the job keeps the first copy of each id it reads
  (``jobs.py``: the newest, see ``scan.py``), over every stream of the object;
- a child's key is (``_parent_id``, ``_idx``) of those parents, so it is unique too.

Appending skips the staging copy and the merge: half the CPU of a first load (the initial
backfill, the largest load a deployment runs; ``bench/README.md``). A table is appended only
when neither the pipeline's schema nor the warehouse, asked in this run, knows it; when the
warehouse cannot be asked, every table merges. A load package still waiting from an earlier
extract was extracted with the schema that names its tables, so its tables merge too. The
next run finds the table and merges into it as usual.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from dlt.common.schema.typing import TWriteDispositionConfig

APPEND: TWriteDispositionConfig = "append"

_TABLES = (
    "SELECT lower(table_name) FROM information_schema.tables WHERE lower(table_schema) = lower(%s)"
)


def warehouse_tables(open_client: Callable[[], Any]) -> frozenset[str] | None:
    """The dataset's tables as the warehouse lists them (lower case), on the SQL client
    ``open_client()`` gives; None when it cannot say."""
    try:
        client = open_client()
        rows = client.execute_sql(_TABLES, client.dataset_name) or []
    except Exception:  # any failure to open or to look: merge, right whatever the answer
        return None
    return frozenset(str(r[0]) for r in rows)


def first_loads(
    tables: Iterable[str], known: set[str], listed: Callable[[], frozenset[str] | None]
) -> set[str]:
    """Those of ``tables`` that load by appending: neither the schema (``known``) nor the
    warehouse (``listed()``, asked only when the schema lacks one of them) holds them."""
    unknown = [t for t in tables if t not in known]
    held = listed() if unknown else None
    return set() if held is None else {t for t in unknown if t.lower() not in held}
