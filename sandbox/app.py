"""``Sandbox``: the whole offline Custify API as a pure function of its state.

``handle`` runs every request through the same pipeline as the real service would: auth
(§1.2), the fixed rate window (§1.8), forbidden paths (403), latency and fault decisions,
then the route, then the journal. Faults are decided *before* a write is applied, so a 5xx or
dropped connection never corrupts state, unless ``faults.apply_then_drop`` asks for exactly
that (the request reached Custify, the answer was lost).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any

import httpx

from models.registry import CustifyObject
from sandbox import admin, routes, unknowns
from sandbox.account import DEFAULT_API_KEY, Account
from sandbox.faults import Faults
from sandbox.httpio import UNAUTHORIZED, error_body, journal_body, parse_body, to_httpx
from sandbox.journal import JournalEntry
from sandbox.routes import batch
from sandbox.util import ApiError, Req, Resp

ADMIN_PREFIX = "/_sandbox/"
__all__ = ["ADMIN_PREFIX", "DEFAULT_API_KEY", "UNAUTHORIZED", "Sandbox"]


class Sandbox(Account):
    """An offline Custify account answering HTTP; see the sandbox section of
    docs/architecture.md. The state and knobs are ``Account``'s; this adds the pipeline."""

    def __init__(self, *, seed: int = 0, scale: float = 1.0, api_key: str = DEFAULT_API_KEY,
                 rate_limit: int | None = 100, rate_window_s: float = 10.0, clock: Any = None,
                 faults: Faults | None = None, sizes: dict[str, int] | None = None,
                 profile: str | None = None,
                 objects: Iterable[CustifyObject] | None = None) -> None:  # fmt: skip
        super().__init__(seed=seed, scale=scale, api_key=api_key, rate_limit=rate_limit,
                         rate_window_s=rate_window_s, clock=clock, faults=faults, sizes=sizes,
                         profile=profile, objects=objects)  # fmt: skip
        self.router = routes.build(self.registry.values())

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

    def _fail(self, request: httpx.Request, req: Req, headers: dict, drop: bool, status5: int,
              fault: str) -> httpx.Response:  # fmt: skip
        if drop:
            self._journal(req, 0, fault, True)
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            )
        body = {"error": "Some other error occurred", "statusCode": status5}
        return self._answer(request, req, Resp(status5, body, dict(headers)), fault=fault)

    def dispatch(self, request: httpx.Request, req: Req) -> Resp:
        """Route and run one request under the state lock; ApiError becomes its JSON answer."""
        with self.lock:
            batch.complete_due(self)  # Custify's batch worker runs whatever request comes in
            try:
                parse_body(request, req)
                unknowns.gate(self, req)  # the knobs for answers the notes leave open
                route, req.params = self.router.match(req.method, req.raw_path or req.path)
                return route.handler(self, req)
            except ApiError as err:
                headers = {"X-Sandbox-Fault": err.fault} if err.fault else {}
                return Resp(err.status, error_body(err), headers)

    def _answer(self, request: httpx.Request, req: Req, resp: Resp, *, counted: bool = True,
                fault: str | None = None, truncate: bool = False) -> httpx.Response:  # fmt: skip
        fault = fault or resp.headers.pop("X-Sandbox-Fault", None)
        self._journal(req, resp.status, fault, counted)
        return to_httpx(resp, request, truncate=truncate)

    def _journal(self, req: Req, status: int, fault: str | None, counted: bool) -> None:
        self.journal.append(JournalEntry(req.t, req.method, req.path, dict(req.query), status,
                                         journal_body(req), fault, counted))  # fmt: skip


def _rl_headers(decision: Any) -> dict[str, str]:
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
