"""The error taxonomy of the API boundary, by what the caller must do (docs/architecture.md).

``classify`` is the ONLY place in custify-sync that reads HTTP status codes (one seam per
concern). Every other module asks it, or catches one of the classes below:

- ``FatalError``: stop the run (a 400 on a non-record call, bad configuration).
- ``AuthError``: 401 wrong/missing key, 403 endpoint not allowed for the key (custify-api.md §1.2).
- ``RetriableError``: 5xx, dropped connection, timeout, malformed JSON (§1.9). ``maybe_applied``
  tells whether the request may have reached Custify, which matters for creates that Custify does
  not deduplicate (notes, tasks, comments, replies, files).
- ``RateLimitedError``: 429 with ``Retry-After`` (§1.8); the request was certainly not applied.
- ``RecordRejected``: 400/409/422 on a per-record write: the row's fault, not the run's.
- ``NotFound``: 404, or Custify's "200 with an empty array" on a lookup (§1.9, §18.3).

``list_failure`` tells the ELT whether an error on one object's list concerns that object
only (403, 404, another 4xx, the loop guard, Custify failing past the retries) or the run.

Messages carry method, path (never the query string: queries can hold e-mails), status and
Custify's own ``error`` text; never the key or any header.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import httpx


def strip_query(path: str) -> str:
    """The path without its query string (queries can hold e-mails, §2 get by email)."""
    return path.split("?", 1)[0]


class CustifyError(Exception):
    """Base of every error the API boundary raises."""

    def __init__(
        self,
        detail: str,
        *,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        attempts: int = 1,
    ) -> None:
        self.detail = detail
        self.method = method
        self.path = strip_query(path) if path else path
        self.status = status
        #: how many times the request was sent; >1 means earlier attempts may have applied it
        self.attempts = attempts
        super().__init__(self._message())

    def _message(self) -> str:
        where = " ".join(p for p in (self.method, self.path) if p)
        status = f" -> {self.status}" if self.status is not None else ""
        prefix = f"{where}{status}: " if where or status else ""
        return f"{prefix}{self.detail}"

    def __str__(self) -> str:
        return self._message()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._message()!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # keyword-only constructor: pickle (multiprocessing) needs an explicit recipe
        kwargs = {
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "attempts": self.attempts,
        }
        return (_rebuild, (type(self), self.detail, kwargs, self.__dict__))


def _rebuild(cls: type[CustifyError], detail: str, kwargs: dict, state: dict) -> CustifyError:
    err = cls.__new__(cls)
    CustifyError.__init__(err, detail, **kwargs)
    err.__dict__.update(state)
    return err


class FatalError(CustifyError):
    """Stop the run: retrying or skipping the row cannot help."""


class ConfigError(FatalError):
    """Bad or missing configuration; the message is one line naming the key to fix."""


class ConnectFailed(ConfigError):
    """The first request could not reach Custify at all (refused, DNS, TLS, connect timeout):
    almost always a wrong base URL or network, so the run ends at once instead of retrying."""


class AuthError(FatalError):
    """401 (wrong or missing key) or 403 (endpoint not allowed for this key), §1.2."""


class PaginationError(FatalError):
    """The server's paging misbehaved (same page twice, more pages than ``total`` allows)."""


class RetriableError(CustifyError):
    """A transient failure: 5xx, timeout, dropped connection, malformed JSON (§1.9).

    ``maybe_applied`` is True when the request may have reached Custify (read timeout or 5xx after
    sending); False when it certainly did not (connect error, 429). A non-idempotent create that
    fails with ``maybe_applied=True`` must be checked before it is sent again.
    """

    def __init__(self, detail: str, *, maybe_applied: bool = True, **kwargs: Any) -> None:
        self.maybe_applied = maybe_applied
        #: why a transport failure happened, in words (``connect_cause``); None for answers
        self.cause: str | None = None
        super().__init__(detail, **kwargs)


