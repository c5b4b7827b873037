"""Concurrent requests within the shared rate budget, counted per object.

Custify allows 10 requests/s per account (§1.8) and answers in a few hundred ms, so a sequential
client reaches only a fraction of the budget. ``Fetcher`` keeps
up to ``concurrency`` requests in flight on one thread pool, fewer where more would not bring
the answers sooner (``pipelines.inflight``); the client's ``RateBudget`` (shared by threads and
processes) decides when each may leave. Every request runs under a tag (the
object being scanned), so the run summary can say how many requests and 429s each object cost
(objectives: one per company, §14).

The per-object counts come from the client's per-call hook: every page is sent with the
tally of its tag (``list_page(..., tally=...)``), which counts every attempt (retries, 429s)
of that call besides the client's own ``stats``.
"""

from __future__ import annotations

import queue
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from custify.client import CustifyClient
from custify.http import RequestStats
from custify.pagination import Page
from models.registry import CustifyObject
from models.stop import StopFlag
from pipelines.inflight import InFlightLimit


class Cancelled(Exception):
    """The run is stopping (another object hit a fatal error); no new request is sent."""


class Completions:
    """Work submitted to the pool, handed back one future at a time in completion order.

    Each finished future puts itself on one queue (``add_done_callback``), so taking the next
    costs one ``get``; ``concurrent.futures.wait`` installs and removes a waiter on every
    future still running each time it is called.
    """

    def __init__(self, fetcher: Fetcher) -> None:
        self._fetcher = fetcher
        self._done: queue.SimpleQueue[Future] = queue.SimpleQueue()
        self.running: set[Future] = set()

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        fut = self._fetcher.submit(fn, *args, **kwargs)
        self.running.add(fut)
        fut.add_done_callback(self._done.put)

    def next(self) -> Any:
        """The result of the next future to finish (its exception raised here)."""
        fut = self._done.get()
        self.running.discard(fut)
        return fut.result()

    def __len__(self) -> int:
        return len(self.running)


class Fetcher:
    """A request pool bound to one client, with the requests it sent counted per tag."""

    def __init__(
        self, client: CustifyClient, concurrency: int, stop: StopFlag | None = None
    ) -> None:
        self.client = client
        self.stop = stop
        self._tallies: dict[str, RequestStats] = {}
        self._pages: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self._pool = ThreadPoolExecutor(max(1, concurrency), thread_name_prefix="custify-fetch")
        budget = client.budget
        self.in_flight = InFlightLimit(concurrency, lambda: budget.waits)

    def _tally(self, tag: str) -> RequestStats:
        with self._lock:
            return self._tallies.setdefault(tag, RequestStats())

    # -- requests ----------------------------------------------------------------------------
    def page(self, tag: str, obj: CustifyObject, page: int, **options: Any) -> Page:
        """One list page, sent from the calling thread and counted under ``tag``."""
        with self.in_flight:  # checked once it is this request's turn to leave
            if self.stop is not None:
                self.stop.check()  # Ctrl-C / SIGTERM: no new request; the run ends unloaded
            if self._cancel.is_set():
                raise Cancelled()
            result = self.client.list_page(obj, page, tally=self._tally(tag), **options)
        with self._lock:
            self._pages[tag] += 1
        return result

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future:
        """Run ``fn`` on the request pool (it may send several requests in sequence)."""
        return self._pool.submit(fn, *args, **kwargs)

    def stats(self, tag: str) -> dict[str, int]:
        counted = self._tally(tag).snapshot()
        with self._lock:
            pages = self._pages[tag]
        return {
            "requests": counted["requests"],
            "rate_limited": counted["rate_limited"],
            "retries": counted["retries"],
            "pages": pages,
        }

    # -- lifecycle -----------------------------------------------------------------------------
    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def close(self) -> None:
        self._cancel.set()
        self._pool.shutdown(wait=True, cancel_futures=True)
