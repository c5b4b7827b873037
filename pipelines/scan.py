"""Page-number scans that never lose a change (custify-api.md §1.7, §17 "Incremental strategy").

Custify pages by number over live data: no cursor token, no change feed. The scans here are
built on three observations about a list sorted DESCENDING by a timestamp:

1. A record changed while we page moves to the top (pages already read), so it is either seen
   or caught by the next run, provided the next run re-reads everything newer than the value
   at the top of THIS run's page 1. That value, not the newest row loaded, becomes the cursor.
2. Creates and moves push rows down (a row is read twice: harmless, merge dedups on id).
   That holds for pages read in order; pages in flight at once can be answered out of order,
   and a row pushed across their boundary is on neither answer, so a concurrent scan reads
   page 1 again at its end and, when rows went on top meanwhile, the list again in order.
   Only deletes push rows up, and a row pushed up across a page boundary is skipped. A skip
   needs more deletes than creates between two fetches, so it always shows as ``total``
   dropping between two answers. Such a scan is ``unstable``: the cursor does not advance and
   reconciliation does not trust its id set.
3. Ties on the timestamp are harmless because the stop test is "this page's oldest row is
   older than cursor - overlap" (never a strict ``>`` on the cursor itself).

The early stop is taken only while every page seen so far was in descending order: files and
surveys have no sort parameter (§10, §11) and a server that ignored ``sort`` (sorting notes by
``updated_at`` is INF, §17) would otherwise make us stop early and lose rows.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import Future, wait
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from custify.pagination import Page, Pager
from models.registry import CustifyObject
from pipelines.fetch import Completions, Fetcher

Emit = Callable[[list[dict[str, Any]]], None]

#: one UTC stamp as Custify writes them (``2024-05-01T10:00:00.000Z``, §1.4); stamps of this
#: layout and of one length sort as strings in time order, so a page needs no per-row parsing
_UTC = (
    r"\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d"
    r"(?:\.\d{1,6})?Z"
)
_UTC_LINES = re.compile(rf"(?:{_UTC}\n)*{_UTC}")


def parse_ts(value: Any) -> float | None:
    """Epoch seconds of an ISO-8601 string (§1.4), None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError:
        return None


@dataclass
class StreamResult:
    """What one scan of one list (one variant, one parent) observed."""

    top: float | None = None  # newest cursor value on page 1, read first
    top_raw: str | None = None
    ordered: bool = True  # every page (and page boundary) was descending on the cursor
    unstable: bool = False  # total dropped between two answers: a row may have been skipped
    complete: bool = False  # the whole list was read (no early stop)
    pages: int = 0
    rows: int = 0
    max_total: int | None = None
    min_total: int | None = None
    cap: int | None = None  # the server's page cap, when it proved lower than asked
    _last_min: float | None = field(default=None, repr=False)

    def observe(self, page: Page, cursor_field: str | None) -> tuple[float | None, float | None]:
        """Track order, totals and the top; returns the page's (oldest, newest) cursor values."""
        self.pages += 1
        self.rows += len(page.rows)
        if page.total is not None:
            if self.max_total is not None and page.total < self.max_total:
                self.unstable = True
            self.max_total = max(page.total, self.max_total or 0)
            self.min_total = min(
                page.total, page.total if self.min_total is None else self.min_total
            )
        if cursor_field is None:
            return None, None
        span = _page_span(page.rows, cursor_field)
        if span is None:
            return None, None
        descending, (oldest, _), (newest, newest_raw) = span
        if not descending:
            self.ordered = False
        if self._last_min is not None and newest > self._last_min:
            self.ordered = False
        if page.page == 1 and self.top is None:  # page 1 read again later keeps the first top
            self.top, self.top_raw = newest, newest_raw
        self._last_min = oldest if self._last_min is None else min(self._last_min, oldest)
        return oldest, newest

    def done(self, pager: Pager, *, complete: bool) -> StreamResult:
        self.complete = complete
        if pager.lowered is not None:
            self.cap = min(pager.lowered, self.cap or pager.lowered)
        return self

    def merge(self, other: StreamResult) -> None:
        """Fold a sub-scan (a parent's list) into an object-level result."""
        if other.cap is not None:
            self.cap = min(other.cap, self.cap or other.cap)
        self.pages += other.pages
        self.rows += other.rows
        self.unstable = self.unstable or other.unstable
        self.ordered = self.ordered and other.ordered
        self.complete = self.complete and other.complete
        for name in ("max_total", "min_total"):  # per-parent totals are not comparable
            setattr(self, name, None)
        if other.top is not None and (self.top is None or other.top > self.top):
            self.top, self.top_raw = other.top, other.top_raw


Stamp = tuple[float, str]


def _page_span(rows: list[dict[str, Any]], field: str) -> tuple[bool, Stamp, Stamp] | None:
    """(descending, oldest, newest) of the page's readable cursor values; None without any.

    Pages of same-length UTC ``...Z`` stamps (every Custify list) are compared as strings and
    only their ends are parsed; any other page is parsed row by row.
    """
    texts = [v for v in (r.get(field) for r in rows) if isinstance(v, str) and v]
    if not texts:
        return None
    width = len(texts[0])
    joined = "\n".join(texts)
    if joined[width :: width + 1] == "\n" * (len(texts) - 1) and _UTC_LINES.fullmatch(joined):
        hi, lo = max(texts), min(texts)
        newest, oldest = parse_ts(hi), parse_ts(lo)
        if newest is not None and oldest is not None:  # a day the calendar lacks: parse all
            descending = texts == sorted(texts, reverse=True)
            return descending, (oldest, lo), (newest, hi)
    values = [(ts, v) for v in texts if (ts := parse_ts(v)) is not None]
    if not values:
        return None
    stamps = [v[0] for v in values]
    descending = not any(a < b for a, b in zip(stamps, stamps[1:], strict=False))
    return descending, min(values), max(values)


