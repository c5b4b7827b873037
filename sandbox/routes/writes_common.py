"""Pieces every write endpoint shares (kept apart to avoid import cycles between modules)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from models.registry import Action
from sandbox.util import Req, rejected

if TYPE_CHECKING:
    from sandbox.app import Sandbox


def check_reject(sb: Sandbox, action: Action, req: Req, body: object) -> None:
    """The ``reject`` fault: a 400 for matching per-record writes, before anything changes."""
    payload = {**req.query, **req.params, **(body if isinstance(body, dict) else {})}
    if sb.faults.rejects(action.name, payload):
        raise rejected()


def stamp_and_store(sb: Sandbox, obj: str, rec: dict, creating: bool) -> dict:
    """Set ``id``/``created_at`` on creation and ``updated_at`` always, then store."""
    now = sb.now_iso()
    if creating:
        rec["id"] = sb.new_id()
        rec["created_at"] = now
    rec["updated_at"] = now
    sb.store.table(obj).put(rec)
    return rec
