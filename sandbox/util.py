"""Small shared pieces: time stamps, ObjectIds, the request/response records, API errors.

Kept apart so that every route module speaks the same dialect: handlers take a ``Req`` and
return a ``Resp`` or raise ``ApiError``; ``Sandbox.handle`` turns those into httpx objects.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DAY_S = 86_400.0


_DAYS: dict[int, str] = {}


def iso_ms(t: float) -> str:
    """ISO-8601 UTC with milliseconds and ``Z``, the only form Custify returns (§1.4).

    Hand-rolled with a per-day cache: the generator stamps millions of rows.
    """
    ms_total = int(t * 1000 + 0.5)
    secs = ms_total // 1000
    day = secs // 86_400
    prefix = _DAYS.get(day)
    if prefix is None:
        prefix = _DAYS[day] = time.strftime("%Y-%m-%dT", time.gmtime(day * 86_400))
    sod = secs - day * 86_400
    return "%s%02d:%02d:%02d.%03dZ" % (  # noqa: UP031 - measurably faster than f-strings here
        prefix, sod // 3600, sod // 60 % 60, sod % 60, ms_total % 1000,
    )  # fmt: skip


_DATE_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{3}|\d{6}))?)?)?"
    r"(Z|[+-]\d{2}:?\d{2})?$"
)


def parse_date(value: Any) -> float | None:
    """Epoch seconds for the date forms Custify accepts (§1.4), or None when it is not one.

    Forms without a zone are read as UTC (the spec asks for UTC or an explicit zone).
    """
    if not isinstance(value, str):
        return None
    m = _DATE_RE.match(value.strip())
    if not m:
        return None
    y, mo, d, hh, mi, ss, frac, tz = m.groups()
    try:
        dt = datetime(int(y), int(mo), int(d), int(hh or 0), int(mi or 0), int(ss or 0), tzinfo=UTC)
    except ValueError:
        return None
    t = dt.timestamp() + (int(frac) / 10 ** len(frac) if frac else 0.0)
    if tz and tz != "Z":
        sign = 1 if tz[0] == "+" else -1
        digits = tz[1:].replace(":", "")
        t -= sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
    return t


def day_start(value: str) -> float:
    """Epoch seconds of ``YYYY-MM-DD`` at 00:00 UTC; ValueError when malformed."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value or ""):
        raise ValueError(value)
    return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC).timestamp()


class ObjectIds:
    """Deterministic 24-hex Mongo-style ObjectIds (§1.3).

    Layout as in MongoDB: 4 bytes of creation time, 5 bytes of "machine" (from the seed), a
    3-byte counter. The counter carries into the machine bytes, so ids never repeat.
    """

    def __init__(self, seed: int) -> None:
        self._machine = (seed * 2_654_435_761 + 0x5A17C0FFEE) % (1 << 40)
        self._counter = 0

    def new(self, t: float) -> str:
        self._counter += 1
        high, low = divmod(self._counter, 1 << 24)
        machine = (self._machine + high) % (1 << 40)
        return f"{int(t) & 0xFFFFFFFF:08x}{machine:010x}{low:06x}"


HEX24 = re.compile(r"^[0-9a-fA-F]{24}$")


class ApiError(Exception):
    """An error answer: Custify's JSON ``{"error": ..., "statusCode": ...}`` (§1.9)."""

    def __init__(self, status: int, message: str, fault: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        #: set when a fault knob caused the error, for the journal
        self.fault = fault


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


def not_found(message: str) -> ApiError:
    return ApiError(404, message)


def rejected() -> ApiError:
    """The ``reject`` fault's answer: a per-record 400 (custify-api.md §1.9)."""
    return ApiError(400, "rejected by sandbox fault", fault="rejected")


@dataclass
class Req:
    """One parsed request, as the route handlers see it."""

    method: str
    path: str
    query: dict[str, str]
    body: Any = None
    form: dict[str, str] = field(default_factory=dict)
    files: dict[str, tuple[str, bytes, str]] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    t: float = 0.0
    #: the path as sent, still percent-encoded: routes match on it, so an identifier holding
    #: an encoded "/" (``ZD%2F123``) stays one segment (``path`` is the decoded form)
    raw_path: str = ""

    def json_object(self) -> dict:
        """The body as a JSON object; 400 naming the problem otherwise."""
        if self.body is None:
            return {}
        if not isinstance(self.body, dict):
            raise bad_request("body: expected a JSON object")
        return self.body


@dataclass
class Resp:
    """A handler's answer; ``body`` None means an empty body."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
