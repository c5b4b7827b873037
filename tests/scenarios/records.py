"""What the scenarios share: fixed ids for the wire layer, and finders of seeded records."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from custify.client import CustifyClient

ID = "5b9f95d838ab5e09b8ed66cb"
NOTE = {"text": "<p>hi</p>", "entity": ID, "entityModel": "Company"}
FIN = {"externalId": "X-1", "company_id": "acme"}
NOW = "2023-11-14T22:13:20.000Z"  # FakeClock's start, as Custify stamps it


# -- finding seeded records ----------------------------------------------------------------------
def rows(sb, obj: str) -> list[dict]:
    return sb.store.rows(obj)


def one(sb, obj: str, **fields) -> dict:
    (found,) = sb.store.find(obj, **fields)
    return found


def first(sb, obj: str, pred: Callable[[dict], Any] = lambda r: True, **where) -> dict:
    """The first row of ``obj`` whose fields equal ``where`` and that satisfies ``pred``."""
    found = sb.store.find(obj, **where) if where else rows(sb, obj)
    return next(r for r in found if pred(r))


def tag_of(sb, category: str) -> dict:
    return first(sb, "tags", lambda t: t["category"] == category)


def person_with_uid(sb) -> dict:
    return first(sb, "people", lambda p: p["user_id"])


# == the client against the sandbox: the state each named method leaves ========================


#: a layer's check of one action: (client, sandbox) and (sandbox, raw HTTP client)
ClientCheck = Callable[[CustifyClient, Any], None]
RawCheck = Callable[[Any, httpx.Client], None]
