"""ONE place for every response-envelope quirk of custify-api.md §18.

Custify wraps rows in at least six ways; the registry names which one each endpoint uses
(``models.types.Envelope``) and this module turns any of them into ``rows + total``:

- OBJECT: ``{"<key>": [...], "total": N}``; also ``GET /company/{id}`` (§18.1), ``GET /task/{id}``
  (§18.4) and objectives, which echo ``page``/``itemsPerPage`` (§14).
- ARRAY_WRAPPED: ``[{"people": [...], "total": N}]`` (§18.2); the object form is accepted too,
  and ``GET /people/{id}`` answers with the bare person.
- BARE_ARRAY: ``[...]`` with no total (``GET /survey``, §18.6).
- OBJECT_OR_SINGLE: the OBJECT form, or a bare row when exactly one row matches (financials,
  §18.5).
- ENTITY: the record itself.
- EMPTY: 202 with an empty or ``{}`` body (event, batch; §18.15).

The list key of time tracks is the singular ``time_track`` (§18.7); the plural is accepted as an
alias, and ``data``/``items`` as the fallbacks the official MCP server also reads (§2, §3).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from custify.errors import FatalError, NotFound
from models.types import Envelope

#: other keys that carry the rows when the documented one is absent (§18.7, [MCP] fallbacks)
KEY_ALIASES: dict[str, tuple[str, ...]] = {"time_track": ("time_tracks",)}
_FALLBACK_KEYS = ("data", "items")
#: a dict that has one of these and no envelope key is a row, not an envelope
_ROW_MARKERS = ("id", "_id", "externalId", "externalIds")


@dataclass(frozen=True)
class Parsed:
    """Rows of one response; ``total`` None when the envelope does not say (bare arrays)."""

    rows: list[dict[str, Any]]
    total: int | None
    #: the page number the server echoed (objectives, survey responses), if any
    echoed_page: int | None = None


def parse(body: Any, envelope: Envelope, key: str | None) -> Parsed:
    """Rows and total from a decoded JSON ``body`` shaped as ``envelope`` with list ``key``."""
    if envelope is Envelope.EMPTY:
        return Parsed([], None)
    if envelope is Envelope.BARE_ARRAY:
        return Parsed(_rows(_expect(body, list, envelope), key), None)
    if envelope is Envelope.ENTITY:
        return _entity(body, envelope, key)
    if envelope is Envelope.ARRAY_WRAPPED and isinstance(body, list):
        if not body:
            return Parsed([], 0)  # a lookup miss can be a plain []
        if len(body) != 1 or not isinstance(body[0], dict):
            raise _shape(envelope, key, body)
        body = body[0]
    if isinstance(body, list) and not body:
        return Parsed([], 0)  # "200 with an empty array" on lookups (§1.9)
    body = _expect(body, dict, envelope)
    found = _find_key(body, key)
    if found is None:
        if not body:
            return Parsed([], 0)
        if envelope in (Envelope.OBJECT_OR_SINGLE, Envelope.ARRAY_WRAPPED) and _is_row(body):
            return Parsed([body], 1)  # financial single-row quirk; bare GET /people/{id}
        raise _shape(envelope, key, body)
    rows = _rows(body[found], key)
    return Parsed(rows, _int_or_none(body.get("total")), _int_or_none(body.get("page")))


def parse_one(
    body: Any,
    envelope: Envelope,
    key: str | None,
    *,
    method: str | None = None,
    path: str | None = None,
) -> dict[str, Any]:
    """The single record of a lookup; Custify's empty array becomes ``NotFound`` (§18.3)."""
    rows = parse(body, envelope, key).rows
    if not rows:
        raise NotFound(
            "no match (Custify answered 200 with an empty result)",
            method=method,
            path=path,
            status=200,
        )
    return rows[0]


def _entity(body: Any, envelope: Envelope, key: str | None) -> Parsed:
    if isinstance(body, list):
        return Parsed(_rows(body, key), len(body))
    if not isinstance(body, dict):
        raise _shape(envelope, key, body)
    return Parsed([body], 1) if body else Parsed([], 0)


def _find_key(body: dict[str, Any], key: str | None) -> str | None:
    candidates = (key, *KEY_ALIASES.get(key or "", ()), *_FALLBACK_KEYS) if key else _FALLBACK_KEYS
    for candidate in candidates:
        if candidate in body and isinstance(body[candidate], list):
            return candidate
    return None


def _is_row(body: dict[str, Any]) -> bool:
    return any(marker in body for marker in _ROW_MARKERS)


def _rows(value: Any, key: str | None) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
        raise FatalError(f"envelope {key!r}: expected a list of objects")
    return value


def _expect(body: Any, kind: type, envelope: Envelope) -> Any:
    if not isinstance(body, kind):
        raise FatalError(
            f"unexpected response shape for envelope {envelope.value}: "
            f"expected a JSON {'array' if kind is list else 'object'}, got {type(body).__name__}"
        )
    return body


def _shape(envelope: Envelope, key: str | None, body: Any) -> FatalError:
    keys = sorted(body)[:10] if isinstance(body, dict) else type(body).__name__
    return FatalError(
        f"unexpected response shape for envelope {envelope.value} (key {key!r}); got {keys}"
    )


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None
