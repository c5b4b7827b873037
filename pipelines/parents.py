"""Lists read on behalf of another object: the parents that changed, and definition names.

Comments have no global list (§9): they are read under each note and task, and a pass over
every parent costs one request per parent. ``changed_parents`` finds the parents worth
reading from the parent's own list, sorted by its cursor (an incremental scan: about one
request per parent object when nothing changed). A parent the cursor overlap lists again at
the version whose children were already read is left out, so an idle run reads no child list.

A company's health-score and calculated-metric rows carry the definitions' names (``KeyedList``
in the registry): ``keyed_names`` reads them once per run from the definitions' lists.
"""

from __future__ import annotations

from typing import Any

from custify.errors import list_failure
from models.registry import CustifyObject, ParentList, get_object
from pipelines.fetch import Fetcher
from pipelines.options import ExtractOptions
from pipelines.scan import StreamResult, parse_ts, scan_concurrent, scan_sequential


def keyed_names(
    fetcher: Fetcher, tag: str, options: ExtractOptions, obj: CustifyObject
) -> dict[str, dict[str, str]]:
    """Keyed list -> entry key -> name. A refused list leaves its names empty: the rows load
    without names rather than the object failing."""
    out: dict[str, dict[str, str]] = {}
    for keyed in obj.keyed_lists:
        if keyed.names_from is None:
            continue
        try:
            out[keyed.name] = _names_of(fetcher, tag, options, get_object(keyed.names_from))
        except Exception as exc:
            if list_failure(exc) is None:
                raise
            out[keyed.name] = {}
    return out


def _names_of(
    fetcher: Fetcher, tag: str, options: ExtractOptions, source: CustifyObject
) -> dict[str, str]:
    names: dict[str, str] = {}

    def collect(rows: list[dict[str, Any]]) -> None:
        names.update({str(r["id"]): r["name"] for r in rows if r.get("id") and r.get("name")})

    labels = [v.label for v in source.variants] or [""]  # metrics of both types (quirk 17)
    for label in labels:
        query: dict[str, Any] = {"variant": label} if label else {}
        query["page_size"] = options.page_size_for(source)
        scan_concurrent(fetcher, tag, source, query, collect, options.page_window)
    return names


def changed_parents(
    fetcher: Fetcher,
    tag: str,
    options: ExtractOptions,
    parent: ParentList,
    threshold: float | None,
    before: dict[str, str],
) -> tuple[list[str], StreamResult, dict[str, str]]:
    """``(parent ids to read, the parent list's scan, the versions to remember)``.

    ``threshold`` None reads every parent (a full scan). Otherwise a parent is read when it
    is not older than the threshold and not at the version ``before`` remembers."""
    pobj = get_object(parent.object)
    cursor = pobj.cursor_field or ""
    seen: list[tuple[str, Any]] = []  # (parent id, its cursor value) as listed

    def collect(rows: list[dict[str, Any]]) -> None:
        seen.extend((str(r[pobj.id_field]), r.get(cursor)) for r in rows if r.get(pobj.id_field))

    def changed(rid: str, value: Any) -> bool:
        stamp = parse_ts(value)
        if threshold is None or stamp is None:
            return True
        return stamp >= threshold and before.get(rid) != value

    query: dict[str, Any] = {"page_size": options.page_size_for(pobj)}
    if threshold is None:
        found = scan_concurrent(fetcher, tag, pobj, query, collect, options.page_window)
    else:
        found = scan_sequential(fetcher, tag, pobj, query, threshold, collect)
    ids = sorted({rid for rid, value in seen if changed(rid, value)})
    remember: dict[str, str] = {}
    if found.top is not None:  # the parents the next run's overlap lists again
        low = found.top - options.overlap_s
        remember = {rid: v for rid, v in seen if isinstance(v, str) and (parse_ts(v) or 0) >= low}
    return ids, found, remember
