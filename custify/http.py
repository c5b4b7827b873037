"""Transport and retry: one httpx transport, one rate budget, one retry policy (custify-api.md §1).

Every request takes a budget slot first (§1.8), is classified by ``custify.errors.classify``
(the only status-code reader), and is retried with capped full-jitter exponential backoff that
honours ``Retry-After`` (including ``Retry-After: 0``). The rules:

- 429: always retried after the server's ``Retry-After`` (every thread and process waits, via the
  shared budget); it has its own, larger allowance (``max_rate_limited``) because it is flow
  control, not failure. Surfaced only when that allowance runs out.
- Connection errors before sending: retried once Custify has answered this session at least
  once; before that (the first request), refused / DNS / TLS / connect timeout mean a wrong
  base URL or network, so ``ConnectFailed`` ends the run at once, naming the setting.
- 5xx, read timeouts, dropped connections after sending, malformed JSON on a 2xx: retried only
  when the request is ``replay_safe``. Creates that Custify does not deduplicate
  (``duplicates_on_retry`` in the registry: notes, tasks, comments, replies, files) are not:
  they raise ``RetriableError(maybe_applied=True)`` so the reverse-ETL ledger can look before
  sending again (creates are not idempotent).

Logging goes to ``logging.getLogger("custify")`` at DEBUG: method, path (no query string: it can
hold e-mails), status, elapsed. Never the key, never a header.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson

from custify.budgets import make_budget
from custify.config_file import env_name
from custify.errors import (
    ConnectFailed,
    CustifyError,
    RateLimitedError,
    RetriableError,
    error_from_response,
    error_from_transport,
    parse_retry_after,
    strip_query,
)
from custify.ratelimit import SlidingWindowBudget
from custify.settings import ConnectionSettings
from custify.transport import keep_alive_transport
from models.clock import Clock, RealClock

logger = logging.getLogger("custify")

USER_AGENT = "custify-sync/0.1 (python-httpx)"
#: methods whose replay cannot change the outcome (a POST may create twice)
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH"})


@dataclass(frozen=True)
class RetryPolicy:
    """Capped full-jitter exponential backoff (AWS architecture blog's "full jitter")."""

    max_retries: int = 8
    max_rate_limited: int = 30
    base_s: float = 0.5
    max_backoff_s: float = 60.0

    def backoff(self, retry: int, rng: random.Random) -> float:
        """Seconds to wait before retry number ``retry`` (1-based): U(0, min(cap, base*2^n))."""
        return rng.uniform(0.0, min(self.max_backoff_s, self.base_s * 2 ** (retry - 1)))


class RequestStats:
    """Thread-safe counters: requests sent, retries, 429s, errors, responses by status."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests = 0
        self.retries = 0
        self.rate_limited = 0
        self.errors = 0
        self.by_status: Counter[int] = Counter()

    def add(self, **counts: int) -> None:
        with self._lock:
            for name, n in counts.items():
                setattr(self, name, getattr(self, name) + n)

    def status(self, status: int) -> None:
        with self._lock:
            self.by_status[status] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": self.requests,
                "retries": self.retries,
                "rate_limited": self.rate_limited,
                "errors": self.errors,
                "by_status": dict(self.by_status),
            }

    def __repr__(self) -> str:
        return f"RequestStats({self.snapshot()})"


class Counters:
    """The session's ``RequestStats`` and, when one call asked for it, that call's tally."""

    def __init__(self, stats: RequestStats, tally: RequestStats | None) -> None:
        self._all = (stats,) if tally is None else (stats, tally)

    def add(self, **counts: int) -> None:
        for stats in self._all:
            stats.add(**counts)

    def status(self, status: int) -> None:
        for stats in self._all:
            stats.status(status)


@dataclass(frozen=True)
class _Call:
    """What one ``send`` asks for; every attempt sends it as it is."""

    method: str
    path: str
    params: Mapping[str, Any] | None
    json: Any
    files: Mapping[str, Any] | None
    data: Mapping[str, Any] | None
    headers: dict[str, str]


class HttpSession:
    """Budget -> send -> classify -> retry or raise. Thread-safe; share one per account."""

    def __init__(
        self,
        settings: ConnectionSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        budget: SlidingWindowBudget | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        postgres_dsn: str | None = None,
    ) -> None:
        self.settings = settings
        self.clock: Clock = clock or RealClock()
        #: a budget built here is closed with the session; a given one belongs to the caller
        self._own_budget = budget is None
        self.budget = budget or make_budget(settings, clock=self.clock, postgres_dsn=postgres_dsn)
        self.policy = RetryPolicy(
            max_retries=settings.max_retries, max_backoff_s=settings.max_backoff_s
        )
        self.stats = RequestStats()
        #: an answer (any status) came back once: later connect errors are blips, retried
        self._reached = False
        self._rng = rng or random.Random()
        self._rng_lock = threading.Lock()
        self._key = settings.api_key
        # the client reads the environment (proxy variables, certificate files) once; requests
        # are sent on the transport it picked for the base URL's host, without its per-request
        # layers (auth flow, redirects, cookies, URL merging): ~0.25 ms of CPU per request, a
        # third of a small page's cost (bench/README.md); where that is httpx's default
        # transport, on ours instead (custify/transport.py)
        self._client = httpx.Client(
            base_url=settings.base_url,
            headers={"Accept": "application/json", "User-Agent": USER_AGENT},
            timeout=httpx.Timeout(settings.timeout_s, connect=settings.connect_timeout_s),
            limits=httpx.Limits(
                max_connections=settings.concurrency,
                max_keepalive_connections=settings.concurrency,
            ),
            transport=transport,
            follow_redirects=False,
        )
        picked = self._client._transport_for_url(self._client.base_url)
        #: the keep-alive transport this session made (closed with it), if any
        self._own_transport = None
        if transport is None and picked is self._client._transport:  # not a proxy's
            self._own_transport = keep_alive_transport(
                settings.base_url, max_connections=settings.concurrency
            )
        self._transport = self._own_transport or picked
        self._base = str(self._client.base_url).rstrip("/") + "/"
        self._base_path = self._client.base_url.raw_path.decode("ascii").rstrip("/") + "/"
        self._headers = dict(self._client.headers)
        self._extensions = {"timeout": self._client.timeout.as_dict()}

    def close(self) -> None:
        if self._own_transport is not None:
            self._own_transport.close()
        self._client.close()
        if self._own_budget:
            self.budget.close()

    def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        files: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        replay_safe: bool | None = None,
        record: bool = False,
        tally: RequestStats | None = None,
    ) -> httpx.Response:
        """Send until success, a non-retriable error, or the retry allowance runs out.

        ``replay_safe`` (default: idempotent method) allows retrying after the request may have
        reached Custify; ``record`` makes 400/409/422 a ``RecordRejected`` (one row's fault).
        ``tally`` counts this call's attempts too (the session's ``stats`` counts them all),
        so a caller can say what one object's scan cost.
        """
        counters = Counters(self.stats, tally)
        method = method.upper()
        if replay_safe is None:
            replay_safe = method in IDEMPOTENT_METHODS
        headers = {} if files else {"Content-Type": "application/json"}
        call = _Call(method, path, params, json, files, data, headers)
        retries = limited = sent = 0
        applied_before = False  # did an earlier attempt possibly reach Custify?
        while True:
            self.budget.acquire()
            sent += 1
            err, response = self._attempt(call, record, sent, counters)
            if response is not None:
                self._reached = True
            if err is None:
                return response  # type: ignore[return-value]
            if self._never_reached(err, response):  # a setup error, not a blip: stop now
                return self._fail(self._connect_failed(err), counters)  # type: ignore[arg-type]
            if isinstance(err, RetriableError):
                err.maybe_applied = err.maybe_applied or applied_before
                applied_before = err.maybe_applied
            if isinstance(err, RateLimitedError):
                limited += 1
                counters.add(rate_limited=1)
                self.budget.observe(retry_after=self._rate_limited_wait(err, limited))
                if limited > self.policy.max_rate_limited:
                    return self._fail(err, counters)
                continue
            if not isinstance(err, RetriableError):
                return self._fail(err, counters)
            if err.maybe_applied and not replay_safe:
                return self._fail(err, counters)
            retries += 1
            if retries > self.policy.max_retries:
                return self._fail(err, counters)
            counters.add(retries=1)
            self.clock.sleep(self._retry_wait(retries, response))

    def _attempt(
        self, call: _Call, record: bool, sent: int, counters: Counters
    ) -> tuple[CustifyError | None, httpx.Response | None]:
        """One send: returns (error or None, response or None). Never raises httpx errors."""
        method, path = call.method, call.path
        started = time.perf_counter()
        counters.add(requests=1)
        try:
            response = self._request(call)
        except httpx.TransportError as exc:
            lost = error_from_transport(exc, method, path)
            lost.attempts = sent
            self._log(method, path, type(exc).__name__, started, sent)
            return lost, None
        counters.status(response.status_code)
        self._log(method, path, response.status_code, started, sent)
        err = error_from_response(response, method, path, record=record, attempts=sent)
        self._observe(response, err)
        if err is None and not _json_ok(response):
            err = RetriableError(
                "malformed JSON body on a success response",
                maybe_applied=True,
                method=method,
                path=path,
                status=response.status_code,
                attempts=sent,
            )
        return err, response

    def _request(self, call: _Call) -> httpx.Response:
        """One request on the transport, its body read; the key is revealed only here."""
        auth = {"Authorization": f"Bearer {self._key.reveal()}"}
        target = self._direct_target(call)
        if target is not None:  # a plain GET on our transport: no httpx.Request to build
            assert self._own_transport is not None
            headers = {**self._headers, **call.headers, **auth}
            response = self._own_transport.send(
                call.method, target, headers, None, self._extensions["timeout"]
            )
            response.read()
            return response
        request = httpx.Request(
            call.method,
            self._base + call.path.lstrip("/"),
            params=call.params,
            json=call.json,
            files=call.files,
            data=call.data,
            headers={**self._headers, **call.headers, **auth},
            extensions=self._extensions,
        )
        response = self._transport.handle_request(request)
        response.request = request
        try:
            response.read()
        except BaseException:
            response.close()
            raise
        return response

    def _direct_target(self, call: _Call) -> str | None:
        """Path and query for a GET (no body: nothing for http.client and httpx to frame
        differently) whose path needs no escaping, sent on our own transport (not one a test
        or a proxy put there); else None.

        Building an ``httpx.Request`` parses and re-escapes the whole URL character by
        character: ~70 us of a small page's CPU. The query is encoded as httpx encodes it
        (``urlencode`` of its text values: ``true``/``false``, ``""`` for None, a list as
        repeated keys), which ``tests/client/test_transport.py`` checks against httpx."""
        if self._transport is not self._own_transport or self._own_transport is None:
            return None
        if call.method != "GET" or call.json is not None or call.files or call.data:
            return None
        if not _PLAIN_PATH.match(call.path):
            return None
        target = self._base_path + call.path.lstrip("/")
        return f"{target}?{query_string(call.params)}" if call.params else target

    def _never_reached(self, err: CustifyError, response: httpx.Response | None) -> bool:
        """A connect error before Custify ever answered this session."""
        not_sent = isinstance(err, RetriableError) and not err.maybe_applied
        return response is None and not self._reached and not_sent

    def _connect_failed(self, err: RetriableError) -> ConnectFailed:
        setting = env_name(self.settings.name, "BASE_URL")
        return ConnectFailed(
            f"cannot connect to {self.settings.base_url} ({setting}): {err.cause or err.detail}; "
            "check the URL (Custify shows your cluster's in Settings -> Developers -> API key) "
            "and the network"
        )

    def _observe(self, response: httpx.Response, err: CustifyError | None) -> None:
        """Feed ``X-RateLimit-Remaining`` to the budget (not on 429: Retry-After rules there)."""
        raw = response.headers.get("x-ratelimit-remaining")
        if raw is None or isinstance(err, RateLimitedError):
            return
        try:
            remaining = int(raw)
        except ValueError:
            return
        self.budget.observe(remaining=remaining)

    def _rate_limited_wait(self, err: RateLimitedError, limited: int) -> float:
        """How long every user of the budget waits after a 429 (§1.8).

        ``Retry-After`` counts whole seconds rounded down, so ``0`` can mean "0.9 s left":
        a small floor that grows with consecutive 429s (0.25, 0.5, 1 s) keeps us from
        hammering a window that has not reset yet. No header: one full window, as the MCP does.
        """
        if err.retry_after is None:
            return self.settings.rate_window_s
        return err.retry_after + min(1.0, 0.25 * 2 ** (limited - 1))

    def _retry_wait(self, retries: int, response: httpx.Response | None) -> float:
        """``Retry-After`` when the server gave one (503), else full-jitter backoff."""
        if response is not None:
            after = parse_retry_after(response)
            if after is not None:
                return min(after, self.policy.max_backoff_s)
        with self._rng_lock:
            return self.policy.backoff(retries, self._rng)

    def _fail(self, err: CustifyError, counters: Counters) -> httpx.Response:
        counters.add(errors=1)
        raise err

    def _log(self, method: str, path: str, status: object, started: float, attempt: int) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            elapsed_ms = (time.perf_counter() - started) * 1000
            logger.debug(
                "%s %s -> %s in %.1f ms (attempt %d)",
                method,
                strip_query(path),
                status,
                elapsed_ms,
                attempt,
            )


#: a path sent as it is: nothing in it that httpx would escape or read as a query
_PLAIN_PATH = re.compile(r"[A-Za-z0-9/_.~-]*\Z")


def _text(value: Any) -> str:
    """A query value as httpx writes it (JSON-style booleans, None as empty)."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return "" if value is None else str(value)


def query_string(params: Mapping[str, Any]) -> str:
    """``params`` encoded as httpx's ``QueryParams`` encodes them."""
    items = [
        (key, _text(item))
        for key, value in params.items()
        for item in (value if isinstance(value, list | tuple) else (value,))
    ]
    return urlencode(items)


_DECODED = "custify_sync.json"


def decode_json(response: httpx.Response) -> Any:
    """The body decoded once (orjson), cached on the response; an empty body is None.

    The transport must check that a success body is JSON before it hands the response on
    (a malformed body is retriable), and the caller needs the same document: decoding twice
    with the stdlib cost about a quarter of an extract's CPU (bench/README.md).
    """
    if _DECODED not in response.extensions:
        content = response.content
        response.extensions[_DECODED] = orjson.loads(content) if content.strip() else None
    return response.extensions[_DECODED]


def _json_ok(response: httpx.Response) -> bool:
    """A success body must be empty (202, §18.15) or valid JSON (§1.1)."""
    try:
        decode_json(response)
    except orjson.JSONDecodeError:
        return False
    return True
