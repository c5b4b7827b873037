"""Concurrent requests within the shared rate budget, counted per object.

Custify allows 10 requests/s per account (§1.8) and answers in a few hundred ms, so a sequential
client reaches only a fraction of the budget (design.md "Performance model"). ``Fetcher`` keeps
up to ``concurrency`` requests in flight on one thread pool; the client's ``RateBudget`` (shared
by threads and processes) decides when each may leave. Every request runs under a tag (the
object being scanned), so the run summary can say how many requests and 429s each object cost
(objectives: one per company, §14).

The per-object counts come from a tap on the client's ``RequestStats``: the client counts every
attempt (retries, 429s) in the thread that sends it, so a thread-local tag attributes them
exactly. The tap forwards everything to the original counters and is removed after the run.
"""

from __future__ import annotations

import queue
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from custify.pagination import Page
from models.stop import StopFlag

_local = threading.local()


class Cancelled(Exception):
    """The run is stopping (another object hit a fatal error); no new request is sent."""


class _StatsTap:
    """Forwards to the client's ``RequestStats`` and also counts per thread-local tag."""

    def __init__(self, inner: Any, counts: dict[str, Counter[str]], lock: threading.Lock) -> None:
        self._inner, self._counts, self._lock = inner, counts, lock

    def add(self, **counts: int) -> None:
        self._inner.add(**counts)
        tag = getattr(_local, "tag", None)
        if tag is not None:
            with self._lock:
                self._counts.setdefault(tag, Counter()).update(counts)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


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
    """A request pool bound to one client; ``close()`` restores the client's counters."""

    def __init__(self, client: Any, concurrency: int, stop: StopFlag | None = None) -> None:
        self.client = client
        self.stop = stop
        self.counts: dict[str, Counter[str]] = {}
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self._pool = ThreadPoolExecutor(max(1, concurrency), thread_name_prefix="custify-fetch")
        self._session = getattr(client, "_session", None)
        self._original = getattr(self._session, "stats", None)
        if self._original is not None:
            self._session.stats = _StatsTap(self._original, self.counts, self._lock)
        self.tapped = self._original is not None

    # -- requests ----------------------------------------------------------------------------
    def page(self, tag: str, obj: Any, page: int, **options: Any) -> Page:
        """One list page, sent from the calling thread under ``tag``."""
        if self.stop is not None:
            self.stop.check()  # Ctrl-C / SIGTERM: no new request; the run ends unloaded
        if self._cancel.is_set():
            raise Cancelled()
        previous = getattr(_local, "tag", None)
        _local.tag = tag
        try:
            result = self.client.list_page(obj, page, **options)
        finally:
            _local.tag = previous
        with self._lock:
            self.counts.setdefault(tag, Counter())["pages"] += 1
            if not self.tapped:
                self.counts[tag]["requests"] += 1
        return result

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future:
        """Run ``fn`` on the request pool (it may send several requests in sequence)."""
        return self._pool.submit(fn, *args, **kwargs)

    def stats(self, tag: str) -> dict[str, int]:
        with self._lock:
            c = self.counts.get(tag, Counter())
            return {
                "requests": c["requests"],
                "rate_limited": c["rate_limited"],
                "retries": c["retries"],
                "pages": c["pages"],
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
        if self._original is not None and self._session is not None:
            self._session.stats = self._original