def scan_sequential(
    fetcher: Fetcher, tag: str, obj: CustifyObject, options: dict[str, Any],
    threshold: float | None, emit: Emit, start: int = 1, result: StreamResult | None = None,
    pager: Pager | None = None,
) -> StreamResult:  # fmt: skip
    """Pages in order (``Pager.walk``) until the pager stops, or (``threshold`` set) until a
    page's oldest row is older than the threshold.

    Runs in one request-pool thread; the requests are sequential because each page decides
    whether the next one is needed.
    """
    result = result or StreamResult()
    pager = pager or Pager(obj, options.get("page_size"))

    def one(page_no: int, size: int) -> Page:
        return fetcher.page(tag, obj, page_no, **{**options, "page_size": size})

    for page in pager.walk(one, start):
        if page.rows:
            emit(page.rows)
        oldest, _ = result.observe(page, obj.cursor_field)
        early = threshold is not None and oldest is not None and oldest < threshold
        if pager.next_page is not None and early and result.ordered:
            return result.done(pager, complete=False)
    return result.done(pager, complete=True)


def scan_concurrent(
    fetcher: Fetcher, tag: str, obj: CustifyObject, options: dict[str, Any], emit: Emit, window: int
) -> StreamResult:
    """A full scan: page 1 gives ``total``, then up to ``window`` pages are in flight at once.

    Called from an object's coordinating thread; pages run on the request pool. A page in
    flight that reveals a lower page cap re-plans the rest at that size (pages already read
    stay: merge on id makes the re-reads harmless). Rows pushed beyond the last planned page
    by creates during the scan are read by a sequential tail.
    """
    result, pager = StreamResult(), Pager(obj, options.get("page_size"))
    first = fetcher.submit(fetcher.page, tag, obj, 1, **{**options, "page_size": pager.size})
    page = first.result()
    nxt = pager.after(page)
    if page.rows:
        emit(page.rows)
    result.observe(page, obj.cursor_field)
    if nxt is None:
        return result.done(pager, complete=True)
    if page.total is None:  # nothing to plan with: read on page by page
        return scan_sequential(fetcher, tag, obj, options, None, emit, nxt, result, pager)
    last = 1
    while nxt is not None:
        pages = pager.plan(nxt)
        last = max(pages.start, pages.stop) - 1  # in the numbering of the final size
        nxt = _run_window(fetcher, tag, obj, options, emit, pages, window, result, pager)
    if pager.more_after(last):
        scan_sequential(fetcher, tag, obj, options, None, emit, last + 1, result, pager)
    else:
        result.done(pager, complete=True)
    if window > 1 and last > 2:  # two pages or more were in flight at once
        _read_again_if_shifted(fetcher, tag, obj, options, emit, result, pager, page.rows)
    return result


def _read_again_if_shifted(
    fetcher: Fetcher, tag: str, obj: CustifyObject, options: dict[str, Any], emit: Emit,
    result: StreamResult, pager: Pager, first_rows: list[dict[str, Any]],
) -> None:  # fmt: skip
    """Read the list again, in order, when rows moved down while its pages were in flight.

    A create or a change puts a row on top and pushes every row below it down by one. In
    order, that only makes a row show twice. But when page k+1 was answered before page k,
    a row pushed from the end of page k to the start of page k+1 in between is on neither
    answer. Nothing else shows the skip: ``total`` stays the same for a change, and the row
    itself did not change, so no later incremental run reads it. So page 1 is read once more.
    If it lists an id its first answer did not, rows went on top during the scan, and the
    list is read again page by page (a sequential scan cannot skip on a push-down; the rows
    it reads twice are dropped by the dedup on id).
    """
    size = pager.size
    again = fetcher.page(tag, obj, 1, **{**options, "page_size": size})
    if again.rows:
        emit(again.rows)
    result.observe(again, obj.cursor_field)
    id_field = obj.id_field
    before = {r.get(id_field) for r in first_rows}
    if all(r.get(id_field) in before for r in again.rows):
        return
    scan_sequential(fetcher, tag, obj, options, None, emit, 1, result, Pager(obj, size))


def _run_window(
    fetcher: Fetcher, tag: str, obj: CustifyObject, options: dict[str, Any], emit: Emit,
    pages: range, window: int, result: StreamResult, pager: Pager,
) -> int | None:  # fmt: skip
    """Fetch ``pages`` with at most ``window`` in flight; observe them in completion order.

    Returns the page to re-plan from when a page revealed a lower cap (no new page is sent
    at the old size once one did), else None.
    """
    sized = {**options, "page_size": pager.size}
    flight = Completions(fetcher)
    try:
        for page_no in pages:
            if pager.restart is not None:
                break
            flight.submit(fetcher.page, tag, obj, page_no, **sized)
            if len(flight) >= window:
                _absorb(flight.next(), emit, result, obj, pager)
        while flight:
            _absorb(flight.next(), emit, result, obj, pager)
    except BaseException:
        settle(flight.running)
        raise
    return pager.take_restart()


def _absorb(page: Page, emit: Emit, result: StreamResult, obj: CustifyObject, pager: Pager) -> None:
    pager.check(page)  # the guard raises before a repeated page is emitted
    if page.rows:
        emit(page.rows)
    result.observe(page, obj.cursor_field)
    # a concurrent full scan has no early stop: order only matters for the next run's cursor


def settle(running: set[Future]) -> None:
    """Cancel what has not started and wait for the rest, so nothing of a failed scan runs on."""
    for fut in running:
        fut.cancel()
    wait(running)
