"""Page-number pagination driven by the registry, and the ONE paging strategy (§1.7).

Custify pages with ``page`` (1-based) and a page size (``itemsPerPage``, max 200 or 50 by
endpoint; ``limit`` on notes and tags), returns ``total`` but no cursor and no next link, and
sorts with either a JSON ``sorting`` parameter or plain ``sort`` + ``order`` (or not at all).
Some objects need several queries to be complete (segments and playbooks of both types,
§18.17) or are listed per parent (objectives per company, §14 and quirk 18; comments per note
or task, §9). All of that is read from the registry row.

``Pager`` is the only place that decides how a scan moves: after each page it says "next page
N" or "stop", and it raises ``PaginationError`` when the server's paging misbehaves. Every scan
drives it: ``iter_pages`` here, and the ELT's sequential and concurrent scans
(``pipelines/scan.py``). What the notes leave open, and how the strategy stays safe under
every plausible answer:

- **End of list: trust ``total``, not page length.** The scan stops when its pages have
  covered ``total`` rows, or on an empty page (the official MCP's own loop). A page shorter
  than asked while ``total`` says more rows follow does NOT end it.
- **A cap lower than the registry's** (over-maximum sizes are clamped or refused, §19; notes
  and tags document no maximum). Such a short page, not the last one by ``total``, shows the
  server's real cap: the rest of the scan asks for that many (``Pager.lowered``) and the next
  page is ``page + 1`` at that size. Whether the server counted its offset with our size or
  with its own is unknown; ``page + 1`` at the lower size starts at or before the first row
  not yet read under both readings, so nothing is skipped (a few rows may be read twice,
  which the merge on id makes harmless).
- **No ``total``** (surveys' bare array, §11): an empty page ends the scan, and so does a page
  shorter than the largest page already seen (the server's real size showed itself). A short
  page when no larger page was ever seen may be the end or a lower cap: the next page is
  asked at the short page's size and an empty answer ends the scan (one extra request on a
  short list, never a lost page).
- **The guard.** A page whose ids repeat its neighbour's (a server that ignores ``page``), or
  a page with rows beyond ``ceil(total / size) + 2`` (pages that contradict their own
  ``total``), raises ``PaginationError``: the object's scan stops instead of looping.
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
    for name in obj.page_size_params:  # ``limit`` and ``itemsPerPage`` on notes and tags
        query[name] = size
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
    start = options.pop("start_page", 1)
    pager = Pager(obj, options.pop("page_size", None))

    def one(page_no: int, size: int) -> Page:
        return fetch_page(fetch, obj, page_no, page_size=size, **options)

    for page in pager.walk(one, start):
        if page.rows:
            yield page


class Pager:
    """The paging strategy of one list scan (see the module docstring for the rules).

    ``size`` is the page size to ask for next (the registry's maximum, or less, until a lower
    cap shows). Sequential scans call ``after(page)`` for every page and stop on None. The
    concurrent full scan calls ``after`` on page 1, fetches ``plan(start)`` with several
    pages in flight, passes each to ``check``, and re-plans from ``take_restart()`` when a
    page in flight revealed a lower cap.
    """

    def __init__(self, obj: CustifyObject, page_size: int | None = None) -> None:
        self.obj = obj
        self.asked = page_size or obj.page_size_max
        self.size = self.asked
        #: the largest ``total`` any page reported (None: the list reports none)
        self.total: int | None = None
        self.largest = 0  # the longest page seen
        self.confirmed = False  # ``size < asked`` was shown to be the server's cap
        self.restart: int | None = None
        self._signatures: dict[tuple[int, int], int] = {}  # (size, page) -> hash of its ids
        self._last: tuple[int, int] | None = None  # (page, ids) of the page ``after`` saw last
        #: the page ``walk`` reads next, None once the list is done
        self.next_page: int | None = None

    @property
    def lowered(self) -> int | None:
        """The server's page cap, when it proved lower than what was asked."""
        return self.size if self.confirmed and self.size < self.asked else None

    def walk(self, fetch: Callable[[int, int], Page], start: int = 1) -> Iterator[Page]:
        """Every page from ``start``, each fetched as ``fetch(page_no, size)`` at the size
        asked for next, until ``after`` says the list is done; the guard raises before a
        repeated page is handed out. A consumer may stop early (``next_page`` says whether
        another page would follow)."""
        self.next_page = start
        while self.next_page is not None:
            page = fetch(self.next_page, self.size)
            self.next_page = self.after(page)
            yield page

    def after(self, page: Page) -> int | None:
        """The page to read after ``page``, or None when the list is done."""
        largest_before = self.largest
        ids = self._ids(page)
        if page.rows and self._last == (page.page - 1, ids):
            raise self._error(f"page {page.page} repeats page {page.page - 1}")
        self._last = (page.page, ids)
        self.check(page, ids)
        self.restart = None  # sequential numbering already continues at ``page + 1``
        n = len(page.rows)
        if not n:
            return None
        if page.total is None:
            return self._after_bare(page, largest_before)
        covered = (page.page - 1) * min(page.page_size, self.size) + n
        return None if covered >= page.total else page.page + 1

    def _after_bare(self, page: Page, largest_before: int) -> int | None:
        """No ``total``: an empty page, or one shorter than a page already seen, is the end."""
        n = len(page.rows)
        if n < largest_before:
            return None
        if n < page.page_size:  # the end, or a cap: ask the next page at this size
            self.size = min(self.size, n)
        elif page.page_size < self.asked:
            self.confirmed = True  # a full page at the short size: it was a cap
        return page.page + 1

    def check(self, page: Page, ids: int | None = None) -> None:
        """The loop guard and the lowered-cap rule, for a page from any scan."""
        if not page.rows:
            return
        self._guard(page, self._ids(page) if ids is None else ids)
        self.largest = max(self.largest, len(page.rows))
        if page.total is None:
            return
        self.total = max(page.total, self.total or 0)
        n = len(page.rows)
        more = (page.page - 1) * page.page_size + n < page.total  # not the last page
        if n < page.page_size and more:
            self.size, self.confirmed = min(self.size, n), True
            nxt = page.page + 1
            self.restart = nxt if self.restart is None else min(self.restart, nxt)

    def _ids(self, page: Page) -> int:
        return hash(tuple(str(r.get(self.obj.id_field, r)) for r in page.rows))

    def _guard(self, page: Page, ids: int) -> None:
        """Neighbours at the same size must differ (``after`` also compares across sizes)."""
        for other in (page.page - 1, page.page + 1):
            if self._signatures.get((page.page_size, other)) == ids:
                raise self._error(f"page {page.page} repeats page {other}")
        self._signatures[(page.page_size, page.page)] = ids
        if page.total is not None:
            allowed = math.ceil(page.total / max(page.page_size, 1)) + SLACK_PAGES
            if page.page > allowed:
                raise self._error(
                    f"page {page.page} is beyond total={page.total} at {page.page_size} per page"
                )

    def _error(self, what: str) -> PaginationError:
        return PaginationError(
            f"{self.obj.name}: {what}; stopping the scan", method="GET", path=self.obj.list_path
        )

    def plan(self, start: int) -> range:
        """Pages from ``start`` to the last one ``total`` implies at the current size."""
        last = math.ceil((self.total or 0) / max(self.size, 1))
        return range(start, last + 1)

    def more_after(self, page_no: int) -> bool:
        """Does ``total`` (the largest seen) say rows lie beyond page ``page_no``?"""
        return self.total is not None and self.total > page_no * self.size

    def take_restart(self) -> int | None:
        """The page to re-plan from after a lower cap showed mid-scan (then cleared)."""
        restart, self.restart = self.restart, None
        return restart
