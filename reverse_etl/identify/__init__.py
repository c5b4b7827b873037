"""Stage 3, identification: rows name records the way the user knows them, requests need ids.

The one entry point of the stage: every identifier resolution, existence check and
exactly-once recovery lookup the other stages make goes through the names below.

- ``extract``: what Custify holds as far as the warehouse knows (the ELT's extracted tables);
- ``records``: ``find``, value -> the matching records' ids, from the extract, the confirmed
  snapshot, then Custify (get, filtered list, or one scan per run), cached for the run;
- ``refs``: a sync's rows resolved through the registry's ``Ref`` rows and its ``match``
  (rejected when nothing or several records match), confirmed rows reused by their hash;
- ``tags``: tag names and tagged entities to ids, mirror's tag removals;
- ``recovery``: the record an unconfirmed create already made (exactly-once creates).
"""

from reverse_etl.identify.extract import (
    DELETED,
    X_EMAIL,
    X_ID,
    X_PREFIX,
    X_READ,
    X_UPDATED,
    Extracted,
    load_extracted,
    load_tag_pairs,
    read_time,
)
from reverse_etl.identify.records import dig, existing, filtered_list, find, get_all, ids_by_key
from reverse_etl.identify.recovery import find_created, same
from reverse_etl.identify.refs import (
    GONE,
    ROW_HASH,
    delete_by_id,
    resolve_rows,
    reuse_confirmed,
    with_row_hash,
)
from reverse_etl.identify.tags import entity_ids, tag_ids

__all__ = [
    "DELETED",
    "GONE",
    "ROW_HASH",
    "X_EMAIL",
    "X_ID",
    "X_PREFIX",
    "X_READ",
    "X_UPDATED",
    "Extracted",
    "delete_by_id",
    "dig",
    "entity_ids",
    "existing",
    "filtered_list",
    "find",
    "find_created",
    "get_all",
    "ids_by_key",
    "load_extracted",
    "load_tag_pairs",
    "read_time",
    "resolve_rows",
    "reuse_confirmed",
    "same",
    "tag_ids",
    "with_row_hash",
]
