"""``Sandbox``: the whole offline Custify API as a pure function of its state.

``handle`` runs every request through the same pipeline as the real service would: auth
(§1.2), the fixed rate window (§1.8), forbidden paths (403), latency and fault decisions,
then the route, then the journal. Faults are decided *before* a write is applied, so a 5xx or
dropped connection never corrupts state, unless ``faults.apply_then_drop`` asks for exactly
that (the request reached Custify, the answer was lost).
"""

from __future__ import annotations

import contextlib
import math
import threading
from typing import Any

import httpx

from models.clock import RealClock
from sandbox import admin, attributes, profiles, routes, unknowns
from sandbox.faults import Faults
from sandbox.generator import SharedEmails, generate
from sandbox.httpio import error_body, journal_body, parse_body, to_httpx
from sandbox.journal import Journal, JournalEntry
from sandbox.ratewindow import RateWindow
from sandbox.routes import batch
from sandbox.store import Store
from sandbox.util import ApiError, ObjectIds, Req, Resp, iso_ms

DEFAULT_API_KEY = "sk_sandbox_0123456789abcdef"
UNAUTHORIZED = {"error": "Access forbidden, invalid API-KEY was used", "statusCode": 401}
ADMIN_PREFIX = "/_sandbox/"


class Sandbox:
    """An offline Custify account; see the sandbox section of docs/architecture.md."""

    def __init__(self, *, seed: int = 0, scale: float = 1.0, api_key: str = DEFAULT_API_KEY,
                 rate_limit: int | None = 100, rate_window_s: float = 10.0, clock: Any = None,
                 faults: Faults | None = None, sizes: dict[str, int] | None = None,
                 profile: str | None = None) -> None:  # fmt: skip
        self.seed, self.scale, self.api_key = seed, scale, api_key
        self.clock = clock if clock is not None else RealClock()
        self.faults = faults if faults is not None else Faults()
        #: the last profile applied (sandbox/profiles.py), shown by ``GET /_sandbox/info``
        self.profile: str | None = None
        if profile is not None:  # before generating: a profile may shape the generated data
            self.faults.update(**profiles.knobs(profile))
            self.profile = profile
        self.faults.bind(seed)
        self.window = RateWindow(rate_limit, rate_window_s)
        self.journal = Journal()
        self._ids = ObjectIds(seed)
        self._lock = threading.RLock()
        self.store = Store(stamp=self.now_iso, new_id=self.new_id, lock=self._lock, seed=seed,
                           cascade_bumps=lambda: self.faults.cascade_bumps_updated_at)  # fmt: skip
        generate(self.store, seed=seed, scale=scale, now=self.clock.now(), ids=self._ids,
                 ties=self.faults.timestamp_ties, sizes=sizes)  # fmt: skip
        attributes.observe_all(self.store)  # the generated values fixed their attributes' types
        self.shared_emails = SharedEmails(seed)
        self.shared_emails.grow(self.store, self.faults.shared_emails, bump=False)
        self.router = routes.build()

    def configure(self, **knobs: Any) -> None:
        """Set knobs by name, as ``POST /_sandbox/faults`` does: ``profile`` (its knobs first,
        the other names given win), ``rate_limit``, then any ``Faults`` knob. Knobs that
        shape the data (``shared_emails``) are applied to the running account at once."""
        with self._lock:
            name = knobs.pop("profile", None)
            if name is not None:
                knobs = {**profiles.knobs(name), **knobs}
            rate_limit = knobs.pop("rate_limit", self.rate_limit)
            self.faults.update(**knobs)
            self.rate_limit = rate_limit
            if name is not None:
                self.profile = name
            try:
                self.shared_emails.grow(self.store, self.faults.shared_emails, bump=True)
            except ValueError:
                self.faults.shared_emails = len(self.shared_emails.pairs)
                raise

    # ---- knobs ---------------------------------------------------------------------------
    @property
    def rate_limit(self) -> int | None:
        return self.window.limit

    @rate_limit.setter
    def rate_limit(self, value: int | None) -> None:
        self.window.limit = value

    def now_iso(self) -> str:
        """A write's timestamp; whole seconds under the ``timestamp_ties`` fault."""
        t = self.clock.now()
        return iso_ms(math.floor(t) if self.faults.timestamp_ties else t)

    def new_id(self) -> str:
        with self._lock:
            return self._ids.new(self.clock.now())

    def transport(self) -> httpx.BaseTransport:
        """An in-process transport: ``httpx.Client(transport=sb.transport(), base_url=...)``."""
        return SandboxTransport(self)

    def async_transport(self) -> httpx.AsyncBaseTransport:
        return AsyncSandboxTransport(self)

    # ---- the pipeline --------------------------------------------------------------------
    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request; raises ``httpx.RemoteProtocolError`` for a dropped connection."""
        request.read()
        method, path = request.method.upper(), request.url.path
        raw_path = request.url.raw_path.split(b"?", 1)[0].decode("ascii")
        query = {k: request.url.params[k] for k in request.url.params}
        if path.startswith(ADMIN_PREFIX):
            return admin.handle(self, request, method, path, query)
        if self.faults.latency_s > 0:
            self.clock.sleep(self.faults.latency_s)  # outside any lock: never blocks others
        t = self.clock.now()
        req = Req(method, path, query, t=t, raw_path=raw_path)
        if not self.authorized(request):
            rl = self.window.peek(t)
            return self._answer(
                request, req, Resp(401, UNAUTHORIZED, _rl_headers(rl)), counted=False
            )
        if self.faults.take_storm():
            headers = {**_rl_headers(self.window.peek(t)), "X-RateLimit-Remaining": "0",
                       "Retry-After": str(self.faults.storm_retry_after)}  # fmt: skip
            return self._answer(request, req, Resp(429, {"error": "Too Many Requests"}, headers),
                                counted=False, fault="storm")  # fmt: skip
        decision = self.window.acquire(t)
        headers = _rl_headers(decision)
        if not decision.allowed:
            headers["Retry-After"] = str(decision.retry_after)
            return self._answer(request, req, Resp(429, {"error": "Too Many Requests"}, headers),
                                counted=False)  # fmt: skip
        if self.faults.forbids(path, method):
            err = ApiError(403, "Permission denied: endpoint not available for this API key")
            return self._answer(
                request, req, Resp(403, error_body(err), headers), fault="forbidden"
            )
        return self._faulted_dispatch(request, req, headers)

    def _faulted_dispatch(self, request: httpx.Request, req: Req, headers: dict) -> httpx.Response:
        drop = self.faults.roll(self.faults.drop_rate)
        err5 = not drop and self.faults.roll(self.faults.error_rate_5xx)
        status5 = self.faults.pick((500, 502, 503)) if err5 else 0
        if (drop or err5) and not self.faults.apply_then_drop:
            with contextlib.suppress(ApiError):  # only for the journal's copy of the body
                parse_body(request, req)
            return self._fail(request, req, headers, drop, status5, "drop" if drop else "5xx")
        resp = self.dispatch(request, req)
        if drop or err5:
            return self._fail(request, req, headers, drop, status5, "apply_then_drop")
        resp.headers.update(headers)
        truncate = (
            resp.status == 200
            and resp.body is not None
            and self.faults.roll(self.faults.malformed_json_rate)
        )
        return self._answer(request, req, resp, fault="malformed" if truncate else None,
                            truncate=truncate)  # fmt: skip

    def _fail(self, request, req, headers, drop: bool, status5: int, fault: str):
        if drop:
            self._journal(req, 0, fault, True)
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            )
        body = {"error": "Some other error occurred", "statusCode": status5}
        return self._answer(request, req, Resp(status5, body, dict(headers)), fault=fault)

    def dispatch(self, request: httpx.Request, req: Req) -> Resp:
        """Route and run one request under the state lock; ApiError becomes its JSON answer."""
        with self._lock:
            batch.complete_due(self)  # Custify's batch worker runs whatever request comes in
            try:
                parse_body(request, req)
                unknowns.gate(self, req)  # the knobs for answers the notes leave open
                route, req.params = self.router.match(req.method, req.raw_path or req.path)
                return route.handler(self, req)
            except ApiError as err:
                headers = {"X-Sandbox-Fault": err.fault} if err.fault else {}
                return Resp(err.status, error_body(err), headers)

    def _answer(self, request, req: Req, resp: Resp, *, counted: bool = True,
                fault: str | None = None, truncate: bool = False) -> httpx.Response:  # fmt: skip
        fault = fault or resp.headers.pop("X-Sandbox-Fault", None)
        self._journal(req, resp.status, fault, counted)
        return to_httpx(resp, request, truncate=truncate)

    def _journal(self, req: Req, status: int, fault: str | None, counted: bool) -> None:
        self.journal.append(JournalEntry(req.t, req.method, req.path, dict(req.query), status,
                                         journal_body(req), fault, counted))  # fmt: skip

    def authorized(self, request: httpx.Request) -> bool:
        auth = request.headers.get("authorization", "")
        scheme, _, key = auth.partition(" ")
        return scheme.lower() == "bearer" and key.strip() == self.api_key


def _rl_headers(decision) -> dict[str, str]:
    if decision.limit is None:
        return {}
    return {"X-RateLimit-Limit": str(decision.limit),
            "X-RateLimit-Remaining": str(decision.remaining)}  # fmt: skip


class SandboxTransport(httpx.BaseTransport):
    """Sends requests straight into ``Sandbox.handle`` (no sockets)."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.sandbox.handle(request)


class AsyncSandboxTransport(httpx.AsyncBaseTransport):
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        return self.sandbox.handle(request)