class RateLimitedError(RetriableError):
    """429 Too Many Requests (§1.8): the request was not applied; wait ``retry_after`` seconds."""

    def __init__(self, detail: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        kwargs["maybe_applied"] = False
        super().__init__(detail, **kwargs)


class RecordRejected(CustifyError):
    """400/409/422 on a per-record write: the row is wrong, the run goes on (§1.9)."""


class NotFound(CustifyError):
    """404, or a lookup answered with 200 and an empty array (§1.9, §18.3)."""


#: statuses that mean "this row is wrong" when the request wrote one record
_RECORD_STATUSES = frozenset({400, 409, 422})
#: statuses that a later attempt may get past (408 request timeout, 425 too early, 5xx)
_TRANSIENT_STATUSES = frozenset({408, 425})


def classify(response: httpx.Response, *, record: bool = False) -> type[CustifyError] | None:
    """The error class for ``response``, or None when it succeeded.

    ``record`` says the request wrote one record (an action call): then 400/409/422 blame the
    row (``RecordRejected``) rather than the run (``FatalError``). The one place that reads
    status codes.
    """
    status = response.status_code
    if status < 300:
        return None
    if status < 400:  # redirects are not followed: the base URL is wrong
        return FatalError
    if status in (401, 403):
        return AuthError
    if status == 404:
        return NotFound
    if status == 429:
        return RateLimitedError
    if status >= 500 or status in _TRANSIENT_STATUSES:
        return RetriableError
    if record and status in _RECORD_STATUSES:
        return RecordRejected
    return FatalError


class ListFailure(StrEnum):
    """What a failed read of one object's list means for the run (``list_failure``)."""

    FORBIDDEN = "forbidden"  # 403: the key or plan may not read this endpoint (§1.2)
    MISSING = "missing"  # 404: the endpoint does not exist for the account
    REFUSED = "refused"  # another 4xx: the request was refused as asked (e.g. a needed scope)
    PAGING = "paging"  # the loop guard fired (PaginationError)
    UNAVAILABLE = "unavailable"  # 5xx, drops or 429s past every retry


def list_failure(exc: BaseException) -> ListFailure | None:
    """The ``ListFailure`` kind of an error on ONE object's list, or None when it must stop the
    whole run: a wrong key (401) is wrong for every object, a redirect means a wrong base URL,
    and configuration errors, unknown answer shapes and our own bugs are not one list's fault.
    """
    if isinstance(exc, PaginationError):
        return ListFailure.PAGING
    if isinstance(exc, RetriableError):
        return ListFailure.UNAVAILABLE
    if not isinstance(exc, CustifyError) or isinstance(exc, ConfigError) or exc.status is None:
        return None
    if exc.status == 403:
        return ListFailure.FORBIDDEN
    if exc.status == 404:
        return ListFailure.MISSING
    if 400 <= exc.status < 500 and exc.status != 401:
        return ListFailure.REFUSED
    return None


def is_transient_status(status: int) -> bool:
    """A status a later attempt may get past (5xx, 408, 425, 429): e.g. a batch job's own code."""
    return status >= 500 or status in _TRANSIENT_STATUSES or status == 429


#: statuses that mean "this endpoint is not there for us" when they answer the endpoint itself
#: (not one record): missing (404), wrong method (405), not allowed for the key (403), or
#: refused as a whole (400), e.g. ``POST /batch`` on an account without the batch API (§15)
_REFUSED_STATUSES = frozenset({400, 403, 404, 405})


def endpoint_refused(err: CustifyError) -> bool:
    """Did Custify refuse the endpoint itself (a road to go around), rather than fail?

    401 is never one: a wrong key stops the run wherever it shows (§1.2).
    """
    return err.status in _REFUSED_STATUSES


def error_detail(response: httpx.Response) -> str:
    """Custify's own error text: ``error``, else ``message``/``errors`` (§1.9), else the reason.

    Only the body is read (never headers); it is cut short so that a huge HTML error page does
    not flood logs.
    """
    text = ""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        for key in ("error", "message", "errors"):
            if body.get(key):
                text = str(body[key])
                break
    elif isinstance(body, str):
        text = body
    if not text:
        text = response.reason_phrase or "error"
    return text[:300]


_AUTH_HINT = {
    401: "Custify rejected the API key; check CUSTIFY_API_KEY (or api_key in .dlt/secrets.toml)",
    403: "the API key may not use this endpoint (read-only key, or endpoint not open to API keys)",
}


def error_from_response(
    response: httpx.Response, method: str, path: str, *, record: bool = False, attempts: int = 1
) -> CustifyError | None:
    """Build the exception for a failed response, or None when it succeeded."""
    cls = classify(response, record=record)
    if cls is None:
        return None
    status = response.status_code
    detail = error_detail(response)
    if status < 400:
        detail = f"unexpected redirect ({detail}); check the base URL"
    if status in _AUTH_HINT:
        detail = f"{_AUTH_HINT[status]} ({detail})"
    kwargs: dict[str, Any] = {
        "method": method,
        "path": path,
        "status": status,
        "attempts": attempts,
    }
    if cls is RateLimitedError:
        return RateLimitedError(detail, retry_after=parse_retry_after(response), **kwargs)
    if cls is RetriableError:
        return RetriableError(detail, maybe_applied=True, **kwargs)
    return cls(detail, **kwargs)


#: transport errors raised before the request left this machine: never applied (a proxy
#: error is a tunnel the proxy would not open, so the request never reached Custify)
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol,
             httpx.ProxyError)  # fmt: skip


def error_from_transport(exc: httpx.TransportError, method: str, path: str) -> RetriableError:
    """Classify a transport failure: connect errors were never applied, the rest may have been."""
    sent = not isinstance(exc, _NOT_SENT)
    what = type(exc).__name__
    detail = f"{what} {'after sending' if sent else 'before sending'}"
    err = RetriableError(detail, maybe_applied=sent, method=method, path=path)
    err.cause = connect_cause(exc)
    return err


def connect_cause(exc: BaseException) -> str:
    """Why a connection failed, in words a user can act on (never the URL's query)."""
    text = " ".join(str(e) for e in (exc, exc.__cause__, exc.__context__) if e).lower()
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        return "no answer in time (connect timeout)"
    if isinstance(exc, httpx.ProxyError):
        return f"the proxy refused the connection ({exc}; see HTTPS_PROXY / NO_PROXY)"
    if "refused" in text:
        return "connection refused (nothing listens on that host and port)"
    if any(m in text for m in ("name or service not known", "nodename nor servname",
                               "temporary failure in name resolution", "no address associated",
                               "getaddrinfo")):  # fmt: skip
        return "the host name does not resolve (DNS)"
    if "certificate" in text:
        return "TLS certificate verification failed (a proxy or a wrong host?)"
    if "ssl" in text or "tls" in text:
        return "TLS handshake failed (is it https on a plain-http port, or the reverse?)"
    if "unreachable" in text:
        return "network unreachable"
    return type(exc).__name__


def parse_retry_after(response: httpx.Response) -> float | None:
    """Seconds from ``Retry-After`` (§1.8): a number (0 allowed) or an HTTP date; None if absent."""
    raw = response.headers.get("retry-after")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    date = response.headers.get("date")
    try:
        now = parsedate_to_datetime(date) if date else None
    except (TypeError, ValueError):
        now = None
    if now is None:
        import datetime as _dt

        now = _dt.datetime.now(_dt.UTC)
    return max(0.0, (when - now).total_seconds())
