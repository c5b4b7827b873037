"""Page-number pagination driven by the registry (custify-api.md §1.7).

Custify pages with ``page`` (1-based) and ``itemsPerPage`` (max 200 or 50 by endpoint), returns
``total`` but no cursor and no next link, and sorts with either a JSON ``sorting`` parameter or
plain ``sort`` + ``order`` (or not at all). Some objects need several queries to be complete
(segments and playbooks of both types, §18.17) or are listed per parent (objectives per company,
§14 and quirk 18; comments per note or task, §9). All of that is read from the registry row.

The scan stops at ``total`` or at an empty page (as the official MCP resources do). A loop guard
turns a misbehaving server (the same page twice, an ignored ``page`` parameter, more pages than
``total`` allows) into a ``PaginationError`` instead of an endless loop.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from custify.envelopes import parse
from custify.errors import PaginationError
from models.registry import CustifyObject, ListVariant, get_object
from models.types import SortStyle

#: ``fetch(path, params) -> decoded JSON body``; the client binds it to its HTTP session
Fetch = Callable[[str, dict[str, Any]], Any]
#: extra pages tolerated beyond ceil(total / page_size) while data shifts under the scan
SLACK_PAGES = 2


@dataclass(frozen=True)
class Page:
    """One page of rows; ``total`` is None when the envelope has none (surveys)."""

    rows: list[dict[str, Any]]
    page: int
    total: int | None
    page_size: int = 0
    variant: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict, repr=False)


def resolve(obj: str | CustifyObject) -> CustifyObject:
    return get_object(obj) if isinstance(obj, str) else obj


def resolve_variant(obj: CustifyObject, variant: str | ListVariant | None) -> ListVariant | None:
    """A variant by label or value; None picks the first (the server's default type, §18.17)."""
    if not obj.variants:
        if variant is not None:
            raise ValueError(f"{obj.name} has no list variants")
        return None
    if variant is None:
        return obj.variants[0]
    if isinstance(variant, ListVariant):
        return variant
    for candidate in obj.variants:
        if candidate.label == variant:
            return candidate
    labels = ", ".join(v.label for v in obj.variants)
    raise ValueError(f"{obj.name} has no variant {variant!r}; known: {labels}")


def list_request(
    obj: CustifyObject,
    page: int,
    *,
    page_size: int | None = None,
    sort_desc: bool = True,
    sort_by: str | None = None,
    params: Mapping[str, Any] | None = None,
    parent_id: str | Mapping[str, str] | None = None,
    variant: str | ListVariant | None = None,
) -> tuple[str, dict[str, Any], int]:
    """``(path, query, page_size)`` for one page of ``obj``; validates what Custify would 400."""
    if obj.list_path is None:
        raise ValueError(f"{obj.name} cannot be listed (write-only object)")
    if page < 1:
        raise ValueError("pages are 1-based (§1.7)")
    size = page_size or obj.page_size_max
    if not 1 <= size <= obj.page_size_max:
        raise ValueError(f"{obj.name}: page_size must be 1..{obj.page_size_max} (§1.7)")
    path, query = _parent(obj, parent_id)
    query.update(obj.list_params)
    chosen = resolve_variant(obj, variant)
    if chosen is not None:
        query.update(chosen.params)
    query.update(_sort(obj, sort_by or obj.sort_field, sort_desc))
    query.update(params or {})
    query["page"] = page
    query["itemsPerPage"] = size
    return path, query, size


def _parent(
    obj: CustifyObject, parent_id: str | Mapping[str, str] | None
) -> tuple[str, dict[str, Any]]:
    """Per-parent lists: objectives take ``company=<id>`` (quirk 18), comments a path (§9)."""
    path = obj.list_path or ""
    query: dict[str, Any] = {}
    if obj.per_parent is not None:
        parent_obj, param = obj.per_parent
        if not isinstance(parent_id, str) or not parent_id:
            raise ValueError(
                f"{obj.name} is listed per {parent_obj} record: pass parent_id=<Custify id> "
                f"(sent as {param}=; Custify answers 400 without it)"
            )
        query[param] = parent_id
    elif "{" in path:
        if not isinstance(parent_id, Mapping):
            raise ValueError(f"{obj.name} is listed per parent: pass parent_id={{...}} for {path}")
        try:
            path = path.format(**parent_id)
        except KeyError as exc:
            raise ValueError(f"{obj.name}: parent_id lacks {exc.args[0]!r} for {path}") from None
    elif parent_id is not None:
        raise ValueError(f"{obj.name} is not listed per parent")
    return path, query


def _sort(obj: CustifyObject, field_name: str | None, desc: bool) -> dict[str, str]:
    """Sort parameters in the object's style (§1.7): JSON ``sorting`` or ``sort``+``order``."""
    if field_name is None or obj.sort_style is SortStyle.NONE:
        return {}
    direction = "desc" if desc else "asc"
    if obj.sort_style is SortStyle.SORTING_JSON:
        return {
            "sorting": json.dumps(
                {"field": field_name, "direction": direction}, separators=(",", ":")
            )
        }
    return {"sort": field_name, "order": direction}


def fetch_page(fetch: Fetch, obj: CustifyObject, page: int, **options: Any) -> Page:
    """Fetch and parse one page (for callers that fetch pages concurrently)."""
    path, query, size = list_request(obj, page, **options)
    parsed = parse(fetch(path, query), obj.envelope, obj.envelope_key)
    if parsed.echoed_page is not None and parsed.echoed_page != page:
        raise PaginationError(
            f"asked for page {page}, the server answered page {parsed.echoed_page}",
            method="GET",
            path=path,
        )
    label = resolve_variant(obj, options.get("variant"))
    return Page(parsed.rows, page, parsed.total, size, label.label if label else None, query)


def iter_pages(fetch: Fetch, obj: CustifyObject, **options: Any) -> Iterator[Page]:
    """Every page of ``obj``; with variants and no ``variant`` given, every variant in turn."""
    if obj.variants and options.get("variant") is None:
        for variant in obj.variants:
            yield from _iter_one(fetch, obj, {**options, "variant": variant})
    else:
        yield from _iter_one(fetch, obj, options)


def _iter_one(fetch: Fetch, obj: CustifyObject, options: dict[str, Any]) -> Iterator[Page]:
    page_no = options.pop("start_page", 1)
    seen = 0
    previous: list[Any] | None = None
    while True:
        page = fetch_page(fetch, obj, page_no, **options)
        if not page.rows:
            return
        signature = [r.get(obj.id_field, r) for r in page.rows]
        if signature == previous:
            raise PaginationError(
                f"{obj.name}: page {page_no} repeats page {page_no - 1}; stopping the scan",
                method="GET",
                path=obj.list_path,
            )
        _check_page_count(obj, page)
        yield page
        seen += len(page.rows)
        if page.total is not None and seen >= page.total:
            return
        if page.total is None and len(page.rows) < page.page_size:
            return  # no total (bare array): a short page is the last one
        previous = signature
        page_no += 1


def _check_page_count(obj: CustifyObject, page: Page) -> None:
    """More pages than ``total`` allows means the server ignores ``page``: stop, don't loop."""
    if page.total is None:
        return
    allowed = math.ceil(page.total / max(page.page_size, 1)) + SLACK_PAGES
    if page.page > allowed:
        raise PaginationError(
            f"{obj.name}: page {page.page} is beyond total={page.total} at "
            f"{page.page_size} per page; stopping the scan",
            method="GET",
            path=obj.list_path,
        )
